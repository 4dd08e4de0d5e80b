"""File downloads shared by the pages (interface layer): receipt PDFs and uploaded documents.

A receipt PDF is rendered on its first download and stored (``services.receipts``); every
download is an audit event. Names in ``Content-Disposition`` are built by the portal, never taken
from an upload (docs/security.md §9; ASVS 5.4.2).
"""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from portal.domain import documents
from portal.models import PermitDocument, Receipt
from portal.services import audit, receipts
from portal.services import permit_applications as applications
from portal.views.limits import too_many_downloads
from portal.views.transaction import commit_point


def attachment(content: bytes, filename: str, mimetype: str = "application/pdf") -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def receipt_download(receipt: Receipt) -> Response:
    """The receipt's PDF for the logged-in user (who may see ``receipt``), audited; 429 beyond
    the user's download limit."""
    if (limited := too_many_downloads()) is not None:
        return limited
    with commit_point():  # a PDF rendered for the first time is stored with the audit event
        pdf = receipts.receipt_pdf(receipt)
        audit.record(
            "receipt.download",
            actor=current_user,
            object_type="receipt",
            object_id=receipt.reference,
        )
    return attachment(pdf, f"ontvangstbevestiging-{receipt.reference}.pdf")


def document_download(document: PermitDocument) -> Response:
    """An uploaded floor plan or attachment for the logged-in user (who may see ``document``),
    audited; 429 beyond the user's download limit."""
    if (limited := too_many_downloads()) is not None:
        return limited
    with commit_point():
        applications.record_document_download(current_user, document)
    return attachment(
        document.content,
        applications.document_download_name(document, document.application),
        mimetype=documents.mime_type(document.content),  # checked at upload: PDF, JPEG or PNG
    )
