"""The permit register pages of the municipal admin (interface layer): the register with filters,
a new permit, a permit to view and change, revoking, the CSV import and the kinds of permit.

Everything is scoped to the admin's municipality; another municipality's permit answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.domain.permits import permit_state, permit_types_of
from portal.forms import apply_refusal
from portal.forms.permits import (
    ImportForm,
    PermitFilterForm,
    PermitForm,
    PermitTypesForm,
    RevokeForm,
)
from portal.messages import message
from portal.models import Municipality, Permit
from portal.services import permit_register
from portal.services.imports import ImportReport
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views.municipal import bp
from portal.views.pagination import paginate
from portal.views.transaction import commit_point, roll_back


def _state(permit: Permit) -> str:
    return permit_state(
        permit.valid_from, permit.valid_until, permit.status == "revoked", clock.today()
    )


@bp.context_processor
def _permit_helpers() -> dict[str, Any]:
    def counts() -> dict[str, int]:
        return permit_register.state_counts(scope_of(current_user), clock.today())

    return {
        "permit_state_of": _state,
        "permit_counts": counts,
        "permit_states": permit_register.STATE_ORDER,
        "message": message,
    }


def _municipality() -> Municipality:
    return get_scoped_or_404(Municipality, current_user.municipality_id, scope_of(current_user))


@bp.get("/vergunningen")
def permits() -> str:
    form = PermitFilterForm(request.args)
    sort = permit_register.SORTS.parse(request.args.get("sort"), request.args.get("dir"))
    stmt = permit_register.permits_query(
        scope_of(current_user),
        state=form.state.data or "",
        permit_type=form.permit_type.data or "",
        text=form.q.data or "",
        today=clock.today(),
        sort=sort,
    )
    return render_template("municipal/permits.html", form=form, page=paginate(stmt), sort=sort)


@bp.route("/vergunningen/nieuw", methods=["GET", "POST"])
def permit_new() -> object:
    form = PermitForm()
    form.set_types(permit_types_of(_municipality().permit_types))
    if form.validate_on_submit():
        with commit_point() as outcome:
            permit = permit_register.create_permit(current_user, form.fields())
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            flash(
                _("Permit %(reference)s has been registered.", reference=permit.decision_reference),
                "success",
            )
            return redirect(url_for("municipal.permit", permit_id=permit.id))
    return render_template("municipal/permit_new.html", form=form)


@bp.route("/vergunningen/<int:permit_id>", methods=["GET", "POST"])
def permit(permit_id: int) -> object:
    permit = get_scoped_or_404(Permit, permit_id, scope_of(current_user))
    form = PermitForm(data=vars(permit_register.permit_fields_of(permit)))
    types = permit_types_of(_municipality().permit_types)
    form.set_types(types if permit.permit_type in types else [*types, permit.permit_type])
    if request.method == "POST" and permit.status == "revoked":
        flash(message("permit.revoked"), "error")
        return redirect(url_for("municipal.permit", permit_id=permit.id))
    if form.validate_on_submit():
        with commit_point() as outcome:
            changed = permit_register.update_permit(current_user, permit, form.fields())
        if outcome.refused:
            permit = get_scoped_or_404(Permit, permit_id, scope_of(current_user))
            apply_refusal(form, outcome.refused)
        else:
            if changed:
                flash(_("The permit has been changed."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("municipal.permit", permit_id=permit.id))
    return render_template("municipal/permit.html", permit=permit, form=form)


@bp.route("/vergunningen/<int:permit_id>/intrekken", methods=["GET", "POST"])
def permit_revoke(permit_id: int) -> object:
    permit = get_scoped_or_404(Permit, permit_id, scope_of(current_user))
    form = RevokeForm()
    if permit.status == "revoked":
        flash(message("permit.already_revoked"), "info")
        return redirect(url_for("municipal.permit", permit_id=permit.id))
    if form.validate_on_submit():
        with commit_point() as outcome:
            permit_register.revoke_permit(current_user, permit, form.reason.data or "")
        if outcome.refused:
            permit = get_scoped_or_404(Permit, permit_id, scope_of(current_user))
            apply_refusal(form, outcome.refused)
        else:
            flash(
                _(
                    "Permit %(reference)s has been revoked. The address is now judged without it.",
                    reference=permit.decision_reference,
                ),
                "success",
            )
            return redirect(url_for("municipal.permit", permit_id=permit.id))
    return render_template("municipal/permit_revoke.html", permit=permit, form=form)


@bp.route("/vergunningen/importeren", methods=["GET", "POST"])
def permits_import() -> object:
    # A file over MAX_CONTENT_LENGTH (2 MiB) never gets here: the app's 413 page explains it.
    form = ImportForm()
    submitted = form.validate_on_submit()
    report = None
    if submitted:
        upload = form.file.data
        data = upload.read() if upload else b""
        if not data:
            form.file.errors = [_("Choose a CSV file to import.")]
        else:
            with commit_point() as outcome:
                report = permit_register.import_for_admin(current_user, data)
                if report.rejected:
                    roll_back()  # all or nothing: a file with a rejected row stores nothing
            if outcome.refused:
                # The file's problems (encoding, missing columns) with their detail, at the field.
                form.file.errors = [
                    message(p.code, p.detail) + (f" ({p.detail})" if p.detail else "")
                    for p in outcome.refused.problems
                ]
            elif report is not None and not report.rejected:
                flash(
                    _(
                        "Permits imported: %(inserted)s new, %(updated)s changed, "
                        "%(unchanged)s unchanged.",
                        inserted=report.inserted,
                        updated=report.updated,
                        unchanged=report.unchanged,
                    ),
                    "success",
                )
                return redirect(url_for("municipal.permits"))
    return _import_page(form, report)


def _import_page(form: ImportForm, report: ImportReport | None) -> str:
    return render_template(
        "municipal/permits_import.html",
        form=form,
        report=report,
        columns=list(permit_register.COLUMNS.values()),
        optional=[permit_register.COLUMNS[n] for n in permit_register.OPTIONAL_COLUMNS],
    )


@bp.route("/vergunningen/soorten", methods=["GET", "POST"])
def permit_types() -> object:
    municipality = _municipality()
    # On a POST only what was ticked counts: nothing ticked must not fall back to the setting.
    current = {"permit_types": permit_types_of(municipality.permit_types)}
    form = PermitTypesForm() if request.method == "POST" else PermitTypesForm(data=current)
    if form.validate_on_submit():
        with commit_point() as outcome:
            permit_register.set_permit_types(current_user, form.permit_types.data or [])
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            flash(_("The kinds of permit have been saved."), "success")
            return redirect(url_for("municipal.permit_types"))
    return render_template("municipal/permit_types.html", form=form)
