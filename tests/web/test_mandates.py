"""Mandates (issue 18, item 4): an employer's administrator grants and revokes a mandate; a
staffing agency files for the employer only under a mandate in force — the form, the API and the
CSV upload give the same refusal (``declared_for.no_mandate``) otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Declaration, Mandate, Organisation, OutboxMessage, User
from tests.batch_support import excel_csv, row, seed_register
from tests.conftest import create_org, create_user, login
from tests.helpers import count

EMPLOYER_KVK = "80000013"
AGENCY_KVK = "80000011"
NO_MANDATE_EN = "You have no mandate in force today to declare for the organisation"
NO_MANDATE_NL = "U hebt vandaag geen geldige machtiging"


@dataclass
class Parties:
    employer: Organisation
    agency: Organisation
    employer_admin: User
    agency_admin: User
    agency_declarant: User


@pytest.fixture
def parties(app: Flask) -> Parties:
    employer = create_org(app, "Kwekerij Proef B.V.", EMPLOYER_KVK, ("employer",))
    agency = create_org(app, "Uitzendbureau Proef B.V.", AGENCY_KVK, ("staffing_agency",))
    return Parties(
        employer,
        agency,
        create_user(app, "org_admin", org=employer),
        create_user(app, "org_admin", org=agency),
        create_user(app, "declarant", org=agency),
    )


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    return client


def _grant(client: FlaskClient, kvk: str = AGENCY_KVK, **changes: str) -> Any:
    data = {"kvk": kvk, "start_on": clock.today().isoformat(), "end_on": "", **changes}
    return client.post("/organisatie/machtigingen/nieuw?lang=en", data=data)


def _mandate(app: Flask) -> Mandate:
    with app.app_context():
        mandate = db.session.execute(select(Mandate)).scalar_one()
        db.session.expunge(mandate)
        return mandate


def _form(address_id: int, **changes: str) -> dict[str, str]:
    return {
        "occupants": "3",
        "start_date": clock.today().isoformat(),
        "separate_contracts": "yes",
        "declared_for_kvk": EMPLOYER_KVK,
        **changes,
    }


def test_grant_audits_and_emails_both_sides_and_the_agency_sees_it(
    app: Flask, parties: Parties, make_address: Callable[..., Any]
) -> None:
    admin = _client(app, parties.employer_admin)
    page = admin.get("/organisatie/machtigingen?lang=en").get_data(as_text=True)
    assert "Your organisation has not granted any mandates." in page

    response = _grant(admin, end_on=(clock.today() + timedelta(days=90)).isoformat())
    assert response.status_code == 302
    mandate = _mandate(app)
    assert (mandate.grantee_kvk, mandate.start_on) == (AGENCY_KVK, clock.today())
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.organisation_id).where(
                AuditEvent.object_type == "mandate"
            )
        ).all()
        mails = db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.kind).order_by(OutboxMessage.id)
        ).all()
    # One event in each organisation's audit log; an email to each contact address.
    assert sorted(events) == sorted(
        [("mandate.grant", parties.employer.id), ("mandate.grant", parties.agency.id)]
    )
    assert sorted(mails) == sorted(
        [
            (parties.employer.contact_email, "mandate_grant"),
            (parties.agency.contact_email, "mandate_grant"),
        ]
    )
    given = admin.get("/organisatie/machtigingen?lang=en").get_data(as_text=True)
    assert "Uitzendbureau Proef B.V." in given and "In force" in given

    # The agency: read-only, and the employer offered on the declaration form.
    declarant = _client(app, parties.agency_declarant)
    received = declarant.get("/organisatie/machtigingen?lang=en").get_data(as_text=True)
    assert "Kwekerij Proef B.V." in received and "Mandates given" not in received
    assert "intrekken" not in received
    address = make_address()
    form = declarant.get(f"/organisatie/meldingen/nieuw/{address.id}?lang=en")
    text = form.get_data(as_text=True)
    assert f'<option value="{EMPLOYER_KVK}">Kwekerij Proef B.V.</option>' in text
    assert 'list="represented-employers"' in text
    # Only the employer's administrator grants: the agency's declarant may not.
    assert _grant(declarant, kvk="80000099").status_code == 404


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"kvk": EMPLOYER_KVK}, "cannot grant a mandate to itself"),
        ({"kvk": "1234"}, "A KvK number is 8 digits."),
        ({"end_on": "2020-01-01"}, "The end date cannot be in the past."),
    ],
)
def test_grant_refusals_name_the_field(
    app: Flask, parties: Parties, changes: dict[str, str], expected: str
) -> None:
    admin = _client(app, parties.employer_admin)
    response = _grant(admin, **changes)
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    assert count(app, Mandate) == 0


def test_same_refusal_on_the_form_the_api_and_the_csv_upload(
    app: Flask, parties: Parties, make_municipality: Callable[..., Any]
) -> None:
    from portal.services import apikeys

    ids = seed_register(app, 3, make_municipality().id)
    with app.app_context():
        key = apikeys.create_key(
            "Planning", organisation=db.session.get(Organisation, parties.agency.id)
        ).secret
        db.session.commit()
    declarant = _client(app, parties.agency_declarant)
    today = clock.today()

    def file_all() -> tuple[Any, Any, Any]:
        form = declarant.post(f"/organisatie/meldingen/nieuw/{ids[0]}?lang=en", data=_form(ids[0]))
        api = app.test_client().post(
            "/api/v1/declarations",
            json={
                "address": {
                    "postcode": "1000 AB",
                    "house_number": 2,
                    "house_letter": None,
                    "house_number_addition": None,
                },
                "occupants": 2,
                "start_date": today.isoformat(),
                "separate_contracts": True,
                "declared_for_kvk": EMPLOYER_KVK,
            },
            headers={
                "Authorization": f"Bearer {key}",
                "Accept-Language": "en",
                "Idempotency-Key": f"k-{count(app, Declaration)}",
            },
        )
        upload = _upload(declarant, excel_csv([row(2, today, namens_kvk=EMPLOYER_KVK)]))
        return form, api, upload

    # Without a mandate: refused three times with the same message, nothing filed.
    form, api, upload = file_all()
    assert form.status_code == 200 and NO_MANDATE_EN in form.get_data(as_text=True)
    assert api.status_code == 422
    assert api.headers["Content-Type"].startswith("application/problem+json")
    [error] = api.get_json()["errors"]
    assert (error["field"], error["code"]) == ("declared_for_kvk", "declared_for.no_mandate")
    assert NO_MANDATE_EN in error["message"]
    check_page = declarant.get(upload.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "namens_kvk" in check_page and NO_MANDATE_EN in check_page
    assert count(app, Declaration) == 0
    # In Dutch on the form too.
    dutch = declarant.post(f"/organisatie/meldingen/nieuw/{ids[0]}?lang=nl", data=_form(ids[0]))
    assert NO_MANDATE_NL in dutch.get_data(as_text=True)

    # Under a mandate in force: the same three filings are accepted.
    assert _grant(_client(app, parties.employer_admin)).status_code == 302
    form, api, upload = file_all()
    assert form.status_code == 302, form.get_data(as_text=True)[:3000]
    assert api.status_code == 201, api.get_json()
    check_url = upload.headers["Location"]
    assert NO_MANDATE_EN not in declarant.get(check_url + "?lang=en").get_data(as_text=True)
    assert declarant.post(check_url, data={"choice": "file"}).status_code == 302
    with app.app_context():
        kvks = db.session.execute(select(Declaration.declared_for_kvk)).scalars().all()
    assert kvks == [EMPLOYER_KVK] * 3


def _upload(client: FlaskClient, raw: bytes) -> Any:
    boundary = "----mandate-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="meldingen.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + raw
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/organisatie/meldingen/bulk?lang=en",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def test_revoking_stops_the_next_filing_and_amendments_but_not_the_end(
    app: Flask, parties: Parties, make_address: Callable[..., Any]
) -> None:
    admin = _client(app, parties.employer_admin)
    assert (
        _grant(admin, start_on=(clock.today() - timedelta(days=5)).isoformat()).status_code == 302
    )
    mandate = _mandate(app)
    declarant = _client(app, parties.agency_declarant)
    address = make_address(floor_area=300)
    filed = declarant.post(f"/organisatie/meldingen/nieuw/{address.id}", data=_form(address.id))
    assert filed.status_code == 302
    declaration_path = filed.headers["Location"]

    # The revoke link opens a confirmation page; the POST revokes.
    confirm = admin.get(f"/organisatie/machtigingen/{mandate.id}/intrekken?lang=en")
    assert "Yes, revoke the mandate" in confirm.get_data(as_text=True)
    assert count(app, OutboxMessage) == 2  # the grant's; nothing yet for the revocation
    revoked = admin.post(f"/organisatie/machtigingen/{mandate.id}/intrekken")
    assert revoked.status_code == 302
    assert _mandate(app).revoked_at is not None
    with app.app_context():
        kinds = db.session.execute(
            select(OutboxMessage.kind).where(OutboxMessage.kind == "mandate_revoke")
        ).all()
        actions = (
            db.session.execute(
                select(AuditEvent.organisation_id).where(AuditEvent.action == "mandate.revoke")
            )
            .scalars()
            .all()
        )
    assert len(kinds) == 2
    assert sorted(actions) == sorted([parties.employer.id, parties.agency.id])

    # The next filing, the same day, is refused; the earlier declaration stays.
    again = declarant.post(
        f"/organisatie/meldingen/nieuw/{address.id}?lang=en", data=_form(address.id)
    )
    assert again.status_code == 200 and NO_MANDATE_EN in again.get_data(as_text=True)
    assert count(app, Declaration) == 1
    # An amendment of the declaration made for the employer is refused too ...
    declaration_id = declaration_path.rstrip("/").rsplit("/", 1)[1]
    amend = declarant.post(
        f"/organisatie/meldingen/{declaration_id}/wijzigen?lang=en",
        data={"occupants": "2", "effective_date": clock.today().isoformat()},
    )
    assert amend.status_code == 200 and NO_MANDATE_EN in amend.get_data(as_text=True)
    # ... but its end is accepted: the people left, and the register must say so.
    end = declarant.post(
        f"/organisatie/meldingen/{declaration_id}/beeindigen",
        data={"end_date": clock.today().isoformat(), "reason": "returned_home"},
    )
    assert end.status_code == 302
    assert count(app, Declaration) == 2
    # The mandate page shows it revoked, without a second revoke link.
    page = admin.get("/organisatie/machtigingen?lang=en").get_data(as_text=True)
    assert "Revoked on" in page and f"/machtigingen/{mandate.id}/intrekken" not in page


def test_a_mandate_of_another_employer_or_for_another_agency_does_not_count(
    app: Flask, parties: Parties, make_address: Callable[..., Any]
) -> None:
    other_agency = create_org(app, "Ander Uitzendbureau B.V.", "80000022")
    other_employer = create_org(app, "Andere Kwekerij B.V.", "80000033", ("employer",))
    with app.app_context():
        for grantor, holder in (
            (parties.employer.id, other_agency.kvk_number),  # the employer, another agency
            (other_employer.id, AGENCY_KVK),  # this agency, another employer
        ):
            db.session.add(
                Mandate(grantor_organisation_id=grantor, grantee_kvk=holder, start_on=clock.today())
            )
        # This employer and agency, but only from tomorrow.
        db.session.add(
            Mandate(
                grantor_organisation_id=parties.employer.id,
                grantee_kvk=AGENCY_KVK,
                start_on=clock.today() + timedelta(days=1),
            )
        )
        db.session.commit()
    declarant = _client(app, parties.agency_declarant)
    address = make_address()
    response = declarant.post(
        f"/organisatie/meldingen/nieuw/{address.id}?lang=en", data=_form(address.id)
    )
    assert response.status_code == 200 and NO_MANDATE_EN in response.get_data(as_text=True)
    # For itself (no declared_for_kvk) it files as before.
    own = declarant.post(
        f"/organisatie/meldingen/nieuw/{address.id}", data=_form(address.id, declared_for_kvk="")
    )
    assert own.status_code == 302


def test_another_organisations_mandate_cannot_be_revoked(app: Flask, parties: Parties) -> None:
    assert _grant(_client(app, parties.employer_admin)).status_code == 302
    mandate = _mandate(app)
    # The agency's administrator holds the mandate but did not grant it.
    agency_admin = _client(app, parties.agency_admin)
    assert agency_admin.get(f"/organisatie/machtigingen/{mandate.id}/intrekken").status_code == 404
    assert agency_admin.post(f"/organisatie/machtigingen/{mandate.id}/intrekken").status_code == 404
    assert _mandate(app).revoked_at is None


def test_the_declarant_help_explains_mandates(client: FlaskClient) -> None:
    english = client.get("/hulp/melden?lang=en").get_data(as_text=True)
    assert "Declaring on behalf of an employer: mandates" in english
    assert 'href="/organisatie/machtigingen"' in english
    dutch = client.get("/hulp/melden?lang=nl").get_data(as_text=True)
    assert "Melden namens een werkgever: machtigingen" in dutch
