"""The organisation's contact details page (interface layer, issue 20): its administrator sets
the phone number the inspectors see on the address page. Registers on the org blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.forms import apply_refusal
from portal.forms.profile import PhoneForm
from portal.models import Organisation
from portal.services import organisation_profile
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views.guards import require_role
from portal.views.org import bp
from portal.views.transaction import commit_point


@bp.route("/contactgegevens", methods=["GET", "POST"])
def contact_details() -> object:
    require_role("org_admin")
    organisation = get_scoped_or_404(
        Organisation, current_user.organisation_id, scope_of(current_user)
    )
    form = PhoneForm(phone=organisation.phone)
    if form.validate_on_submit():
        with commit_point() as outcome:
            organisation_profile.set_phone(current_user, form.phone.data or "")
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            flash(_("The phone number has been saved."), "success")
            return redirect(url_for("org.dashboard"), 303)
    return render_template("org/contact_details.html", form=form, organisation=organisation)
