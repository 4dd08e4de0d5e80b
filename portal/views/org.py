"""Pages for declarants and organisation admins (interface layer)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.forms import apply_refusal
from portal.forms.org import AddressLookupForm, InviteForm, RemoveForm
from portal.models import Organisation, User
from portal.services import accounts
from portal.services.addresses import lookup_address
from portal.services.errors import Refused
from portal.services.queries import get_scoped_or_404, scope_of, scoped
from portal.views.guards import gate

bp = Blueprint("org", __name__, url_prefix="/organisatie")
gate(bp, "declarant", "org_admin")


def _require_admin() -> None:
    if current_user.role != "org_admin":
        abort(404)


@bp.get("/")
def dashboard() -> str:
    organisation = get_scoped_or_404(
        Organisation, current_user.organisation_id, scope_of(current_user)
    )
    return render_template("org/dashboard.html", organisation=organisation)


@bp.get("/medewerkers")
def members() -> str:
    _require_admin()
    users = (
        db.session.execute(
            scoped(User, scope_of(current_user)).order_by(User.removed_at.is_not(None), User.email)
        )
        .scalars()
        .all()
    )
    return render_template("org/members.html", users=users, remove_form=RemoveForm())


@bp.route("/medewerkers/uitnodigen", methods=["GET", "POST"])
def invite() -> object:
    _require_admin()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = accounts.invite_colleague(current_user, form.email.data or "", form.role.data)
        except Refused as exc:
            db.session.rollback()
            apply_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("org.members"))
    return render_template("org/invite.html", form=form)


@bp.post("/medewerkers/<int:user_id>/verwijderen")
def remove_member(user_id: int) -> object:
    _require_admin()
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    target = get_scoped_or_404(User, user_id, scope_of(current_user))
    try:
        accounts.remove_colleague(current_user, target)
    except Refused as exc:
        db.session.rollback()
        from portal.messages import message

        flash(message(exc.problems[0].code), "error")
        return redirect(url_for("org.members"))
    db.session.commit()
    flash(_("%(email)s has been removed and can no longer log in.", email=target.email), "success")
    if target.id == current_user.id:
        return redirect(url_for("account.login"))
    return redirect(url_for("org.members"))


@bp.get("/adres-zoeken")
def address_lookup() -> str:
    form = AddressLookupForm(request.args)
    result = None
    if request.args and form.validate():
        result = lookup_address(
            form.postcode.data or "",
            form.house_number.data or "",
            form.house_letter.data or None,
            form.house_number_addition.data or None,
        )
        if result.status == "invalid":
            apply_refusal(form, Refused(*result.problems))
    return render_template("org/address_lookup.html", form=form, result=result)
