"""No account enumeration (issue 21 B): invitation (organisation admin, municipal admin),
sign-up and password reset answer the same whether or not an address has an account.

Each form is sent once with an address that has an account (in another tenant: an inspector, the
system administrator, an organisation's employee) and once with an unknown one; the answers must
be equal in status, redirect, flashed messages and the page's main text, with the typed address,
the CSRF token and other per-request values taken out. The owner of an existing account gets a
notice by email (its outbox row); nothing else is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.models import AccountToken, Organisation, OutboxMessage, User
from tests.conftest import create_user, login
from tests.helpers import count, last_mail

UNKNOWN = "nog.geen.account@nieuw.nl"
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')
MAIN = re.compile(r"<main\b.*?</main>", re.S)


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    flashes: tuple[tuple[str, str], ...]
    main: str


def answer(client: FlaskClient, response: TestResponse, typed: str) -> Answer:
    """What the visitor sees, with the typed address and per-request values taken out."""

    def neutral(text: str) -> str:
        text = text.replace(typed, "<address>").replace(typed.lower(), "<address>")
        return CSRF_VALUE.sub(r"\1…\2", text)

    with client.session_transaction() as session:
        flashes = tuple((c, neutral(m)) for c, m in session.pop("_flashes", []))
    page = response.get_data(as_text=True)
    found = MAIN.search(page)
    return Answer(
        response.status_code,
        neutral(response.headers.get("Location", "")),
        flashes,
        neutral(found.group(0) if found else page),
    )


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> TestResponse:
    """POST with no messages left over from before (the login's "you are logged in")."""
    with client.session_transaction() as session:
        session.pop("_flashes", None)
    return client.post(path, data=data)


def rows(app: Flask) -> dict[str, int]:
    return {model.__name__: count(app, model) for model in (User, Organisation, AccountToken)}


def mails_to(app: Flask, recipient: str) -> list[str]:
    from portal.extensions import db

    with app.app_context():
        return [
            m.kind for m in db.session.query(OutboxMessage).filter_by(recipient=recipient).all()
        ]


@pytest.fixture
def accounts(app: Flask, make_municipality, make_org) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    mun = make_municipality("GM0344", "Utrecht")
    other_mun = make_municipality("GM0307", "Amersfoort")
    org = make_org("Alfa B.V.")
    other_org = make_org("Bravo B.V.")
    return {
        "org_admin": create_user(app, "org_admin", org=org, email="beheer@alfa.nl"),
        "municipal_admin": create_user(
            app, "municipal_admin", municipality=mun, email="beheer@utrecht.nl"
        ),
        "inspector": create_user(
            app, "inspector", municipality=other_mun, email="inspecteur@amersfoort.nl"
        ),
        "system_admin": create_user(app, "system_admin", email="systeem@beheer.nl"),
        "employee": create_user(app, "declarant", org=other_org, email="melder@bravo.nl"),
    }


def invite_both_ways(
    app: Flask, client: FlaskClient, path: str, role: str, existing: User
) -> tuple[Answer, Answer]:
    """Invite ``existing``'s address (typed in capitals) and an unknown one: the two answers
    must be equal; then nothing is created for the existing address, and its owner gets a
    notice, not an invitation."""
    before = rows(app)
    known = answer(
        client,
        post(client, path, {"email": existing.email.upper(), "role": role}),
        existing.email.upper(),
    )
    created = rows(app)
    unknown = answer(client, post(client, path, {"email": UNKNOWN, "role": role}), UNKNOWN)
    assert known == unknown
    assert known.status == 302 and known.flashes  # the redirect and its message were compared
    assert created == before
    assert mails_to(app, existing.email) == ["invite_existing"]
    assert rows(app)["User"] == before["User"] + 1
    assert mails_to(app, UNKNOWN) == ["invite"]
    return known, unknown


@pytest.mark.parametrize("target", ["inspector", "system_admin"])
def test_an_org_admins_invitation_answers_the_same_for_an_existing_account(
    app: Flask, client: FlaskClient, accounts: dict[str, Any], target: str
) -> None:
    login(client, accounts["org_admin"])
    invite_both_ways(
        app, client, "/organisatie/medewerkers/uitnodigen", "declarant", accounts[target]
    )
    notice = last_mail(app, accounts[target].email, "invite_existing")
    assert "Alfa B.V." in notice.body_text and "al een account" in notice.body_text
    assert "/inloggen" in notice.body_text and "uitnodiging/" not in notice.body_text


def test_a_municipal_admins_invitation_answers_the_same_for_an_existing_account(
    app: Flask, client: FlaskClient, accounts: dict[str, Any]
) -> None:
    login(client, accounts["municipal_admin"])
    invite_both_ways(
        app, client, "/gemeente/gebruikers/uitnodigen", "inspector", accounts["employee"]
    )
    notice = last_mail(app, accounts["employee"].email, "invite_existing")
    assert "Utrecht" in notice.body_text


def test_the_notice_is_in_the_owners_language(
    app: Flask, client: FlaskClient, accounts: dict[str, Any]
) -> None:
    from portal.extensions import db

    with app.app_context():
        db.session.get(User, accounts["inspector"].id).preferred_locale = "en"
        db.session.commit()
    login(client, accounts["org_admin"])
    post(
        client,
        "/organisatie/medewerkers/uitnodigen",
        {"email": accounts["inspector"].email, "role": "org_admin"},
    )
    notice = last_mail(app, accounts["inspector"].email, "invite_existing")
    assert "already has an account" in notice.body_text
    assert "Organisation administrator" in notice.body_html


SIGNUP = {
    "organisation_name": "Nieuwe Organisatie B.V.",
    "kinds": ["staffing_agency"],
    "contact_email": "info@nieuweorganisatie.nl",
    "password": "een lange zin als wachtwoord",
    "password_repeat": "een lange zin als wachtwoord",
}


def test_sign_up_answers_the_same_for_an_existing_account(
    app: Flask, client: FlaskClient, accounts: dict[str, Any]
) -> None:
    existing = accounts["inspector"].email
    before = rows(app)
    sent = post(client, "/aanmelden", dict(SIGNUP, kvk_number="11112222", email=existing))
    known = answer(client, sent, existing)
    created = rows(app)
    sent = post(client, "/aanmelden", dict(SIGNUP, kvk_number="33334444", email=UNKNOWN))
    unknown = answer(client, sent, UNKNOWN)
    assert known == unknown and known.status == 200 and "<address>" in known.main
    assert created == before
    assert mails_to(app, existing) == ["account_exists"]
    assert rows(app)["Organisation"] == before["Organisation"] + 1


def test_password_reset_answers_the_same_for_an_existing_account(
    app: Flask, client: FlaskClient, accounts: dict[str, Any]
) -> None:
    existing = accounts["employee"].email
    known = answer(client, post(client, "/wachtwoord-vergeten", {"email": existing}), existing)
    unknown = answer(client, post(client, "/wachtwoord-vergeten", {"email": UNKNOWN}), UNKNOWN)
    assert known == unknown and known.status == 200
    assert mails_to(app, existing) == ["reset_password"]
    assert mails_to(app, UNKNOWN) == []
