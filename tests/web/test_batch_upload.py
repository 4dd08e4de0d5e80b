"""Uploading a CSV batch through the web: dry run with every bad row, error CSV, file or nothing,
limits, the batch page and receipt, and tenant isolation."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.extensions import db
from portal.models import Batch, BatchUpload, Declaration, Receipt
from portal.services import batches
from tests.batch_support import HEADER, excel_csv, row, seed_register
from tests.conftest import login
from tests.helpers import count

URL = "/organisatie/meldingen/bulk"


@pytest.fixture
def register(app: Flask, make_municipality: Callable[..., Any]) -> list[int]:
    return seed_register(app, 500, make_municipality().id)


def _upload(client: FlaskClient, raw: bytes, name: str = "meldingen.csv") -> Any:
    # The body is built here: werkzeug's test client spools a large one to a temporary file
    # that it never closes (a ResourceWarning that pytest turns into an error).
    boundary = "----batch-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + raw
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        URL + "?lang=en",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _excel_file_with_three_bad_rows() -> bytes:
    start = clock.today() - timedelta(days=2)
    bad = {
        17: {"aantal_bewoners": "zes"},
        250: {"startdatum": "31-02-2026"},
        499: {"toevoeging": '=HYPERLINK("http://evil")'},
    }
    rows = [[*row(i, start, **bad.get(i, {})), "Café"] for i in range(500)]
    return excel_csv(rows, encoding="cp1252", header=[*HEADER, "opmerking"])


def test_dutch_excel_upload_dry_run_then_file_the_valid_rows(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], register: list[int]
) -> None:
    login_as("declarant")
    response = _upload(client, _excel_file_with_three_bad_rows())
    assert response.status_code == 302
    check_url = response.headers["Location"]
    assert count(app, BatchUpload) == 1 and count(app, Declaration) == 0

    page = client.get(check_url + "?lang=en").get_data(as_text=True)
    assert "Rows that can be filed" in page
    assert ">497<" in page
    for line, column in (("19", "aantal_bewoners"), ("252", "startdatum"), ("501", "toevoeging")):
        assert f'<td class="num">{line}</td><td>{column}</td>' in page
    assert page.count('<td class="num">') == 3
    assert 'scope="col"' in page
    assert "File the 497 valid rows" in page

    # The error report: the three bad rows with an error column; formula cells neutralised.
    report = client.get(check_url + "/fouten.csv?lang=en")
    assert report.status_code == 200
    text = report.get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][0] == "line" and table[0][-1] == "error"
    assert [r[0] for r in table[1:]] == ["19", "252", "501"]
    assert "'=HYPERLINK" in text
    cells = [cell for r in table for cell in r]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "Enter a whole number" in table[1][-1]

    response = client.post(check_url, data={"choice": "file"})
    assert response.status_code == 302
    assert count(app, Declaration) == 497
    assert count(app, Batch) == 1
    assert count(app, Receipt) == 498
    assert count(app, BatchUpload) == 0  # removed once filed
    detail = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    with app.app_context():
        batch = db.session.query(Batch).one()
        assert batch.reference in detail
    assert detail.count("/organisatie/meldingen/") >= 497
    pdf = client.get(f"{URL}/{batch.id}/ontvangstbevestiging.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    # The same upload cannot be filed twice.
    assert client.post(check_url, data={"choice": "file"}).status_code == 404
    assert client.get("/organisatie/?lang=en").get_data(as_text=True).count(batch.reference) == 1


def test_file_nothing_stores_nothing_and_removes_the_upload(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], register: list[int]
) -> None:
    login_as("declarant")
    check_url = _upload(client, _excel_file_with_three_bad_rows()).headers["Location"]
    response = client.post(check_url, data={"choice": "discard"})
    assert response.status_code == 302
    assert count(app, Declaration) == 0 and count(app, Batch) == 0 and count(app, Receipt) == 0
    assert count(app, BatchUpload) == 0
    assert client.get(check_url).status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"x" * (batches.MAX_BYTES + 1), "larger than 5 MB"),
        (excel_csv([["x"] * len(HEADER)] * (batches.MAX_ROWS + 1)), "more than 10,000 rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "could not be read as text"),
        (b"naam;adres\r\nA;B\r\n", "Missing: postcode, huisnummer"),
        (excel_csv([]), "no rows to declare"),
    ],
    ids=["5MB+1", "10001-rows", "png", "header", "empty"],
)
def test_refused_files_get_a_clear_message_and_nothing_is_kept(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], raw: bytes, expected: str
) -> None:
    login_as("declarant")
    response = _upload(client, raw)
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    assert count(app, BatchUpload) == 0


def test_a_request_far_over_the_limit_gets_the_413_page(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("declarant")
    response = _upload(client, b"x" * (7 * 1024 * 1024))
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)


def test_template_download_has_the_columns_and_an_example(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("declarant")
    response = client.get(URL + "/sjabloon.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == HEADER
    # A demo-register address starting today: it files as it is on the demo portal
    # (tests/integration/test_readme_commands.py files it there).
    assert lines[1] == f"3539 AA;65;;;;6;4;{clock.today():%d-%m-%Y};;ja;"


def test_other_organisations_batches_uploads_and_receipts_are_404(
    app: Flask, make_user: Callable[..., Any], make_org: Callable[..., Any], register: list[int]
) -> None:
    owner_client, other_client, colleague_client = (
        app.test_client(),
        app.test_client(),
        app.test_client(),
    )
    owner = make_user("declarant")
    with app.app_context():
        from portal.models import User

        org = db.session.get(User, owner.id).organisation  # type: ignore[union-attr]
        db.session.expunge(org)
    colleague = make_user("declarant", org=org)
    login(owner_client, owner)
    login(other_client, make_user("declarant", org=make_org()))
    login(colleague_client, colleague)
    raw = excel_csv([row(i, clock.today()) for i in range(3)])
    check_url = _upload(owner_client, raw).headers["Location"]
    # An upload belongs to its user: another organisation and a colleague both get 404.
    assert other_client.get(check_url).status_code == 404
    assert colleague_client.get(check_url).status_code == 404
    assert other_client.post(check_url, data={"choice": "file"}).status_code == 404
    assert other_client.get(check_url + "/fouten.csv").status_code == 404
    done = owner_client.post(check_url, data={"choice": "file"})
    detail_url = done.headers["Location"]
    assert other_client.get(detail_url).status_code == 404
    assert other_client.get(detail_url + "/ontvangstbevestiging.pdf").status_code == 404
    assert colleague_client.get(detail_url).status_code == 200
    with app.app_context():
        receipt = db.session.query(Receipt).filter(Receipt.batch_id.is_not(None)).one()
        receipt_id = receipt.id
    assert (
        other_client.get(f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf").status_code == 404
    )


def test_upload_page_is_accessible_and_linked_from_the_dashboard(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("declarant")
    dashboard = client.get("/organisatie/?lang=en").get_data(as_text=True)
    assert URL in dashboard
    page = client.get(URL + "?lang=en").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="file"' in page
    assert "<script" not in page
    assert "can take a few seconds" in page


def test_the_batch_receipt_and_each_declaration_receipt_verify_as_authentic(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], register: list[int]
) -> None:
    login_as("declarant")
    check_url = _upload(client, excel_csv([row(i, clock.today()) for i in range(3)])).headers[
        "Location"
    ]
    client.post(check_url, data={"choice": "file"})
    with app.app_context():
        codes = [
            (r.batch_id is not None, r.verification_code)
            for r in db.session.query(Receipt).order_by(Receipt.id)
        ]
    assert sorted(batch for batch, _code in codes) == [False, False, False, True]
    public = app.test_client()
    for is_batch, code in codes:
        page = public.get(f"/verify/{code}?lang=en")
        assert page.status_code == 200, code
        text = page.get_data(as_text=True)
        assert "This receipt is genuine" in text
        if is_batch:
            assert "Batch of declarations" in text and "<dd>3</dd>" in text


def test_the_error_report_can_be_corrected_and_uploaded_again(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], register: list[int]
) -> None:
    login_as("declarant")
    check_url = _upload(client, _excel_file_with_three_bad_rows()).headers["Location"]
    report = client.get(check_url + "/fouten.csv?lang=nl").get_data().decode("utf-8-sig")
    # line number, the file's own columns, the error: the first and last are ignored on upload
    assert ";postcode;huisnummer;" in report.splitlines()[0]
    start = clock.today() - timedelta(days=2)
    corrected = (
        report.replace(";zes;", ";6;")
        .replace("31-02-2026", f"{start.day}-{start.month}-{start.year}")
        .replace('\'=HYPERLINK(""http://evil"")', "")
    )
    client.post(check_url, data={"choice": "file"})
    assert count(app, Declaration) == 497
    again = _upload(client, corrected.encode("utf-8"))
    assert again.status_code == 302
    page = client.get(again.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "All rows are correct." in page, page
    client.post(again.headers["Location"], data={"choice": "file"})
    assert count(app, Declaration) == 500
