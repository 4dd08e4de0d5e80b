"""Mandates (machtigingen), on the organisation blueprint (interface layer; issue 18, item 4).

``/organisatie/machtigingen`` lists the mandates the organisation holds (read-only, every
organisation user) and, for its administrators, those it granted; an administrator grants a
mandate on ``…/nieuw`` and revokes one on ``…/<id>/intrekken`` (a confirmation page, then a
POST). Another organisation's mandate is 404 (``services.queries``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.forms import apply_refusal
from portal.forms.mandates import GrantMandateForm, RevokeMandateForm
from portal.models import Mandate, Organisation
from portal.services import mandates
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views.guards import require_role
from portal.views.org import bp
from portal.views.transaction import commit_point


@bp.context_processor
def _mandate_helpers() -> dict[str, Any]:
    def represented_employers() -> dict[str, str]:
        """KvK → name of the organisations the user's organisation may declare for today."""
        if not current_user.is_authenticated or current_user.organisation_id is None:
            return {}
        return mandates.represented_in_force(current_user.organisation_id)

    return {"represented_employers": represented_employers}


@bp.get("/machtigingen")
def mandates_overview() -> str:
    scope = scope_of(current_user)
    organisation = get_scoped_or_404(Organisation, current_user.organisation_id, scope)
    admin = current_user.role == "org_admin"
    return render_template(
        "org/mandates.html",
        organisation=organisation,
        given=mandates.given(scope) if admin else [],
        received=mandates.received(organisation),
        admin=admin,
    )


@bp.route("/machtigingen/nieuw", methods=["GET", "POST"])
def mandate_grant() -> object:
    require_role("org_admin")
    form = GrantMandateForm()
    if form.validate_on_submit():
        request = mandates.GrantRequest(form.kvk.data or "", form.start_on.data, form.end_on.data)
        with commit_point() as outcome:
            mandate = mandates.grant(current_user, request)
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            flash(
                _(
                    "The organisation with KvK number %(kvk)s may now declare on behalf of your "
                    "organisation. Both organisations have been emailed.",
                    kvk=mandate.grantee_kvk,
                ),
                "success",
            )
            return redirect(url_for("org.mandates_overview"))
    return render_template("org/mandate_grant.html", form=form)


@bp.route("/machtigingen/<int:mandate_id>/intrekken", methods=["GET", "POST"])
def mandate_revoke(mandate_id: int) -> object:
    require_role("org_admin")
    mandate = get_scoped_or_404(Mandate, mandate_id, scope_of(current_user))
    form = RevokeMandateForm()
    if form.validate_on_submit():
        with commit_point():
            revoked = mandates.revoke(current_user, mandate)
        if revoked:
            flash(
                _(
                    "The mandate of KvK number %(kvk)s has been revoked. That organisation can no "
                    "longer declare on behalf of yours.",
                    kvk=mandate.grantee_kvk,
                ),
                "success",
            )
        return redirect(url_for("org.mandates_overview"))
    return render_template(
        "org/mandate_revoke.html",
        form=form,
        mandate=mandate,
        status=mandates.mandate_status(mandate),
    )
