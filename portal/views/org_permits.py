"""The housing provider's permits and renewal applications, on the organisation blueprint
(interface layer). Everything is scoped to the user's organisation as permit holder; another
organisation's permit, application or document is 404."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from portal import clock
from portal.domain.permit_applications import MAX_DOCUMENT_BYTES, renewal_start
from portal.forms import apply_refusal
from portal.forms.permit_applications import AnswerForm, RenewalForm
from portal.models import Organisation, Permit, PermitApplication, PermitDocument
from portal.services import permit_applications as service
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views import refused_forms
from portal.views.downloads import document_download, receipt_download
from portal.views.guards import allow_uploads
from portal.views.limits import too_many_uploads
from portal.views.org import bp
from portal.views.transaction import commit_point

allow_uploads(bp, "org.permit_renew", "org.permit_application_answer")


@bp.context_processor
def _permit_helpers() -> dict[str, Any]:
    def provider_permit_summary(_organisation: Organisation) -> service.PermitSummary:
        return service.permit_summary(scope_of(current_user))

    return {"provider_permit_summary": provider_permit_summary}


def _upload(value: Any) -> service.Upload | None:
    """The uploaded file's name and bytes, read with a cap just above the limit."""
    if not isinstance(value, FileStorage) or not value.filename:
        return None
    return service.Upload(value.filename, value.stream.read(MAX_DOCUMENT_BYTES + 1))


def _locale() -> str:
    return str(get_locale() or "nl")


@bp.get("/vergunningen")
def permits() -> str:
    scope = scope_of(current_user)
    organisation = get_scoped_or_404(Organisation, current_user.organisation_id, scope)
    # The start page's to-do links: ?state=to_renew (permits) and ?status=… (applications).
    to_renew = request.args.get("state") == "to_renew"
    status = request.args.get("status", "")
    status = status if status in service.APPLICATION_FILTERS else ""
    sort = service.PROVIDER_SORTS.parse(request.args.get("sort"), request.args.get("dir"))
    return render_template(
        "org/permits.html",
        organisation=organisation,
        rows=service.provider_permits(scope, to_renew=to_renew, sort=sort),
        sort=sort,
        applications=service.applications(scope, status),
        to_renew=to_renew,
        status=status,
        today=clock.today(),
    )


@bp.route("/vergunningen/<int:permit_id>/verlengen", methods=["GET", "POST"])
def permit_renew(permit_id: int) -> object:
    scope = scope_of(current_user)
    permit = get_scoped_or_404(Permit, permit_id, scope)
    form = RenewalForm()
    if request.method == "GET":
        # A renewal continues the permit: the form starts from the day after it ends (today
        # for a permit without an end date) and the current maximum; the applicant changes
        # what they need.
        form.requested_from.data = renewal_start(permit.valid_until, clock.today())
        form.requested_max_occupants.data = permit.max_occupants
    if form.validate_on_submit():
        if (limited := too_many_uploads()) is not None:
            return limited
        renewal = service.RenewalRequest(
            requested_from=form.requested_from.data,
            requested_until=form.requested_until.data,
            requested_max_occupants=form.requested_max_occupants.data,
            note=form.note.data or "",
            floor_plan=_upload(form.floor_plan.data),
        )
        with commit_point() as outcome:
            application = service.apply_for_renewal(current_user, permit, renewal, _locale())
        if outcome.refused:
            apply_refusal(form, outcome.refused, {"permit": "", "note": "note"})
        else:
            flash(
                _(
                    "Your renewal application %(reference)s has been filed.",
                    reference=application.reference,
                ),
                "success",
            )
            return redirect(url_for("org.permit_application", application_id=application.id))
    totals = service.declared_totals([permit.address_id], clock.today())
    return render_template(
        "org/permits_renew.html",
        form=form,
        permit=permit,
        state=service.state_of(permit),
        declared_total=totals.get(permit.address_id, 0),
    )


def _application_page(application: PermitApplication, form: AnswerForm) -> str:
    return render_template(
        "org/permits_application.html",
        application=application,
        form=form,
        receipt=service.receipt_of(application),
    )


@bp.get("/vergunningen/aanvragen/<int:application_id>")
def permit_application(application_id: int) -> str:
    application = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    kept = refused_forms.restore(_answer_page(application), {"form": AnswerForm})
    return _application_page(application, kept.get("form") or AnswerForm())


def _answer_page(application: PermitApplication) -> str:
    return f"org.permit_application:{application.id}"


@bp.post("/vergunningen/aanvragen/<int:application_id>/antwoord")
def permit_application_answer(application_id: int) -> object:
    application = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    form = AnswerForm()
    if form.validate_on_submit():
        if (limited := too_many_uploads()) is not None:
            return limited
        with commit_point() as outcome:
            service.answer(
                current_user, application, form.answer.data or "", _upload(form.document.data)
            )
        if not outcome.refused:
            flash(_("Your answer has been sent to the municipality."), "success")
            return redirect(url_for("org.permit_application", application_id=application.id))
        apply_refusal(form, outcome.refused, {"application": ""})
    # Post/redirect/get: back to the application's page with the form's messages (a file
    # chosen is never kept: it is chosen again, as after any refusal).
    flash(_("Nothing was changed. See the message at the form."), "error")
    if not refused_forms.keep(_answer_page(application), "form", form):
        return _application_page(application, form)
    return redirect(url_for("org.permit_application", application_id=application.id), 303)


@bp.get("/vergunningen/aanvragen/<int:application_id>/ontvangstbevestiging.pdf")
def permit_application_receipt(application_id: int) -> Response:
    application = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    receipt = service.receipt_of(application)
    if receipt is None:
        abort(404)
    return receipt_download(receipt)


@bp.get("/vergunningen/documenten/<int:document_id>.pdf")
def permit_document(document_id: int) -> Response:
    return document_download(get_scoped_or_404(PermitDocument, document_id, scope_of(current_user)))
