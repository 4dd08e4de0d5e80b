"""Uploading a batch of declarations as CSV, on the organisation blueprint (interface layer).

Upload → dry run (every bad row on screen and as a CSV with an error column) → the user files the
valid rows or nothing. Between the dry run and the choice the file is kept as a ``BatchUpload``
under a random token, scoped to the organisation and the user, and removed after either choice.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from portal import clock
from portal.domain.batches import COLUMNS, MAX_BYTES, example_row
from portal.forms.batches import BatchChoiceForm, BatchUploadForm
from portal.messages import message
from portal.models import Batch, BatchUpload
from portal.presentation import exports
from portal.services import audit
from portal.services import batches as service
from portal.services.errors import Refused
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views.downloads import receipt_download
from portal.views.guards import allow_uploads
from portal.views.limits import too_many_uploads
from portal.views.org import bp
from portal.views.transaction import commit_point

allow_uploads(bp, "org.batch_upload")


@bp.context_processor
def _batch_helpers() -> dict[str, Any]:
    def org_recent_batches() -> list[Batch]:
        return service.recent_batches(scope_of(current_user))

    return {"org_recent_batches": org_recent_batches}


def _locale() -> str:
    return str(get_locale() or "nl")


def _refusal_text(exc: Refused) -> list[str]:
    texts = []
    for problem in exc.problems:
        text = message(problem.code)
        if problem.code == "batch.header" and problem.detail:
            text += " " + _("Missing: %(columns)s.", columns=problem.detail)
        texts.append(text)
    return texts


def _upload_or_404(token: str) -> BatchUpload:
    upload = service.find_upload(token, scope_of(current_user), current_user.id)
    if upload is None:
        abort(404)
    return upload


@bp.route("/meldingen/bulk", methods=["GET", "POST"])
def batch_upload() -> object:
    form = BatchUploadForm()
    errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        if (limited := too_many_uploads()) is not None:
            return limited
        storage = form.file.data
        assert isinstance(storage, FileStorage)
        try:
            raw = storage.stream.read(MAX_BYTES + 1)
        finally:
            storage.close()
        with commit_point() as outcome:
            check = service.check_csv(raw, current_user.organisation_id)
            upload = service.keep_upload(
                raw,
                storage.filename or "",
                current_user.organisation_id,
                current_user.id,
                check.total,
                len(check.bad_lines),
            )
            audit.record(
                "batch.upload",
                actor=current_user,
                object_type="batch_upload",
                object_id=upload.id,
                detail=f"rows={check.total};bad_rows={len(check.bad_lines)}",
            )
        if outcome.refused:
            errors = _refusal_text(outcome.refused)
            status = 422
        else:
            return redirect(url_for("org.batch_check", token=upload.token))
    elif request.method == "POST":
        status = 422
    scope = scope_of(current_user)
    return render_template(
        "org/batch_upload.html",
        form=form,
        errors=errors,
        batches=service.recent_batches(scope, limit=20),
        waiting=service.uploads_with_errors(scope, current_user.id),
    ), status


@bp.get("/meldingen/bulk/sjabloon.csv")
def batch_template() -> Response:
    data = exports.excel_csv(list(COLUMNS), [list(example_row(clock.today()))])
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bulkmelding-sjabloon.csv"'},
    )


@bp.get("/meldingen/bulk/controle/<token>")
def batch_check(token: str) -> object:
    upload = _upload_or_404(token)
    with commit_point() as outcome:
        check = service.check_csv(upload.content, upload.organisation_id)
    if outcome.refused:  # the date moved on since the upload: show the refusal
        for text in _refusal_text(outcome.refused):
            flash(text, "error")
        return redirect(url_for("org.batch_upload"))
    return render_template(
        "org/batch_check.html",
        upload=upload,
        check=check,
        problems=[(p.line, p.field, message(p.code, p.detail)) for p in check.problems],
        form=BatchChoiceForm(),
    )


@bp.get("/meldingen/bulk/controle/<token>/fouten.csv")
def batch_errors(token: str) -> Response:
    upload = _upload_or_404(token)
    check = service.check_csv(upload.content, upload.organisation_id)
    by_line: dict[int, list[str]] = {}
    for problem in check.problems:
        by_line.setdefault(problem.line, []).append(
            f"{problem.field}: {message(problem.code, problem.detail)}"
        )
    width = len(check.header)
    rows = [
        [line, *(check.bad_cells[line] + [""] * width)[:width], " | ".join(texts)]
        for line, texts in sorted(by_line.items())
    ]
    data = exports.excel_csv([_("line"), *check.header, _("error")], rows)
    with commit_point():
        audit.record(
            "batch.errors_export",
            actor=current_user,
            object_type="batch_upload",
            object_id=upload.id,
            detail=f"rows={len(rows)}",
        )
    filename = f"bulkmelding-fouten-{clock.today().isoformat()}.csv"
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/meldingen/bulk/controle/<token>")
def batch_choose(token: str) -> object:
    form = BatchChoiceForm()
    if not form.validate_on_submit():
        abort(400)
    upload = _upload_or_404(token)
    if request.form.get("choice") == "file":
        with commit_point() as outcome:
            _check, result = service.file_upload(upload, current_user, locale=_locale())
        if outcome.refused:
            for text in _refusal_text(outcome.refused):
                flash(text, "error")
            if outcome.refused.problems[0].code == "batch.gone":
                return redirect(url_for("org.batch_upload"))
            return redirect(url_for("org.batch_check", token=token))
        flash(
            _(
                "%(count)s declarations have been filed as batch %(reference)s.",
                count=len(result.references),
                reference=result.batch.reference,
            ),
            "success",
        )
        return redirect(url_for("org.batch_detail", batch_id=result.batch.id))
    upload_id, rows = upload.id, upload.row_count
    with commit_point():
        service.discard_upload(upload)
        audit.record(
            "batch.discard",
            actor=current_user,
            object_type="batch_upload",
            object_id=upload_id,
            detail=f"rows={rows}",
        )
    flash(_("Nothing has been filed. The uploaded file has been removed."), "info")
    return redirect(url_for("org.batch_upload"))


@bp.get("/meldingen/bulk/<int:batch_id>")
def batch_detail(batch_id: int) -> str:
    batch = get_scoped_or_404(Batch, batch_id, scope_of(current_user))
    return render_template(
        "org/batch_detail.html",
        batch=batch,
        receipt=service.batch_receipt(batch),
        declarations=service.batch_references(batch),
    )


@bp.get("/meldingen/bulk/<int:batch_id>/ontvangstbevestiging.pdf")
def batch_receipt_download(batch_id: int) -> Response:
    batch = get_scoped_or_404(Batch, batch_id, scope_of(current_user))
    return receipt_download(service.batch_receipt(batch))
