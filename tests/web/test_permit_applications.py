"""Renewal applications through the pages: the provider's permit list, the upload checks and the
413 page, the municipal decisions, downloads, verification and tenant isolation.

Sabotage (shown by hand, 2026-11-28): with ``get_scoped_or_404`` in portal/views/org_permits.py
and municipal_applications.py replaced by an unscoped ``db.get_or_404``,
``test_another_organisations_permit_application_and_document_are_404`` and
``test_another_municipalitys_application_is_404`` fail (200 instead of 404).
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import clock
from portal.extensions import db
from portal.models import (
    Flag,
    OutboxMessage,
    Permit,
    PermitApplication,
    PermitDocument,
    Receipt,
    ReferenceNumber,
)
from tests.conftest import PASSWORD, login
from tests.helpers import MINIMAL_PDF

PDF = MINIMAL_PDF  # a real PDF: uploads are parsed (issue 21 D)
EXE = b"MZ\x90\x00\x03" + b"\x00" * 500  # a Windows program


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def _stored(app: Flask) -> tuple[int, ...]:
    return tuple(
        _count(app, m)
        for m in (PermitApplication, PermitDocument, Receipt, ReferenceNumber, OutboxMessage)
    )


@pytest.fixture
def setup(
    app: Flask,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> SimpleNamespace:
    utrecht = make_municipality("GM0344", "Utrecht")
    holder = make_org(name="Huisvesting Test B.V.", kinds=("housing_provider",))
    user = make_user("org_admin", org=holder)
    admin = make_user("municipal_admin", municipality=utrecht)
    address = make_address("3511 AA", 3, municipality=utrecht, floor_area=162, street="Maliebaan")
    today = clock.today()
    with app.app_context():
        permit = Permit(
            address_id=address.id,
            municipality_id=utrecht.id,
            holder_organisation_id=holder.id,
            permit_type="omzettingsvergunning",
            max_occupants=6,
            valid_from=today - timedelta(days=1000),
            valid_until=today + timedelta(days=60),
            decision_reference="UTR-1",
        )
        db.session.add(permit)
        db.session.commit()
        permit_id = permit.id
    return SimpleNamespace(user=user, admin=admin, permit_id=permit_id, holder=holder)


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "requested_from": clock.today().strftime("%d-%m-%Y"),
        "requested_until": "",
        "requested_max_occupants": "10",
        "note": "Zolder verbouwd.",
        "floor_plan": (io.BytesIO(PDF), "plattegrond.pdf"),
    }
    data.update(changes)
    return data


def _multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    """POST ``data`` as multipart, encoded in memory (the test client's own encoder spools large
    bodies to a temporary file it never closes)."""
    values = {
        key: FileStorage(stream=value[0], filename=value[1]) if isinstance(value, tuple) else value
        for key, value in data.items()
    }
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _post(client: FlaskClient, permit_id: int, **changes: Any) -> Any:
    return _multipart(client, f"/organisatie/vergunningen/{permit_id}/verlengen", _form(**changes))


def test_provider_sees_its_permit_as_expiring_with_the_declared_total(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    login(client, setup.user)
    page = client.get("/organisatie/vergunningen?lang=en").get_data(as_text=True)
    assert "Maliebaan 3" in page
    assert "Expires within 90 days" in page
    assert 'data-permit-state="expiring"' in page
    assert f"/organisatie/vergunningen/{setup.permit_id}/verlengen" in page
    dashboard = client.get("/organisatie/").get_data(as_text=True)
    assert "/organisatie/vergunningen" in dashboard
    assert client.get(f"/organisatie/vergunningen/{setup.permit_id}/verlengen").status_code == 200


def test_dashboard_hides_permits_from_an_organisation_without_them(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("declarant")
    assert "/organisatie/vergunningen" not in client.get("/organisatie/").get_data(as_text=True)


def test_apply_then_download_the_receipt(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    login(client, setup.user)
    response = _post(client, setup.permit_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    with app.app_context():
        application = db.session.execute(select(PermitApplication)).scalar_one()
        reference, application_id = application.reference, application.id
    assert reference in page and "Submitted, waiting for a decision" in page
    pdf = client.get(
        f"/organisatie/vergunningen/aanvragen/{application_id}/ontvangstbevestiging.pdf"
    )
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert reference in text and "10" in text
    # A second application for the same permit is refused with a clear message.
    client.get("/?lang=en")
    again = _post(client, setup.permit_id)
    assert again.status_code == 200
    assert "There is already an open renewal application" in again.get_data(as_text=True)
    assert _count(app, PermitApplication) == 1


def test_a_program_renamed_to_pdf_gets_a_clear_message_and_nothing_is_stored(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    login(client, setup.user)
    client.get("/?lang=en")
    before = _stored(app)
    response = _post(client, setup.permit_id, floor_plan=(io.BytesIO(EXE), "plattegrond.pdf"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This file is not a PDF, JPEG or PNG file." in page
    assert 'class="error-summary"' in page
    assert _stored(app) == before


def test_file_of_5_mb_plus_one_byte_gets_the_forms_message(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    login(client, setup.user)
    client.get("/?lang=en")
    before = _stored(app)
    big = PDF[:-6] + b" " * (5 * 1024 * 1024 + 1 - len(PDF)) + b"%%EOF\n"
    assert len(big) == 5 * 1024 * 1024 + 1
    response = _post(client, setup.permit_id, floor_plan=(io.BytesIO(big), "groot.pdf"))
    assert response.status_code == 200
    assert "The file is larger than 5 MB." in response.get_data(as_text=True)
    assert _stored(app) == before
    # Exactly 5 MB is accepted.
    exact = PDF[:-6] + b" " * (5 * 1024 * 1024 - len(PDF)) + b"%%EOF\n"
    assert len(exact) == 5 * 1024 * 1024
    response = _post(client, setup.permit_id, floor_plan=(io.BytesIO(exact), "precies.pdf"))
    assert response.status_code == 302
    assert _count(app, PermitDocument) == 1


def test_file_of_7_mb_gets_the_friendly_413_page(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    login(client, setup.user)
    client.get("/?lang=en")
    before = _stored(app)
    huge = PDF + b"0" * (7 * 1024 * 1024)
    response = _post(client, setup.permit_id, floor_plan=(io.BytesIO(huge), "huge.pdf"))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The upload is too large" in page and "<main" in page
    assert _stored(app) == before


def test_bad_dates_and_maximum_get_messages(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    login(client, setup.user)
    client.get("/?lang=en")
    response = _post(
        client,
        setup.permit_id,
        requested_from="31-02-2027",
        requested_max_occupants="0",
        floor_plan=(io.BytesIO(b""), ""),
    )
    page = response.get_data(as_text=True)
    assert "31 February 2027 does not exist." in page
    response = _post(
        client,
        setup.permit_id,
        requested_until=(clock.today() - timedelta(days=1)).isoformat(),
        requested_max_occupants="10001",
        floor_plan=(io.BytesIO(b""), ""),
    )
    page = response.get_data(as_text=True)
    assert "The last day cannot be before the first day" in page
    assert "between 1 and 10,000" in page
    assert _count(app, PermitApplication) == 0


def _apply(app: Flask, client: FlaskClient, setup: SimpleNamespace) -> int:
    login(client, setup.user)
    assert _post(client, setup.permit_id).status_code == 302
    with app.app_context():
        return int(db.session.execute(select(PermitApplication.id)).scalar_one())


def test_municipal_admin_asks_provider_answers_admin_approves(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    application_id = _apply(app, client, setup)
    admin = app.test_client()
    login(admin, setup.admin)
    admin.get("/?lang=en")
    assert "1 application waits" in admin.get("/gemeente/").get_data(as_text=True)
    listing = admin.get("/gemeente/aanvragen").get_data(as_text=True)
    assert f"/gemeente/aanvragen/{application_id}" in listing
    detail = admin.get(f"/gemeente/aanvragen/{application_id}").get_data(as_text=True)
    assert 'value="10"' in detail  # the approval form is prefilled from the request
    # The floor plan downloads as an attachment under a generated name.
    with app.app_context():
        document_id = db.session.execute(select(PermitDocument.id)).scalar_one()
    doc = admin.get(f"/gemeente/aanvragen/documenten/{document_id}.pdf")
    assert doc.status_code == 200 and doc.mimetype == "application/pdf" and doc.data == PDF
    assert doc.headers["Content-Disposition"].startswith('attachment; filename="plattegrond-MH-')

    # An empty question is refused with a message.
    empty = admin.post(f"/gemeente/aanvragen/{application_id}/vraag", data={"question": ""})
    # Post/redirect/get: back to the application's page, which shows the message.
    assert (empty.status_code, empty.headers["Location"]) == (
        303,
        f"/gemeente/aanvragen/{application_id}",
    )
    shown = admin.get(empty.headers["Location"]).get_data(as_text=True)
    assert "Write the question for the applicant." in shown and 'role="alert"' in shown
    asked = admin.post(
        f"/gemeente/aanvragen/{application_id}/vraag", data={"question": "Hoeveel kamers?"}
    )
    assert asked.status_code == 302

    page = client.get(f"/organisatie/vergunningen/aanvragen/{application_id}").get_data(
        as_text=True
    )
    assert "Hoeveel kamers?" in page and "antwoord" in page
    answered = _multipart(
        client,
        f"/organisatie/vergunningen/aanvragen/{application_id}/antwoord",
        {"answer": "Vijf kamers.", "document": (io.BytesIO(PDF), "kamers.pdf")},
    )
    assert answered.status_code == 302

    approved = admin.post(
        f"/gemeente/aanvragen/{application_id}/goedkeuren",
        data={
            "valid_from": clock.today().isoformat(),
            "valid_until": "",
            "max_occupants": "10",
            "decision_reference": "UTR-2",
        },
    )
    assert approved.status_code == 302
    with app.app_context():
        permits = db.session.execute(select(Permit).order_by(Permit.id)).scalars().all()
        assert [(p.max_occupants, p.decision_reference) for p in permits] == [
            (6, "UTR-1"),
            (10, "UTR-2"),
        ]
        kinds = set(db.session.execute(select(OutboxMessage.kind)).scalars())
    assert {
        "permit_application_submitted",
        "permit_application_info_requested",
        "permit_application_answered",
        "permit_application_approved",
    } <= kinds
    # Deciding again is refused with a clear message.
    again = admin.post(
        f"/gemeente/aanvragen/{application_id}/afwijzen", data={"reason": "Toch niet"}
    )
    assert again.status_code == 303
    shown = admin.get(again.headers["Location"]).get_data(as_text=True)
    assert "already been decided" in shown
    assert _count(app, Permit) == 2


def test_reject_needs_a_reason(app: Flask, client: FlaskClient, setup: SimpleNamespace) -> None:
    application_id = _apply(app, client, setup)
    admin = app.test_client()
    login(admin, setup.admin)
    admin.get("/?lang=en")
    page = admin.post(
        f"/gemeente/aanvragen/{application_id}/afwijzen",
        data={"reason": " "},
        follow_redirects=True,
    )
    assert "Give the reason for the rejection." in page.get_data(as_text=True)
    done = admin.post(
        f"/gemeente/aanvragen/{application_id}/afwijzen", data={"reason": "Te weinig ruimte."}
    )
    assert done.status_code == 302
    page = client.get(f"/organisatie/vergunningen/aanvragen/{application_id}").get_data(
        as_text=True
    )
    assert "Te weinig ruimte." in page


def test_verification_page_for_an_application_receipt(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    application_id = _apply(app, client, setup)
    with app.app_context():
        receipt = db.session.execute(
            select(Receipt).where(Receipt.permit_application_id == application_id)
        ).scalar_one()
        code, reference = receipt.verification_code, receipt.reference
    public = app.test_client()
    page = public.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert 'data-status="authentic"' in page
    assert reference in page
    assert "Permit renewal application" in page
    assert "Huisvesting Test B.V." in page and "Utrecht" in page
    assert "Maliebaan 3" in page
    assert 'data-application-status="submitted"' in page


def test_another_organisations_permit_application_and_document_are_404(
    app: Flask, client: FlaskClient, setup: SimpleNamespace, make_user: Callable[..., Any]
) -> None:
    application_id = _apply(app, client, setup)
    with app.app_context():
        document_id = db.session.execute(select(PermitDocument.id)).scalar_one()
    stranger = app.test_client()
    login(stranger, make_user("org_admin"))
    for path in (
        f"/organisatie/vergunningen/{setup.permit_id}/verlengen",
        f"/organisatie/vergunningen/aanvragen/{application_id}",
        f"/organisatie/vergunningen/aanvragen/{application_id}/ontvangstbevestiging.pdf",
        f"/organisatie/vergunningen/documenten/{document_id}.pdf",
    ):
        assert stranger.get(path).status_code == 404, path
    answer = stranger.post(
        f"/organisatie/vergunningen/aanvragen/{application_id}/antwoord", data={"answer": "x"}
    )
    assert answer.status_code == 404
    assert "Maliebaan" not in stranger.get("/organisatie/vergunningen").get_data(as_text=True)


def test_another_municipalitys_application_is_404(
    app: Flask,
    client: FlaskClient,
    setup: SimpleNamespace,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    application_id = _apply(app, client, setup)
    with app.app_context():
        document_id = db.session.execute(select(PermitDocument.id)).scalar_one()
    other = app.test_client()
    login(other, make_user("municipal_admin", municipality=make_municipality("GM1783", "Westland")))
    for path in (
        f"/gemeente/aanvragen/{application_id}",
        f"/gemeente/aanvragen/documenten/{document_id}.pdf",
    ):
        assert other.get(path).status_code == 404, path
    approve = other.post(
        f"/gemeente/aanvragen/{application_id}/goedkeuren",
        data={"valid_from": clock.today().isoformat(), "max_occupants": "10"},
    )
    assert approve.status_code == 404
    assert "Maliebaan" not in other.get("/gemeente/aanvragen").get_data(as_text=True)
    assert _count(app, Permit) == 1


def test_approval_resolves_the_flag_at_the_address(
    app: Flask, client: FlaskClient, setup: SimpleNamespace, make_user: Callable[..., Any]
) -> None:
    from portal.domain.declarations import DeclarationInput
    from portal.models import User
    from portal.services.declarations import file_declaration

    agency = make_user("declarant")
    with app.app_context():
        permit = db.session.get(Permit, setup.permit_id)
        file_declaration(
            db.session.get(User, agency.id),
            DeclarationInput(8, clock.today(), separate_contracts=True),
            address_id=permit.address_id,
        )
        db.session.commit()
        assert db.session.execute(select(Flag.status)).scalar_one() == "open"
    application_id = _apply(app, client, setup)
    admin = app.test_client()
    login(admin, setup.admin)
    admin.post(
        f"/gemeente/aanvragen/{application_id}/goedkeuren",
        data={"valid_from": clock.today().isoformat(), "max_occupants": "10"},
    )
    with app.app_context():
        assert db.session.execute(select(Flag.status)).scalar_one() == "resolved"


def test_with_csrf_on_a_5_mb_plus_one_upload_still_reaches_the_form(
    app: Flask, database_url: str, setup: SimpleNamespace
) -> None:
    """CSRF reads the form in a before_request; the raised upload limit must already be in place
    then (it is set in a URL value preprocessor, which runs first)."""
    from portal import create_app
    from tests.conftest import overrides_for

    csrf_app = create_app({**overrides_for(database_url), "WTF_CSRF_ENABLED": True})
    try:
        client = csrf_app.test_client()
        form_page = client.get("/inloggen").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form_page)
        assert token is not None
        client.post(
            "/inloggen",
            data={"email": setup.user.email, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        url = f"/organisatie/vergunningen/{setup.permit_id}/verlengen"
        page = client.get(url + "?lang=en").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token is not None
        big = PDF[:-6] + b" " * (5 * 1024 * 1024 + 1 - len(PDF)) + b"%%EOF\n"
        response = _multipart(
            client,
            url,
            _form(csrf_token=token.group(1), floor_plan=(io.BytesIO(big), "groot.pdf")),
        )
        assert response.status_code == 200
        assert "The file is larger than 5 MB." in response.get_data(as_text=True)
        huge = _multipart(
            client,
            url,
            _form(
                csrf_token=token.group(1),
                floor_plan=(io.BytesIO(PDF + b"0" * (7 * 1024 * 1024)), "huge.pdf"),
            ),
        )
        assert huge.status_code == 413
    finally:
        with csrf_app.app_context():
            db.engine.dispose()
    assert _count(app, PermitApplication) == 0


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_permit_pages_render_accessibly_in_both_languages(
    app: Flask, client: FlaskClient, setup: SimpleNamespace, lang: str
) -> None:
    application_id = _apply(app, client, setup)
    admin = app.test_client()
    login(admin, setup.admin)
    pages = [
        (client, "/organisatie/"),
        (client, "/organisatie/vergunningen"),
        (client, f"/organisatie/vergunningen/{setup.permit_id}/verlengen"),
        (client, f"/organisatie/vergunningen/aanvragen/{application_id}"),
        (admin, "/gemeente/"),
        (admin, "/gemeente/aanvragen"),
        (admin, f"/gemeente/aanvragen/{application_id}"),
    ]
    for who, path in pages:
        who.get(f"/?lang={lang}")
        response = who.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in page, path
        assert 'href="#content"' in page and "<main" in page, path
        assert "<th>" not in page, path  # table headers carry scope="col"
        assert "<script" not in page, path
        for control in re.findall(r'<(?:input|textarea)[^>]*id="([^"]+)"', page):
            if control != "csrf_token":
                assert f'for="{control}"' in page, (path, control)


def test_a_refused_approval_goes_back_to_the_application_with_the_values_typed(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    application_id = _apply(app, client, setup)
    admin = app.test_client()
    login(admin, setup.admin)
    admin.get("/?lang=en")
    refused = admin.post(
        f"/gemeente/aanvragen/{application_id}/goedkeuren",
        data={"valid_from": "", "max_occupants": "tien", "decision_reference": "UTR-9"},
    )
    assert (refused.status_code, refused.headers["Location"]) == (
        303,
        f"/gemeente/aanvragen/{application_id}",
    )
    page = admin.get(refused.headers["Location"]).get_data(as_text=True)
    assert 'role="alert"' in page and 'href="#max_occupants"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="tien"' in page and 'value="UTR-9"' in page
    assert _count(app, Permit) == 1
    # Shown once: the page is plain again on the next visit.
    assert 'value="UTR-9"' not in admin.get(refused.headers["Location"]).get_data(as_text=True)


def test_a_refused_answer_goes_back_to_the_application_page(
    app: Flask, client: FlaskClient, setup: SimpleNamespace
) -> None:
    application_id = _apply(app, client, setup)
    admin = app.test_client()
    login(admin, setup.admin)
    admin.post(f"/gemeente/aanvragen/{application_id}/vraag", data={"question": "Hoeveel?"})
    client.get("/?lang=en")
    page_url = f"/organisatie/vergunningen/aanvragen/{application_id}"
    refused = _multipart(client, f"{page_url}/antwoord", {"answer": " "})
    assert (refused.status_code, refused.headers["Location"]) == (303, page_url)
    page = client.get(page_url).get_data(as_text=True)
    assert "Write your answer." in page and 'href="#answer"' in page
    done = _multipart(client, f"{page_url}/antwoord", {"answer": "Vijf kamers."})
    assert done.status_code == 302
