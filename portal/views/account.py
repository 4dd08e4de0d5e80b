"""Sign-up, email verification, login with its second step (TOTP), logout, password reset,
invitations (interface layer)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.extensions import login_manager
from portal.forms import apply_refusal
from portal.forms.account import (
    EmailForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    SecondFactorForm,
    SignUpForm,
    TotpConfirmForm,
    TotpStartForm,
)
from portal.messages import message
from portal.services import accounts, totp
from portal.services.errors import Refused
from portal.services.sessions import end_session, start_session
from portal.services.tokens import peek_token
from portal.settings import signup_mode
from portal.views.guards import safe_next
from portal.views.limits import too_many_signups
from portal.views.transaction import commit_point

bp = Blueprint("account", __name__)


def _notice(title: str, text: str, status: int = 200) -> tuple[str, int]:
    return render_template("account/notice.html", title=title, text=text), status


@bp.route("/aanmelden", methods=["GET", "POST"])
def signup() -> object:
    if signup_mode(current_app.config) != "open":
        abort(404)  # SIGNUP_MODE=eherkenning: organisations register at their first login
    form = SignUpForm()
    if form.validate_on_submit():
        if (limited := too_many_signups()) is not None:
            return limited
        data = accounts.SignUp(
            organisation_name=form.organisation_name.data or "",
            kvk_number=form.kvk_number.data or "",
            kinds=tuple(form.kinds.data or ()),
            contact_email=form.contact_email.data or "",
            email=form.email.data or "",
            password=form.password.data or "",
            snf_number=form.snf_number.data or "",
            locale=str(get_locale() or "nl"),
            name=form.name.data or "",
        )
        with commit_point() as outcome:
            accounts.sign_up_organisation(data)
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
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
    with commit_point() as outcome:
        accounts.verify_email(token)
    if outcome.refused:
        return _notice(_("Link not valid"), message(outcome.refused.problems[0].code), 400)
    flash(_("Your email address is confirmed. You can log in now."), "success")
    return redirect(url_for("account.login"))


@bp.route("/account/nieuwe-bevestiging", methods=["GET", "POST"])
def resend_verification() -> object:
    form = EmailForm()
    if form.validate_on_submit():
        with commit_point() as outcome:
            accounts.resend_verification(form.email.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
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
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        # A refused login still commits: its audit event and the counts of the failed attempt
        # (the lock-out) must stay. A right one commits its new session before login_user, so
        # the cookie never names a session that was not stored.
        with commit_point(keep_refused=True) as outcome:
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
            session.clear()  # a fresh session at login (no fixation)
            start_session(user)
            if totp.required_for(user) and not totp.is_enrolled(user):
                totp.start_enrolment(user)  # a fresh secret for this login's set-up
        if outcome.refused:
            apply_refusal(form, outcome.refused)
            page = render_template("account/login.html", form=form)
            return _refused_page(page, outcome.refused)
        login_user(user)
        if totp.asks_second_factor(user):
            # The password was right; the session counts once the second step is done.
            return redirect(url_for("account.second_factor", next=next_url))
        flash(_("You are logged in."), "success")
        return redirect(next_url or url_for("public.home"))
    return render_template("account/login.html", form=form)


def _too_many(exc: Refused) -> bool:
    return exc.problems[0].code in ("totp.too_many", "login.locked")


def _refused_page(page: str, exc: Refused) -> object:
    """The form page again with the reasons; 429 with Retry-After when attempts ran out."""
    if not _too_many(exc):
        return page
    response = make_response(page, 429)
    response.headers["Retry-After"] = exc.problems[0].detail or "60"
    return response


@bp.route("/account/tweede-stap", methods=["GET", "POST"])
def second_factor() -> object:
    """The second step of a login: a code from the authenticator app, or a recovery code."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    next_url = safe_next(request.args.get("next"))
    if not totp.second_factor_pending(current_user):
        return redirect(next_url or url_for("public.home"))
    if not totp.is_enrolled(current_user):
        return redirect(url_for("account.totp_enrol", next=next_url))
    form = SecondFactorForm()
    if form.validate_on_submit():
        # A wrong code commits too: its audit event and the attempt count must stay.
        with commit_point(keep_refused=True) as outcome:
            result = totp.verify_second_factor(current_user, form.code.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
            page = render_template("account/totp_prompt.html", form=form)
            return _refused_page(page, outcome.refused)
        flash(_("You are logged in."), "success")
        if result.method == "recovery_code":
            flash(
                _(
                    "You used a recovery code. Recovery codes left: %(n)s.",
                    n=result.recovery_codes_left,
                ),
                "info",
            )
        return redirect(next_url or url_for("public.home"))
    return render_template("account/totp_prompt.html", form=form)


@bp.post("/account/tweede-stap/starten")
def totp_start() -> object:
    """Start (or restart) setting up the authenticator app: a fresh secret."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    next_url = safe_next(request.args.get("next"))
    if TotpStartForm().validate_on_submit() and not totp.is_enrolled(current_user):
        with commit_point():
            totp.start_enrolment(current_user)
    return redirect(url_for("account.totp_enrol", next=next_url))


@bp.route("/account/tweede-stap/instellen", methods=["GET", "POST"])
def totp_enrol() -> object:
    """Set up the authenticator app: QR code and secret, one code to confirm, then the
    recovery codes, shown this once."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    next_url = safe_next(request.args.get("next"))
    if totp.is_enrolled(current_user):
        return redirect(url_for("account.second_factor", next=next_url))
    secret = totp.pending_secret(current_user)
    form = TotpConfirmForm()
    if secret is not None and form.validate_on_submit():
        # A wrong code commits too: its audit event and the attempt count must stay.
        with commit_point(keep_refused=True) as outcome:
            codes = totp.confirm_enrolment(current_user, form.code.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
            return _refused_page(_enrol_page(form, secret, next_url), outcome.refused)
        return render_template(
            "account/totp_recovery_codes.html",
            codes=codes,
            continue_url=next_url or url_for("public.home"),
            first_time=True,
        )
    return _enrol_page(form, secret, next_url)


def _enrol_page(form: TotpConfirmForm, secret: str | None, next_url: str | None) -> str:
    uri = totp.provisioning_uri(current_user, secret) if secret else None
    return render_template(
        "account/totp_enrol.html",
        form=form,
        start_form=TotpStartForm(),
        secret=totp.grouped(secret) if secret else None,
        qr=totp.qr_data_uri(uri) if uri else None,
        issuer=totp.ISSUER,
        next_url=next_url,
        required=totp.required_for(current_user),
    )


@bp.route("/account/tweestapsverificatie", methods=["GET", "POST"])
def two_factor() -> object:
    """Two-factor login for one's own account: its state, set it up (organisation users may
    choose to), or replace the recovery codes after a fresh code."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if totp.second_factor_pending(current_user):
        return redirect(url_for("account.second_factor", next=request.path))
    enrolled = totp.is_enrolled(current_user)
    form = TotpConfirmForm()
    if enrolled and form.validate_on_submit():
        # A wrong code commits too: its audit event and the attempt count must stay.
        with commit_point(keep_refused=True) as outcome:
            codes = totp.new_recovery_codes(current_user, form.code.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
            return _refused_page(_two_factor_page(form, enrolled), outcome.refused)
        return render_template(
            "account/totp_recovery_codes.html",
            codes=codes,
            continue_url=url_for("account.two_factor"),
            first_time=False,
        )
    return _two_factor_page(form, enrolled)


def _two_factor_page(form: TotpConfirmForm, enrolled: bool) -> str:
    return render_template(
        "account/totp_settings.html",
        form=form,
        start_form=TotpStartForm(),
        enrolled=enrolled,
        required=totp.required_for(current_user),
        codes_left=totp.remaining_recovery_codes(current_user) if enrolled else 0,
    )


@bp.route("/account", methods=["GET", "POST"])
def profile() -> object:
    """One's own account: the name colleagues see, the email address, the role."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if totp.second_factor_pending(current_user):
        return redirect(url_for("account.second_factor", next=request.path))
    form = ProfileForm(data={"name": current_user.display_name or ""})
    if form.validate_on_submit():
        with commit_point() as outcome:
            changed = accounts.set_display_name(current_user, form.name.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            if changed:
                flash(_("Your name has been saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("account.profile"), 303)
    return render_template("account/profile.html", form=form)


@bp.post("/uitloggen")
def logout() -> object:
    if current_user.is_authenticated:
        from portal.services import audit

        with commit_point():
            end_session(current_user.session_token)
            audit.record(
                "logout", actor=current_user, object_type="user", object_id=current_user.id
            )
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("account.login"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password() -> object:
    form = EmailForm()
    if form.validate_on_submit():
        with commit_point() as outcome:
            accounts.request_password_reset(form.email.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
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
        with commit_point() as outcome:
            action(token, form.password.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
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
