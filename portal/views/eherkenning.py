"""Log in with eHerkenning (interface layer): to the broker, back, and the first-login form."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.domain.eherkenning import LEVEL_LABELS
from portal.forms import apply_refusal
from portal.forms.account import EherkenningRegistrationForm
from portal.messages import message
from portal.models import User
from portal.services import eherkenning, staff_oidc
from portal.services.errors import Refused
from portal.services.sessions import mark_second_factor, start_session
from portal.settings import signup_mode
from portal.views.transaction import commit_point

bp = Blueprint("eherkenning", __name__)

# A level too low is a refusal of who the person is (403); the rest: the answer was not valid.
FORBIDDEN = ("eherkenning.loa_too_low", "eherkenning.account_inactive")


def _enabled() -> None:
    if not eherkenning.enabled():
        abort(404)


def _log_in(user: User) -> None:
    """A session for a proven person: the login already passed a second factor (eHerkenning at
    EH3 or higher, or a municipality's provider that reported one)."""
    session.clear()
    start_session(user)
    mark_second_factor(user)


def _refused(exc: Refused) -> tuple[str, int]:
    problem = exc.problems[0]
    status = 403 if problem.code in FORBIDDEN else 400
    minimum = LEVEL_LABELS.get(str(current_app.config["EHERKENNING_MIN_LOA"]), "")
    text = message(problem.code, level=problem.detail, minimum=minimum)
    page = render_template("account/eherkenning_refused.html", text=text)
    return page, status


@bp.route("/inloggen/eherkenning")
def start() -> object:
    _enabled()
    return eherkenning.start()


@bp.route("/inloggen/eherkenning/terug")
def callback() -> object:
    _enabled()
    with commit_point(keep_refused=True) as outcome:
        proven = eherkenning.finish()
        user = eherkenning.bound_user(proven)
        if user is not None:
            _log_in(user)
    if outcome.refused:
        return _refused(outcome.refused)
    if user is None:
        eherkenning.remember(proven)
        return redirect(url_for("eherkenning.register"))
    login_user(user)
    flash(_("You are logged in with eHerkenning."), "success")
    return redirect(url_for("public.home"))


@bp.route("/inloggen/eherkenning/gegevens", methods=["GET", "POST"])
def register() -> object:
    _enabled()
    proven = eherkenning.pending()
    if proven is None or current_user.is_authenticated:
        flash(_("Log in with eHerkenning again: the login was not finished in time."), "error")
        return redirect(url_for("account.login"))
    organisation = eherkenning.organisation_of(proven)
    form = EherkenningRegistrationForm()
    if not form.is_submitted():
        if organisation is not None and not organisation.verified:  # to be taken over
            form.organisation_name.data = organisation.name
            form.kinds.data = organisation.kinds
            form.contact_email.data = organisation.contact_email
        if proven.organisation_name:
            form.organisation_name.data = proven.organisation_name
    if form.validate_on_submit():
        data = eherkenning.Registration(
            organisation_name=form.organisation_name.data or "",
            kinds=tuple(form.kinds.data or ()),
            contact_email=form.contact_email.data or "",
            email=form.email.data or "",
            locale=str(get_locale() or "nl"),
            name=form.name.data or "",
        )
        with commit_point() as outcome:
            user = eherkenning.register(proven, data)
            eherkenning.forget()
            _log_in(user)
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            login_user(user)
            flash(_("Your account is ready. You are logged in with eHerkenning."), "success")
            return redirect(url_for("public.home"))
    return render_template(
        "account/eherkenning_register.html", form=form, proven=proven, organisation=organisation
    )


@bp.app_context_processor
def _offered() -> dict[str, object]:
    """Whether pages offer eHerkenning (a broker is configured) and the password sign-up."""
    return {
        "eherkenning_enabled": eherkenning.enabled(),
        "signup_open": signup_mode(current_app.config) == "open",
        "staff_providers": staff_oidc.offered,
    }


# --- municipal staff through their municipality's own provider ---------------------------------


def _staff_provider(code: str) -> None:
    if code not in staff_oidc.providers():
        abort(404)


@bp.route("/inloggen/gemeente/<code>")
def staff_start(code: str) -> object:
    _staff_provider(code)
    return staff_oidc.start(code)


@bp.route("/inloggen/gemeente/<code>/terug")
def staff_callback(code: str) -> object:
    _staff_provider(code)
    with commit_point(keep_refused=True) as outcome:
        user = staff_oidc.finish(code)
        _log_in(user)
    if outcome.refused:
        problem = outcome.refused.problems[0]
        status = 400 if problem.code.startswith("eherkenning.") else 403
        page = render_template(
            "account/eherkenning_refused.html",
            title=_("Logging in through your municipality did not succeed"),
            text=message(problem.code),
        )
        return page, status
    login_user(user)
    flash(_("You are logged in through your municipality."), "success")
    return redirect(url_for("public.home"))
