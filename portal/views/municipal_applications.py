"""Renewal applications for the municipal admin, on the municipal blueprint (interface layer):
the list (open first), one application with its documents and conversation, and the three
decisions. Everything is scoped to the admin's municipality; another municipality's application
or document is 404."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from portal import clock
from portal.forms import apply_refusal
from portal.forms.permit_applications import (
    ApplicationFilterForm,
    ApproveForm,
    QuestionForm,
    RejectForm,
)
from portal.models import PermitApplication, PermitDocument
from portal.services import permit_applications as service
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views import refused_forms
from portal.views.downloads import document_download
from portal.views.municipal import bp
from portal.views.pagination import paginate
from portal.views.transaction import commit_point


@bp.context_processor
def _application_helpers() -> dict[str, object]:
    return {"open_application_count": lambda: service.open_count(scope_of(current_user))}


@bp.get("/aanvragen")
def applications() -> str:
    form = ApplicationFilterForm(request.args)
    status = form.status.data if form.status.data in service.APPLICATION_FILTERS else ""
    sort = service.SORTS.parse(request.args.get("sort"), request.args.get("dir"))
    page = paginate(service.applications_query(scope_of(current_user), status, sort))
    return render_template("municipal/applications.html", form=form, page=page, sort=sort)


def _detail(
    application: PermitApplication,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    question_form: QuestionForm | None = None,
) -> str:
    if approve_form is None:
        approve_form = ApproveForm(
            data={
                "valid_from": application.requested_from,
                "valid_until": application.requested_until,
                "max_occupants": application.requested_max_occupants,
            }
        )
    totals = service.declared_totals([application.address_id], clock.today())
    return render_template(
        "municipal/applications_detail.html",
        application=application,
        permit=application.permit,
        state=service.state_of(application.permit),
        declared_total=totals.get(application.address_id, 0),
        approve_form=approve_form,
        reject_form=reject_form or RejectForm(),
        question_form=question_form or QuestionForm(),
        receipt=service.receipt_of(application),
    )


@bp.get("/aanvragen/<int:application_id>")
def application(application_id: int) -> str:
    item = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    return _detail(item, **refused_forms.restore(_page(item), APPLICATION_FORMS))


APPLICATION_FORMS: dict[str, type[FlaskForm]] = {
    "approve_form": ApproveForm,
    "reject_form": RejectForm,
    "question_form": QuestionForm,
}


def _page(item: PermitApplication) -> str:
    return f"municipal.application:{item.id}"


def _decide(
    name: str, form: FlaskForm, item: PermitApplication, act: Callable[[], object], done: str
) -> object:
    """Run one decision: commit and go back to the application; also when it is refused (303,
    post/redirect/get: the form and its messages wait for the page in ``refused_forms``)."""
    if form.validate_on_submit():
        with commit_point() as outcome:
            act()
        if not outcome.refused:
            flash(done, "success")
            return redirect(url_for("municipal.application", application_id=item.id))
        apply_refusal(form, outcome.refused, {"application": ""})
    flash(_("Nothing was changed. See the message at the form."), "error")
    if not refused_forms.keep(_page(item), name, form):
        return _detail(item, **{name: form})
    return redirect(url_for("municipal.application", application_id=item.id), 303)


@bp.post("/aanvragen/<int:application_id>/goedkeuren")
def application_approve(application_id: int) -> object:
    item = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    form = ApproveForm()
    return _decide(
        "approve_form",
        form,
        item,
        lambda: service.approve(
            current_user,
            item,
            service.Approval(
                valid_from=form.valid_from.data,
                valid_until=form.valid_until.data,
                max_occupants=form.max_occupants.data,
                decision_reference=form.decision_reference.data or "",
            ),
        ),
        _("Application %(reference)s approved; the new permit is in the register.")
        % {"reference": item.reference},
    )


@bp.post("/aanvragen/<int:application_id>/afwijzen")
def application_reject(application_id: int) -> object:
    item = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    form = RejectForm()
    return _decide(
        "reject_form",
        form,
        item,
        lambda: service.reject(current_user, item, form.reason.data or ""),
        _("Application %(reference)s rejected.") % {"reference": item.reference},
    )


@bp.post("/aanvragen/<int:application_id>/vraag")
def application_question(application_id: int) -> object:
    item = get_scoped_or_404(PermitApplication, application_id, scope_of(current_user))
    form = QuestionForm()
    return _decide(
        "question_form",
        form,
        item,
        lambda: service.request_information(current_user, item, form.question.data or ""),
        _("Your question on application %(reference)s has been sent.")
        % {"reference": item.reference},
    )


@bp.get("/aanvragen/documenten/<int:document_id>.pdf")
def application_document(document_id: int) -> Response:
    return document_download(get_scoped_or_404(PermitDocument, document_id, scope_of(current_user)))
