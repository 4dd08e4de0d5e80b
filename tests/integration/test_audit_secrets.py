"""No secrets in the audit trail, the outbox or the logs, and no forged lines (docs/security.md T15;
ASVS 16.2.5, 16.4.1).

Canary secrets go through the real routes: a password (logging in, mistyped into the email
field, a new one at reset and at an invitation), an API key (used, and a wrong one), a TOTP seed
and code (set up at first login), the reset and invitation tokens and the session cookie. Then
every column of every audit row, every outbox message and every log record (all loggers at
DEBUG, SQLAlchemy's statement log included) is searched for them: 0 occurrences. The only
exception is the mail that must carry a token: the reset (and invitation) link is the token, so
that message — and only that one, to its owner — holds it.

CR/LF put into inputs (the email field, an API key name, a declaration's free text) never reaches
an audit row or starts a log line of its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, AuditEvent, OutboxMessage, User
from portal.services import totp
from tests.conftest import login
from tests.helpers import last_mail, link_path

CANARY_PASSWORD = "kanarie-wachtwoord-Q7zX-4411"
CANARY_NEW_PASSWORD = "kanarie-nieuw-wachtwoord-P9wR-5522"
CANARY_INVITE_PASSWORD = "kanarie-uitnodiging-M3kT-6633"
CANARY_WRONG_PASSWORD = "kanarie-fout-wachtwoord-L2jH-7744"
CRLF_EMAIL = "iemand@example.nl\r\nFORGED 2026-01-01 login ok admin"
CRLF_NAME = "Planning\r\nFORGED audit line\nFORGED again"


def _strings(row: Any) -> list[str]:
    return [
        str(getattr(row, column.key))
        for column in row.__table__.columns
        if getattr(row, column.key) is not None
    ]


class Collect(logging.Handler):
    """Every record that reaches the root logger, whatever pytest's capture phase."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def everything(
    request: pytest.FixtureRequest,
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> dict[str, Any]:
    """Run the actions with canaries; returns the canaries (name → value) and what to search."""
    # Every logger at DEBUG: the root, and each named one (SQLAlchemy sets its own to WARNING).
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    collected = Collect()
    logging.getLogger().addHandler(collected)
    request.addfinalizer(lambda: logging.getLogger().removeHandler(collected))
    utrecht = make_municipality("GM0344", "Utrecht")
    org = make_org()
    address = make_address("3511 AB", 12, municipality=utrecht, floor_area=300)
    admin = make_user("org_admin", org=org, password=CANARY_PASSWORD)
    inspector = make_user("inspector", municipality=utrecht, totp=False)
    canaries: dict[str, str] = {"password": CANARY_PASSWORD}

    # Passwords: a good login, a wrong password, the password typed into the email field.
    client = app.test_client()
    client.post("/inloggen", data={"email": admin.email, "password": CANARY_WRONG_PASSWORD})
    client.post("/inloggen", data={"email": CANARY_PASSWORD, "password": CANARY_PASSWORD})
    client.post("/inloggen", data={"email": CRLF_EMAIL, "password": CANARY_PASSWORD})
    login(client, admin, CANARY_PASSWORD)
    canaries["wrong password"] = CANARY_WRONG_PASSWORD
    cookie = client.get_cookie("session")
    assert cookie is not None
    canaries["session cookie"] = cookie.value
    session_data = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    canaries["session token"] = next(
        str(v) for v in session_data.values() if isinstance(v, str) and len(v) >= 32
    )

    # An API key: created on the page (with CR/LF in its name), used, and a wrong one tried.
    page = client.post(
        "/organisatie/api-sleutels", data={"name": CRLF_NAME, "lifetime_days": "30"}
    ).get_data(as_text=True)
    secret = re.search(r"mhk_[A-Za-z0-9_\-]{20,}", page)
    assert secret, page[:2000]
    canaries["api key"] = secret.group(0)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {secret.group(0)}"}
    filed = api.post(
        "/api/v1/declarations",
        json={
            "address": {"postcode": "3511 AB", "house_number": 12},
            "occupants": 3,
            "occupants_registered_brp": 2,
            "start_date": clock.today().isoformat(),
            "end_date": None,
            "separate_contracts": True,
            "declared_for_kvk": None,
        },
        headers={**auth, "Idempotency-Key": "canary-1"},
    )
    assert filed.status_code == 201, filed.get_json()
    wrong_key = secret.group(0)[:-6] + "XXXXXX"
    canaries["wrong api key"] = wrong_key
    api.get("/api/v1/declarations", headers={"Authorization": f"Bearer {wrong_key}"})
    api.get("/api/v1/declarations", headers=auth)
    assert address.id

    # An invitation, accepted with a canary password (the token is in the mail only).
    client.post(
        "/organisatie/medewerkers/uitnodigen",
        data={"email": "nieuw@example.nl", "role": "declarant"},
    )
    invite_path = link_path(last_mail(app, "nieuw@example.nl", "invite"))
    canaries["invite token"] = invite_path.rstrip("/").rsplit("/", 1)[1]
    app.test_client().post(
        invite_path,
        data={"password": CANARY_INVITE_PASSWORD, "password_repeat": CANARY_INVITE_PASSWORD},
    )
    canaries["invite password"] = CANARY_INVITE_PASSWORD
    client.post("/uitloggen")

    # A password reset with a canary new password.
    anonymous = app.test_client()
    anonymous.post("/wachtwoord-vergeten", data={"email": admin.email})
    anonymous.post("/wachtwoord-vergeten", data={"email": CRLF_EMAIL})
    reset_path = link_path(last_mail(app, admin.email, "reset_password"))
    canaries["reset token"] = reset_path.rstrip("/").rsplit("/", 1)[1]
    anonymous.post(
        reset_path, data={"password": CANARY_NEW_PASSWORD, "password_repeat": CANARY_NEW_PASSWORD}
    )
    canaries["new password"] = CANARY_NEW_PASSWORD

    # TOTP: the inspector sets up the app at first login (a fresh seed), a wrong code, a good one.
    staff = app.test_client()
    login(staff, inspector)
    with app.app_context():
        seed = db.session.get(User, inspector.id).totp_secret  # type: ignore[union-attr]
        assert seed
    canaries["totp seed"] = seed
    staff.post("/account/tweede-stap/instellen", data={"code": "12\r\nFORGED"})
    code = totp.code_at(seed, totp.current_step())
    response = staff.post("/account/tweede-stap/instellen", data={"code": code})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    with app.app_context():
        enrolled = db.session.get(User, inspector.id)
        assert enrolled is not None and enrolled.totp_enabled_at is not None
    return {"canaries": canaries, "totp_code": code, "admin": admin, "logged": collected.records}


def test_no_canary_in_any_audit_row(app: Flask, everything: dict[str, Any]) -> None:
    with app.app_context():
        events = list(db.session.execute(select(AuditEvent)).scalars())
        assert len(events) >= 15
        found = [
            (name, event.action)
            for event in events
            for text in _strings(event)
            for name, canary in everything["canaries"].items()
            if canary.lower() in text.lower()
        ]
        assert found == []
        # The 6-digit TOTP code, in every column but the time (microseconds could match).
        code = everything["totp_code"]
        assert [
            e.action
            for e in events
            if any(code in str(getattr(e, c)) for c in ("actor_label", "object_id", "detail"))
        ] == []
        actions = {e.action for e in events}
        assert {"login", "apikey.create", "declaration.new", "api.auth_failed"} <= actions
        assert {"accept_invite", "password_reset", "totp.enrol", "logout"} <= actions


def test_no_forged_lines_in_the_audit_trail(app: Flask, everything: dict[str, Any]) -> None:
    with app.app_context():
        events = list(db.session.execute(select(AuditEvent)).scalars())
        texts = [t for e in events for t in _strings(e)]
        assert [t for t in texts if "\r" in t or "\n" in t] == []
        # The CR/LF-bearing inputs left no trace that a reader could take for a line of its own.
        assert not [t for t in texts if t.startswith("FORGED")]
        # The password typed into the email field is not kept; the label says what happened.
        labels = [e.actor_label for e in events if e.action == "login" and e.result == "failed"]
        assert "invalid-email" in labels


def test_tokens_are_only_in_the_mail_that_must_carry_them(
    app: Flask, everything: dict[str, Any]
) -> None:
    canaries = everything["canaries"]
    mailed = {"reset token": "reset_password", "invite token": "invite"}
    with app.app_context():
        messages = list(db.session.execute(select(OutboxMessage)).scalars())
        assert messages
        found = [
            (name, message.kind)
            for message in messages
            for text in _strings(message)
            for name, canary in canaries.items()
            if canary.lower() in text.lower()
        ]
    # The reset link is the reset token (and the invitation link the invitation token): the
    # mail exists to hand it to the owner of the address. No other secret, no other message.
    assert sorted(set(found)) == sorted(mailed.items())


def test_no_canary_and_no_forged_line_in_the_logs(everything: dict[str, Any]) -> None:
    records: list[logging.LogRecord] = everything["logged"]
    assert records, "nothing was logged: the capture does not work"
    assert any(r.name.startswith("sqlalchemy.engine") for r in records), (
        "SQLAlchemy's statement log was not captured"
    )
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    lines = "\n".join(formatter.format(r) for r in records)
    text = lines + "\n".join(str(r.args) for r in records if r.args)
    leaks = [
        name for name, canary in everything["canaries"].items() if canary.lower() in text.lower()
    ]
    assert leaks == [], [
        text[max(0, text.find(everything["canaries"][n]) - 300) :][:400] for n in leaks
    ]
    assert not [line for line in lines.splitlines() if line.startswith("FORGED")]


def test_the_search_finds_a_canary_that_is_there(
    app: Flask, everything: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The searches above have teeth: a canary written on purpose is found in each place."""
    from portal.services import audit

    with app.app_context():
        audit.record("test.canary", actor_label="x", detail=CANARY_PASSWORD)
        db.session.commit()
        events = list(db.session.execute(select(AuditEvent)).scalars())
        assert any(CANARY_PASSWORD in t for e in events for t in _strings(e))
        key = db.session.execute(select(ApiKey)).scalars().first()
        assert key is not None and everything["canaries"]["api key"] not in key.key_hash
    logging.getLogger("portal.test").debug("leak %s", CANARY_PASSWORD)
    assert CANARY_PASSWORD in caplog.text
    assert clock.now() - timedelta(minutes=5) < clock.now()
