"""Pages for municipal admins: the municipality, its occupancy policy and its users (interface
layer). Everything is scoped to the admin's municipality; another municipality's user is 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.forms import apply_refusal
from portal.forms.municipal import (
    DeactivateForm,
    InviteForm,
    PolicyForm,
    apply_policy_refusal,
    default_text,
    figure_text,
)
from portal.messages import message
from portal.models import Municipality, User
from portal.services import municipal_admin
from portal.services.municipalities import default_policy, policy_for
from portal.services.queries import get_scoped_or_404, scope_of
from portal.services.todo import municipal_todo
from portal.views.guards import gate
from portal.views.pagination import paginate
from portal.views.transaction import commit_point

bp = Blueprint("municipal", __name__, url_prefix="/gemeente")
gate(bp, "municipal_admin")


@bp.context_processor
def _figures() -> dict[str, object]:
    return {
        "figure_text": figure_text,
        "default_text": default_text,
        "figures": municipal_admin.FIGURES,
    }


@bp.get("/")
def dashboard() -> str:
    scope = scope_of(current_user)
    municipality = get_scoped_or_404(Municipality, current_user.municipality_id, scope)
    return render_template(
        "municipal/dashboard.html",
        municipality=municipality,
        todo=municipal_todo(scope),
        staff=municipal_admin.municipal_users(scope),
        policy=policy_for(municipality.id, clock.today()),
        defaults=default_policy(),
    )


@bp.route("/beleid", methods=["GET", "POST"])
def policy() -> object:
    scope = scope_of(current_user)
    overview = municipal_admin.policy_overview(scope)
    prefill = municipal_admin.policy_form_data(overview, request.args.get("vanaf"))
    form = PolicyForm(data=prefill, defaults=overview.defaults)
    if form.validate_on_submit():
        with commit_point() as outcome:
            row = municipal_admin.set_policy(current_user, form.draft(), replace=form.replace.data)
        if outcome.refused:
            apply_policy_refusal(form, outcome.refused)
        else:
            when = format_date(row.effective_from, "d MMMM y")
            flash(_("The new policy applies from %(date)s.", date=when), "success")
            return redirect(url_for("municipal.policy"))
    return render_template("municipal/policy.html", form=form, overview=overview)


@bp.get("/mislukte-mail")
def failed_mail() -> str:
    """Mail to the municipality's people that could not be delivered (the start page counts it)."""
    page = paginate(municipal_admin.failed_mail_query(scope_of(current_user)))
    return render_template("municipal/failed_mail.html", page=page)


@bp.get("/gebruikers")
def users() -> str:
    users = municipal_admin.municipal_users(scope_of(current_user))
    return render_template("municipal/users.html", users=users, form=DeactivateForm())


@bp.route("/gebruikers/uitnodigen", methods=["GET", "POST"])
def invite() -> object:
    form = InviteForm()
    if form.validate_on_submit():
        with commit_point() as outcome:
            email = municipal_admin.invite_user(
                current_user, form.email.data or "", form.role.data, form.name.data or ""
            )
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            # The same words whether or not the address has an account (no enumeration).
            flash(_("An invitation has been sent to %(email)s.", email=email), "success")
            return redirect(url_for("municipal.users"))
    return render_template("municipal/invite.html", form=form)


@bp.post("/gebruikers/<int:user_id>/deactiveren")
def deactivate(user_id: int) -> object:
    if not DeactivateForm().validate_on_submit():
        abort(400)
    target = get_scoped_or_404(User, user_id, scope_of(current_user))
    myself = target.id == current_user.id
    with commit_point() as outcome:
        municipal_admin.deactivate_user(current_user, target)
    if outcome.refused:
        flash(message(outcome.refused.problems[0].code), "error")
        return redirect(url_for("municipal.users"))
    flash(
        _("%(email)s has been deactivated and can no longer log in.", email=target.email), "success"
    )
    return redirect(url_for("account.login" if myself else "municipal.users"))
