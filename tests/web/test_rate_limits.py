"""Rate limits of the browser side (docs/security.md T10, T18; ASVS 2.4.1, 6.3.1, 11.4.2).

Login: 10 failed logins on one account within 15 minutes lock it (429, a neutral message, the
right password refused until the lock ends); one client address may try 100 logins in 15 minutes.
Password reset, sign-up, uploads and PDF downloads have limits of their own. Every count lives in
the database, so two app objects (two gunicorn workers) share it. Time is frozen, never slept.

Sabotage: ``test_lockout_check_has_teeth`` takes the lockout check away (monkeypatch) and shows
that the lockout test's own check then fails.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock, create_app
from portal.extensions import db
from portal.models import AuditEvent, OutboxMessage, Receipt, User
from portal.services import accounts
from portal.services.passwords import hash_password
from tests.conftest import PASSWORD, login, overrides_for
from tests.helpers import count

# 10:05:00 UTC, 5 minutes into a 15-minute window (10:00-10:15).
MOMENT = datetime(2026, 3, 10, 10, 5, tzinfo=UTC)
WRONG = "canary-wrong-password-7f3a9"  # must never reach the audit trail
LOCKED_TEXT = "Too many login attempts"


@pytest.fixture
def second_app(app: Flask) -> Iterator[Flask]:
    """Another gunicorn worker: its own app object, engine and pool on the same database."""
    other = create_app(overrides_for(app.config["DATABASE_URL"]))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _login(client: FlaskClient, email: str, password: str, ip: str = "203.0.113.5") -> Any:
    return client.post(
        "/inloggen?lang=en",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def _neutral(page: Any, email: str) -> str:
    """The page without the typed address (the form shows it again), for comparing pages."""
    return str(page.get_data(as_text=True)).replace(email, "EMAIL")


def _lockout_holds(client: FlaskClient, user: User) -> bool:
    """10 wrong passwords, then the right one: True when the right one is refused with 429."""
    with clock.freeze(MOMENT):
        for _ in range(10):
            _login(client, user.email, WRONG)
        right = _login(client, user.email, PASSWORD)
    return right.status_code == 429 and LOCKED_TEXT in right.get_data(as_text=True)


def test_ten_failures_lock_the_account_and_the_right_password_waits_for_the_window(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("declarant")
    with clock.freeze(MOMENT):
        failures = [_login(client, user.email, WRONG) for _ in range(10)]
        right = _login(client, user.email, PASSWORD)
    assert [r.status_code for r in failures[:9]] == [200] * 9
    assert all("incorrect" in r.get_data(as_text=True) for r in failures[:9])
    assert failures[9].status_code == 429  # the 10th failure locks at once
    assert right.status_code == 429 and LOCKED_TEXT in right.get_data(as_text=True)
    assert "incorrect" not in right.get_data(as_text=True)
    # Not logged in: a page behind the login still sends to the login page.
    assert client.get("/organisatie/").status_code == 302
    # The 10 failures fill the 10:00 window: the lock lasts until the 10:15 window has passed.
    wait = int(right.headers["Retry-After"])
    assert wait == int((datetime(2026, 3, 10, 10, 30, tzinfo=UTC) - MOMENT).total_seconds())
    with clock.freeze(MOMENT + timedelta(seconds=wait - 1)):
        assert _login(client, user.email, PASSWORD).status_code == 429
    with clock.freeze(MOMENT + timedelta(seconds=wait)):
        assert _login(client, user.email, PASSWORD).status_code == 302
    with app.app_context():
        locked = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "login.locked"))
            .scalars()
            .all()
        )
        assert len(locked) == 1
        assert (locked[0].actor_user_id, locked[0].object_id) == (user.id, str(user.id))
        assert locked[0].origin_ip == "203.0.113.5"
        for event in db.session.execute(select(AuditEvent)).scalars():
            row = " ".join(str(v) for v in vars(event).values())
            assert WRONG not in row and PASSWORD not in row


def test_the_lockout_answer_is_the_same_for_any_account_and_any_password(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("declarant")
    ghost = "niemand@example.nl"
    with clock.freeze(MOMENT):
        for _ in range(10):
            _login(client, user.email, WRONG)
            _login(client, ghost, WRONG)
        pages = [
            _login(client, user.email, PASSWORD),
            _login(client, user.email, WRONG),
            _login(client, ghost, PASSWORD),
            _login(client, ghost, WRONG),
        ]
    assert {p.status_code for p in pages} == {429}
    assert {p.headers["Retry-After"] for p in pages} == {pages[0].headers["Retry-After"]}
    texts = {_neutral(p, user.email if n < 2 else ghost) for n, p in enumerate(pages)}
    assert len(texts) == 1  # byte for byte the same page


def test_failures_straddling_a_window_boundary_still_lock(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """9 failures just before 10:15 and the 10th just after: 10 within 20 seconds lock."""
    user = make_user("declarant")
    with clock.freeze(datetime(2026, 3, 10, 10, 14, 50, tzinfo=UTC)):
        assert {_login(client, user.email, WRONG).status_code for _ in range(9)} == {200}
    with clock.freeze(datetime(2026, 3, 10, 10, 15, 10, tzinfo=UTC)):
        assert _login(client, user.email, WRONG).status_code == 429
        assert _login(client, user.email, PASSWORD).status_code == 429


def test_a_good_login_forgets_earlier_failures(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("declarant")
    with clock.freeze(MOMENT):
        for _ in range(9):
            _login(client, user.email, WRONG)
        assert _login(client, user.email, PASSWORD).status_code == 302
        client.post("/uitloggen")
        assert {_login(client, user.email, WRONG).status_code for _ in range(9)} == {200}


def test_lockout_check_has_teeth(
    client: FlaskClient, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sabotage: without the check before the password, the right password gets in."""
    monkeypatch.setattr(accounts.limits, "check_login_allowed", lambda _email: None)
    assert not _lockout_holds(client, make_user("declarant"))


def test_two_workers_share_the_failure_count(
    app: Flask, second_app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user("declarant")
    first, second = app.test_client(), second_app.test_client()
    with clock.freeze(MOMENT):
        for n in range(10):
            _login(first if n % 2 else second, user.email, WRONG)
        assert _login(first, user.email, PASSWORD).status_code == 429
        assert _login(second, user.email, PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_is_stopped_after_100_attempts(
    app: Flask, client: FlaskClient, make_org: Callable[..., Any]
) -> None:
    """200 attempts spread over 50 accounts (4 each, never enough to lock one) from one IP."""
    org = make_org()
    with app.app_context():
        shared = hash_password(PASSWORD)
        for n in range(50):
            db.session.add(
                User(
                    email=f"doelwit{n}@example.nl",
                    role="declarant",
                    organisation_id=org.id,
                    password_hash=shared,
                    email_verified_at=clock.now(),
                )
            )
        db.session.commit()
    with clock.freeze(MOMENT):
        codes = [
            _login(client, f"doelwit{n % 50}@example.nl", WRONG).status_code for n in range(200)
        ]
        other_ip = _login(client, "doelwit0@example.nl", PASSWORD, ip="198.51.100.77")
    assert codes[:100] == [200] * 100
    assert codes[100:] == [429] * 100  # trips at the 101st attempt
    assert other_ip.status_code == 302  # another address is not limited, the account not locked
    with app.app_context():
        noted = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "login.ip_limited"))
            .scalars()
            .all()
        )
        assert [e.origin_ip for e in noted] == ["203.0.113.5"]  # once, not 100 times


def test_password_reset_is_limited_per_address_without_telling(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("declarant")

    def ask(email: str, ip: str = "203.0.113.5") -> Any:
        return client.post(
            "/wachtwoord-vergeten?lang=en", data={"email": email}, environ_base={"REMOTE_ADDR": ip}
        )

    with clock.freeze(MOMENT):
        pages = [ask(user.email) for _ in range(5)] + [ask("niemand@example.nl")]
        assert count(app, OutboxMessage) == 3  # 3 links per address per hour
        assert {p.status_code for p in pages} == {200}
        assert len({p.get_data(as_text=True) for p in pages}) == 1  # limited or not, unknown or not
        # Per client address: 20 requests an hour, whatever the addresses.
        others = [make_user("declarant").email for _ in range(3)]
        for n in range(14):  # 6 + 14 = 20 requests from 203.0.113.5
            ask(f"iemand{n}@example.nl")
        before = count(app, OutboxMessage)
        assert ask(others[0]).status_code == 200
        assert count(app, OutboxMessage) == before  # the 21st request sends nothing
        assert ask(others[1], ip="198.51.100.8").status_code == 200
        assert count(app, OutboxMessage) == before + 1  # another address may ask


def test_sign_up_is_limited_per_address(app: Flask, client: FlaskClient) -> None:
    form = {
        "organisation_name": "Uitzendbureau De Brug B.V.",
        "kvk_number": "12345678",
        "kinds": ["staffing_agency"],
        "contact_email": "info@debrug.nl",
        "email": "anna@debrug.nl",
        "password": "een lange zin als wachtwoord",
        "password_repeat": "een lange zin als wachtwoord",
    }
    with clock.freeze(MOMENT):
        codes = [client.post("/aanmelden", data=form).status_code for _ in range(11)]
        limited = client.post("/aanmelden?lang=en", data=form)
    assert codes == [200] * 10 + [429]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many requests" in limited.get_data(as_text=True)


def _upload(client: FlaskClient) -> Any:
    return client.post(
        "/organisatie/meldingen/bulk?lang=en",
        data={"file": (io.BytesIO(b"niet;een;bestand\r\n"), "meldingen.csv")},
        content_type="multipart/form-data",
    )


def test_uploads_are_limited_per_user_with_a_clear_page(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "UPLOAD_LIMIT", 3)
    login_as("declarant")
    with clock.freeze(MOMENT):
        codes = [_upload(client).status_code for _ in range(3)]
        limited = _upload(client)
        dutch = client.post(
            "/organisatie/meldingen/bulk?lang=nl",
            data={"file": (io.BytesIO(b"x\r\n"), "meldingen.csv")},
            content_type="multipart/form-data",
        )
    assert 429 not in codes
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) == 3600 + 55 * 60  # 10:05 → the end of 11:00-12:00
    text = limited.get_data(as_text=True)
    assert "Too many requests" in text and "wait 115 minutes" in text
    assert dutch.status_code == 429 and 'lang="nl"' in dutch.get_data(as_text=True)
    # Another user of the same organisation has a count of their own.
    other = app.test_client()
    login(other, _colleague(app))
    with clock.freeze(MOMENT):
        assert _upload(other).status_code != 429


def _colleague(app: Flask) -> User:
    with app.app_context():
        me = db.session.execute(select(User)).scalars().first()
        assert me is not None
        colleague = User(
            email="collega@example.nl",
            role="declarant",
            organisation_id=me.organisation_id,
            password_hash=hash_password(PASSWORD),
            email_verified_at=clock.now(),
        )
        db.session.add(colleague)
        db.session.commit()
        db.session.refresh(colleague)
        db.session.expunge(colleague)
        return colleague


def test_receipt_downloads_are_limited_per_user(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_address: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "DOWNLOAD_LIMIT", 2)
    address = make_address(floor_area=100)
    login_as("declarant")
    client.post(
        f"/organisatie/meldingen/nieuw/{address.id}",
        data={
            "occupants": "3",
            "start_date": clock.today().isoformat(),
            "separate_contracts": "yes",
        },
    )
    with app.app_context():
        receipt_id = db.session.execute(select(Receipt.id)).scalar_one()
    path = f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf?lang=en"
    with clock.freeze(MOMENT):
        ok = [client.get(path) for _ in range(2)]
        limited = client.get(path)
    assert [r.status_code for r in ok] == [200, 200] and ok[0].data.startswith(b"%PDF-")
    assert limited.status_code == 429 and limited.mimetype == "text/html"
    assert int(limited.headers["Retry-After"]) == 5 * 60 + 10 * 60  # until 10:20
    assert "Too many requests" in limited.get_data(as_text=True)


def test_totp_attempts_are_counted_across_workers(
    app: Flask, second_app: Flask, make_user: Callable[..., User]
) -> None:
    """10 second-factor attempts per user per 15 minutes, whichever worker answers."""
    from portal.services import totp
    from portal.services.errors import Refused

    user = make_user("inspector")
    codes: list[str] = []
    with clock.freeze(MOMENT):
        for n in range(11):
            with (app if n % 2 else second_app).app_context():
                me = db.session.get(User, user.id)
                assert me is not None
                try:
                    totp.verify_second_factor(me, "000000")
                except Refused as exc:
                    codes.append(exc.problems[0].code)
                db.session.commit()
    assert "totp.too_many" not in codes[:10] and codes[10] == "totp.too_many"


def test_receipt_lookups_are_counted_across_workers(app: Flask, second_app: Flask) -> None:
    """The public /verify page: 30 lookups per client address per 10 minutes, shared."""
    first, second = app.test_client(), second_app.test_client()
    with clock.freeze(MOMENT):
        codes = [
            (first if n % 2 else second).get("/verify/ABCD-EFGH-JKMN").status_code
            for n in range(31)
        ]
    assert 429 not in codes[:30] and codes[30] == 429
