"""Sign-up, email verification, login, logout, password reset, invitations (interface layer)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.extensions import db
from portal.forms import apply_refusal
from portal.forms.account import EmailForm, LoginForm, NewPasswordForm, SignUpForm
from portal.messages import message
from portal.services import accounts
from portal.services.errors import Refused
from portal.services.sessions import end_session, start_session
from portal.services.tokens import peek_token

bp = Blueprint("account", __name__)


def _notice(title: str, text: str, status: int = 200) -> tuple[str, int]:
    return render_template("account/notice.html", title=title, text=text), status


@bp.route("/aanmelden", methods=["GET", "POST"])
def signup() -> object:
    form = SignUpForm()
    if form.validate_on_submit():
        data = accounts.SignUp(
            organisation_name=form.organisation_name.data or "",
            kvk_number=form.kvk_number.data or "",
            kinds=tuple(form.kinds.data or ()),
            contact_email=form.contact_email.data or "",
            email=form.email.data or "",
            password=form.password.data or "",
            snf_number=form.snf_number.data or "",
            locale=str(get_locale() or "nl"),
        )
        try:
            accounts.sign_up_organisation(data)
        except Refused as exc:
            db.session.rollback()
            apply_refusal(form, exc)
        else:
            db.session.commit()
            return _notice(
                _("Check your email"),
                _(
                    "We have sent a link to %(email)s. Open it to confirm your address; "
                    "then you can log in. The link works for 48 hours.",
                    email=form.email.data,
                ),
            )
    return render_template("account/signup.html", form=form)


@bp.get("/account/bevestigen/<token>")
def verify(token: str) -> object:
    try:
        accounts.verify_email(token)
    except Refused as exc:
        db.session.rollback()
        return _notice(_("Link not valid"), message(exc.problems[0].code), 400)
    db.session.commit()
    flash(_("Your email address is confirmed. You can log in now."), "success")
    return redirect(url_for("account.login"))


@bp.route("/account/nieuwe-bevestiging", methods=["GET", "POST"])
def resend_verification() -> object:
    form = EmailForm()
    if form.validate_on_submit():
        try:
            accounts.resend_verification(form.email.data or "")
        except Refused as exc:
            db.session.rollback()
            apply_refusal(form, exc)
        else:
            db.session.commit()
            return _notice(
                _("Check your email"),
                _(
                    "If this address has an account that is not yet confirmed, we have sent a new "
                    "link to it."
                ),
            )
    return render_template(
        "account/email_form.html",
        form=form,
        title=_("Send a new confirmation link"),
        button=_("Send link"),
    )


@bp.route("/inloggen", methods=["GET", "POST"])
def login() -> object:
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        except Refused as exc:
            db.session.commit()  # keep the audit event of the failed attempt
            apply_refusal(form, exc)
        else:
            session.clear()  # a fresh session at login (no fixation)
            start_session(user)
            db.session.commit()
            login_user(user)
            flash(_("You are logged in."), "success")
            return redirect(url_for("public.home"))
    return render_template("account/login.html", form=form)


@bp.post("/uitloggen")
def logout() -> object:
    if current_user.is_authenticated:
        from portal.services import audit

        end_session(current_user.session_token)
        audit.record("logout", actor=current_user, object_type="user", object_id=current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("account.login"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password() -> object:
    form = EmailForm()
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data or "")
        except Refused as exc:
            db.session.rollback()
            apply_refusal(form, exc)
        else:
            db.session.commit()
            return _notice(
                _("Check your email"),
                _(
                    "If this address has an account, we have sent a link to choose a new password. "
                    "The link works for one hour."
                ),
            )
    return render_template(
        "account/email_form.html",
        form=form,
        title=_("Forgot your password?"),
        intro=_("Enter your email address. We send you a link to choose a new password."),
        button=_("Send link"),
    )


def _token_form(token: str, purpose: str, title: str, intro: str) -> object:
    try:
        peek_token(token, purpose)
    except Refused as exc:
        return _notice(_("Link not valid"), message(exc.problems[0].code), 400)
    form = NewPasswordForm()
    if form.validate_on_submit():
        action = accounts.reset_password if purpose == "reset_password" else accounts.accept_invite
        try:
            action(token, form.password.data or "")
        except Refused as exc:
            db.session.rollback()
            apply_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("Your password is set. You can log in now."), "success")
            return redirect(url_for("account.login"))
    return render_template("account/new_password.html", form=form, title=title, intro=intro)


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> object:
    return _token_form(
        token,
        "reset_password",
        _("Choose a new password"),
        _("After this, you are logged out everywhere else."),
    )


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> object:
    return _token_form(
        token, "invite", _("Accept the invitation"), _("Choose a password for your account.")
    )


@bp.after_request
def _no_referrer_for_tokens(response: object) -> object:
    # Keep one-time tokens out of Referer headers of anything the page links to.
    if request.endpoint in {"account.verify", "account.reset_password", "account.accept_invite"}:
        response.headers["Referrer-Policy"] = "no-referrer"  # type: ignore[attr-defined]
    return response
