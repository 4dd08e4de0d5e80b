"""The floor plan upload through the renewal form (issue 21 D): real PDFs, JPEGs and PNGs are
accepted and served back as what they are; a polyglot HTML+PDF, a PDF with JavaScript or a launch
action, a truncated PNG and a renamed program are refused with a clear message at the field, and
nothing is stored. The hostile PDFs are built in tests/unit/test_domain_documents.py."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import PermitDocument
from tests.conftest import login
from tests.helpers import MINIMAL_PDF, image_bytes
from tests.unit.test_domain_documents import JS, LAUNCH, pdf_with
from tests.web.test_permit_applications import _post, _stored, setup  # noqa: F401 (fixture)

POLYGLOT = (
    b"<!DOCTYPE html><html><body><script>fetch('/x?c='+document.cookie)</script></body></html>\n"
    + MINIMAL_PDF
)
REFUSED = {
    "polyglot": (POLYGLOT, "plattegrond.pdf", "This file is not a PDF, JPEG or PNG file."),
    "openaction_js": (pdf_with("open", JS), "plattegrond.pdf", "contains JavaScript"),
    "launch": (pdf_with("annotation", LAUNCH), "plattegrond.pdf", "starts a program"),
    "truncated_png": (image_bytes("PNG")[:-30], "plattegrond.png", "damaged or incomplete"),
    "renamed_exe": (b"MZ\x90\x00\x03" + b"\x00" * 4000, "plattegrond.pdf", "not a PDF, JPEG"),
}
DUTCH = {
    "polyglot": "Dit bestand is geen pdf-, jpeg- of png-bestand.",
    "openaction_js": "bevat JavaScript",
    "launch": "een programma start",
    "truncated_png": "beschadigd of onvolledig",
    "renamed_exe": "geen pdf-, jpeg- of png-bestand",
}
ACCEPTED = {
    "pdf": (MINIMAL_PDF, "Plattegrond zolder.pdf", "application/pdf", ".pdf"),
    "png": (image_bytes("PNG"), "plattegrond.png", "image/png", ".png"),
    "jpeg": (image_bytes("JPEG"), "scan van de plattegrond.jpeg", "image/jpeg", ".jpg"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_hostile_or_broken_upload_is_refused_at_the_field(
    app: Flask,
    client: FlaskClient,
    setup: SimpleNamespace,  # noqa: F811 (the fixture imported above)
    case: str,
    lang: str,
) -> None:
    data, name, english = REFUSED[case]
    login(client, setup.user)
    client.get(f"/?lang={lang}")
    before = _stored(app)
    response = _post(client, setup.permit_id, floor_plan=(io.BytesIO(data), name))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (english if lang == "en" else DUTCH[case]) in page
    assert 'href="#floor_plan"' in page  # the error summary names the field
    assert _stored(app) == before


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_a_real_pdf_jpeg_or_png_is_accepted_and_served_as_what_it_is(
    app: Flask,
    client: FlaskClient,
    setup: SimpleNamespace,  # noqa: F811 (the fixture imported above)
    case: str,
) -> None:
    data, name, mimetype, extension = ACCEPTED[case]
    login(client, setup.user)
    response = _post(client, setup.permit_id, floor_plan=(io.BytesIO(data), name))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        document = db.session.execute(select(PermitDocument)).scalar_one()
        document_id, filename = document.id, document.filename
    assert filename.endswith(extension) and filename.count(".") == 1
    # The URL keeps its old .pdf ending; the type and the download name follow the content.
    download = client.get(f"/organisatie/vergunningen/documenten/{document_id}.pdf")
    assert download.status_code == 200 and download.data == data
    assert download.mimetype == mimetype
    assert download.headers["Content-Disposition"].endswith(f'{extension}"')
