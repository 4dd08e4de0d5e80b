"""The outbox dispatcher over real SMTP on loopback (aiosmtpd), and the failed-mail page.

docs/security.md T4, scaled to run in every test run: alerts for 50 flagged addresses while the
relay is down (nothing listens on its port), then up on the same port and dropping the connection
once mid-batch; dispatcher rounds with the clock moved past the backoff until nothing is pending.
Every alert arrives exactly once: 50 distinct Message-IDs, no duplicates, 0 left pending.

Side by side on PostgreSQL, four dispatchers share the work and never send a message twice
(``FOR UPDATE SKIP LOCKED``; the row stays locked while it is sent). Sabotage (shown by hand,
2026-11-27): with ``SABOTAGE_NO_SKIP_LOCKED=1`` the claim is a plain SELECT without the lock, and
the side-by-side test fails with messages received two to four times. Run:
SABOTAGE_NO_SKIP_LOCKED=1 TEST_DATABASE_URL=… pytest tests/integration/test_dispatcher.py -k side
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from portal import clock, create_app
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import AuditEvent, MunicipalPolicy, OutboxMessage, User
from portal.notifications import dispatcher, sender
from portal.notifications.dispatcher import run_dispatcher
from portal.notifications.outbox import enqueue_email
from portal.notifications.sender import MAX_BACKOFF, SendReport, backoff
from portal.services.declarations import file_declaration
from tests.conftest import PASSWORD, current_totp_code, overrides_for

N = 50


class Sink:
    """An aiosmtpd handler that keeps what it receives; it can be slow, or drop a connection."""

    def __init__(
        self,
        delay: float = 0.0,
        drop_at: int | None = None,
        on_message: Callable[[int], None] | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self.calls = 0
        self.delay = delay
        self.drop_at = drop_at
        self.on_message = on_message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.calls += 1
        if self.calls == self.drop_at:
            # The relay dies mid-message, before it has accepted it.
            server.transport.abort()
            return "421 closing"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content))
        if self.on_message is not None:
            self.on_message(len(self.messages))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def relay() -> Iterator[Callable[..., tuple[Sink, int]]]:
    """Start an SMTP sink (on a given port, or a free one); stopped after the test."""
    controllers: list[Controller] = []

    def start(port: int | None = None, **options: Any) -> tuple[Sink, int]:
        sink = Sink(**options)
        port = port or _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return sink, port

    yield start
    for controller in controllers:
        controller.stop()


def _config(app: Flask, port: int, **extra: Any) -> dict[str, Any]:
    return {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, **extra}


def _quiet(_line: str) -> None:
    pass


def _enqueue(n: int) -> list[int]:
    user = type("U", (), {"email": "x@example.nl"})()
    messages = [
        enqueue_email(f"ontvanger{i}@example.nl", "reset_password", token=f"t{i}", user=user)
        for i in range(n)
    ]
    db.session.commit()
    return [m.id for m in messages]


def _statuses() -> Counter[str]:
    return Counter(db.session.execute(select(OutboxMessage.status)).scalars())


def _expected_ids(app: Flask, ids: list[int]) -> set[str]:
    domain = app.config["MAIL_SENDER"].rpartition("@")[2].rstrip(">")
    return {f"<outbox-{i}@{domain}>" for i in ids}


# --- T4: relay down, then up -------------------------------------------------------------------


def test_every_alert_arrives_exactly_once_after_the_relay_was_down(
    ctx: Flask,
    relay: Callable[..., tuple[Sink, int]],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    municipality = make_municipality()
    db.session.add(
        MunicipalPolicy(
            municipality_id=municipality.id,
            effective_from=clock.today() - timedelta(days=1),
            m2_per_person_dwelling=12,
            m2_per_person_lodging=10,
            no_permit_max_occupants=4,
            late_after_days=3,
            alert_emails="signalen@gemeente.example",
        )
    )
    db.session.commit()
    declarant = db.session.get(User, make_user("declarant").id)
    for number in range(1, N + 1):
        address = make_address("3511 AB", number, municipality=municipality, floor_area=100)
        file_declaration(
            declarant,
            DeclarationInput(occupants=9, start_date=clock.today(), separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()
    ids = list(db.session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id)).scalars())
    assert len(ids) == N
    assert set(db.session.execute(select(OutboxMessage.kind)).scalars()) == {"flag_alert"}

    port = _free_port()  # the relay's port; nothing listens on it yet
    config = _config(ctx, port)
    moment = clock.now()
    started = time.perf_counter()
    for attempt in (1, 2):
        with clock.freeze(moment):
            totals = run_dispatcher(config, once=True, echo=_quiet)
        assert (totals.sent, totals.retried, totals.failed) == (0, N, 0)
        moment += backoff(attempt) + timedelta(seconds=1)
    down_seconds = time.perf_counter() - started
    assert _statuses() == {"pending": N}

    sink, _ = relay(port, drop_at=20)  # up on the same port; drops one connection mid-batch
    rounds = 0
    while _statuses().get("pending") and rounds < 10:
        with clock.freeze(moment):
            run_dispatcher(config, once=True, echo=_quiet)
        moment += MAX_BACKOFF
        rounds += 1
    up_seconds = time.perf_counter() - started - down_seconds

    received = sink.message_ids()
    assert len(received) == N
    assert len(set(received)) == N  # no duplicates
    assert set(received) == _expected_ids(ctx, ids)
    assert _statuses() == {"sent": N}
    assert sink.calls == N + 1  # the dropped delivery was made again on a fresh connection
    assert rounds == 1
    print(
        f"\nT4 (scaled): {N} alerts, relay down for 2 rounds ({down_seconds:.2f} s), then up: "
        f"{len(received)} received, {len(set(received))} distinct Message-IDs, "
        f"{rounds} round(s) ({up_seconds:.2f} s)"
    )


def test_a_dead_relay_costs_one_connect_per_round_not_one_per_message(
    ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enqueue(5)
    connects = 0
    original = sender._connect

    def counting(config: dict[str, Any]) -> Any:
        nonlocal connects
        connects += 1
        return original(config)

    monkeypatch.setattr(sender, "_connect", counting)
    report = sender.send_pending(_config(ctx, _free_port()))
    assert (report.retried, connects) == (5, 1)
    errors = set(db.session.execute(select(OutboxMessage.last_error)).scalars())
    assert len(errors) == 1 and "Error" in errors.pop()


# --- several dispatchers at once ---------------------------------------------------------------


def test_dispatchers_side_by_side_never_send_a_message_twice(
    app: Flask, relay: Callable[..., tuple[Sink, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SKIP LOCKED needs PostgreSQL; on SQLite run one dispatcher")
    if os.environ.get("SABOTAGE_NO_SKIP_LOCKED"):

        def unlocked() -> OutboxMessage | None:
            stmt = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= clock.now(),
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
            )
            return db.session.execute(stmt).scalar_one_or_none()

        monkeypatch.setattr(sender, "_claim_next", unlocked)
    total, workers = 200, 4
    with app.app_context():
        ids = _enqueue(total)
    sink, port = relay(delay=0.005)  # a relay that takes a moment, so the workers overlap
    config = _config(app, port)
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                barrier.wait()
                results.append(run_dispatcher(config, once=True, echo=_quiet))
        except BaseException as exc:
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    seconds = time.perf_counter() - started

    assert errors == []
    received = Counter(sink.message_ids())
    duplicates = {mid: n for mid, n in received.items() if n > 1}
    assert duplicates == {}
    assert set(received) == _expected_ids(app, ids)
    assert sum(r.sent for r in results) == total
    shares = sorted(r.sent for r in results)
    assert sum(1 for s in shares if s > 0) >= 2, shares  # they really ran side by side
    with app.app_context():
        assert _statuses() == {"sent": total}
    print(f"\n{workers} dispatchers, {total} messages in {seconds:.2f} s, shares {shares}")


# --- stopping ----------------------------------------------------------------------------------


def test_sigterm_lets_the_message_being_sent_finish_then_stops(
    ctx: Flask, relay: Callable[..., tuple[Sink, int]]
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers live in the main thread")
    _enqueue(5)

    def terminate(count: int) -> None:
        if count == 1:  # while the dispatcher waits for the relay's answer to the first
            os.kill(os.getpid(), signal.SIGTERM)

    sink, port = relay(on_message=terminate)
    before = signal.getsignal(signal.SIGTERM)
    lines: list[str] = []
    started = time.perf_counter()
    totals = run_dispatcher(_config(ctx, port), interval=60, echo=lines.append)
    assert time.perf_counter() - started < 10  # it did not wait for the next round
    assert totals.sent == 1 and len(sink.messages) == 1
    db.session.expire_all()
    assert _statuses() == {"sent": 1, "pending": 4}
    assert any("SIGTERM" in line for line in lines)
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


def test_a_stop_request_ends_the_wait_between_rounds(app: Flask) -> None:
    stop = threading.Event()
    done = threading.Event()
    config = _config(app, _free_port())

    def work() -> None:
        with app.app_context():
            run_dispatcher(config, interval=60, echo=_quiet, stop=stop)
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(0.3)
    assert not done.is_set()
    stop.set()
    thread.join(timeout=5)
    assert done.is_set()


def test_a_database_error_is_reported_and_the_next_round_goes_on(
    ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    calls = 0

    def flaky(config: dict[str, Any], **kwargs: Any) -> SendReport:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        stop.set()
        return SendReport(sent=2)

    monkeypatch.setattr(dispatcher, "send_pending", flaky)
    lines: list[str] = []
    totals = run_dispatcher(dict(ctx.config), interval=0, echo=lines.append, stop=stop)
    assert (totals.errors, totals.rounds, totals.sent) == (1, 1, 2)
    assert any("database error" in line for line in lines)


def test_outbox_run_once_command(
    app: Flask, runner: Any, relay: Callable[..., tuple[Sink, int]]
) -> None:
    with app.app_context():
        _enqueue(3)
    sink, port = relay()
    app.config["SMTP_PORT"], old = port, app.config["SMTP_PORT"]
    try:
        result = runner.invoke(args=["outbox", "run", "--once"])
    finally:
        app.config["SMTP_PORT"] = old
    assert result.exit_code == 0, result.output
    assert "sent 3, to retry 0, failed 0" in result.output
    assert len(sink.messages) == 3


# --- the system admin's page of failed mail ------------------------------------------------------


def _troubled(app: Flask) -> dict[str, int]:
    """One message of each kind: failed, retrying after an error, pending, sent."""
    with app.app_context():
        rows = {
            "failed": OutboxMessage(
                kind="flag_alert",
                recipient="kapot@gemeente.example",
                subject="Nieuw signaal",
                body_text="x",
                status="failed",
                attempts=8,
                last_error="SMTPRecipientsRefused: 550 no such user",
            ),
            "retrying": OutboxMessage(
                kind="flag_alert",
                recipient="later@gemeente.example",
                subject="Nieuw signaal",
                body_text="x",
                attempts=2,
                last_error="ConnectionRefusedError: [Errno 111] Connection refused",
                next_attempt_at=clock.now() + timedelta(minutes=2),
            ),
            "pending": OutboxMessage(
                kind="invite", recipient="wacht@gemeente.example", subject="s", body_text="x"
            ),
            "sent": OutboxMessage(
                kind="invite",
                recipient="verstuurd@gemeente.example",
                subject="s",
                body_text="x",
                status="sent",
                attempts=1,
                sent_at=clock.now(),
            ),
        }
        db.session.add_all(rows.values())
        db.session.commit()
        return {name: row.id for name, row in rows.items()}


def test_the_failed_mail_page_lists_failed_and_retrying_mail(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("system_admin")
    _troubled(app)
    page = client.get("/beheer/uitgaande-mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "kapot@gemeente.example" in html and "550 no such user" in html
    assert "later@gemeente.example" in html and "Connection refused" in html
    assert "wacht@gemeente.example" not in html  # pending without an error: nothing wrong
    assert "verstuurd@gemeente.example" not in html
    assert 'href="/beheer/uitgaande-mail"' in html  # in the system admin's menu


def test_try_again_puts_a_failed_message_back_in_line_and_it_is_sent(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    relay: Callable[..., tuple[Sink, int]],
) -> None:
    admin = login_as("system_admin")
    ids = _troubled(app)
    response = client.post(f"/beheer/uitgaande-mail/{ids['failed']}/opnieuw")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/beheer/uitgaande-mail")
    with app.app_context():
        message = db.session.get(OutboxMessage, ids["failed"])
        assert (message.status, message.attempts) == ("pending", 0)
        assert message.next_attempt_at <= clock.now()
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "outbox.retry")
        ).scalar_one()
        assert (event.actor_user_id, event.object_type, event.object_id) == (
            admin.id,
            "outbox_message",
            str(ids["failed"]),
        )
        assert "was failed, 8 attempts" in event.detail
        sink, port = relay()
        run_dispatcher(_config(app, port), once=True, echo=_quiet)
        # The retried one goes out with what was due anyway; the one waiting for its backoff not.
        assert sorted(m["To"] for m in sink.messages) == [
            "kapot@gemeente.example",
            "wacht@gemeente.example",
        ]
        assert db.session.get(OutboxMessage, ids["failed"]).status == "sent"


def test_a_sent_message_is_not_sent_again(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("system_admin")
    ids = _troubled(app)
    response = client.post(f"/beheer/uitgaande-mail/{ids['sent']}/opnieuw", follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(OutboxMessage, ids["sent"]).status == "sent"
        assert (
            db.session.execute(
                select(func.count()).where(AuditEvent.action == "outbox.retry")
            ).scalar_one()
            == 0
        )
    assert client.post("/beheer/uitgaande-mail/999999/opnieuw").status_code == 404


@pytest.mark.parametrize("role", ["inspector", "municipal_admin", "org_admin"])
def test_other_roles_do_not_reach_the_failed_mail_page(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], role: str
) -> None:
    ids = _troubled(app)
    login_as(role)
    assert client.get("/beheer/uitgaande-mail").status_code == 404
    assert client.post(f"/beheer/uitgaande-mail/{ids['failed']}/opnieuw").status_code == 404
    with app.app_context():
        assert db.session.get(OutboxMessage, ids["failed"]).status == "failed"


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    application = create_app({**overrides_for(database_url), "WTF_CSRF_ENABLED": True})
    yield application
    with application.app_context():
        db.engine.dispose()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_try_again_needs_the_csrf_token(csrf_app: Flask, make_user: Callable[..., Any]) -> None:
    admin = make_user("system_admin")
    ids = _troubled(csrf_app)
    client = csrf_app.test_client()
    response = client.post(
        "/inloggen",
        data={
            "email": admin.email,
            "password": PASSWORD,
            "csrf_token": _token(client.get("/inloggen").get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    step = response.headers["Location"]
    if "/tweede-stap" in step:  # staff pass the second factor (TOTP)
        page = client.get(step).get_data(as_text=True)
        code = current_totp_code(csrf_app, admin.email)
        response = client.post(step, data={"code": code, "csrf_token": _token(page)})
        assert response.status_code == 302
    target = f"/beheer/uitgaande-mail/{ids['failed']}/opnieuw"
    assert client.post(target).status_code == 400
    with csrf_app.app_context():
        assert db.session.get(OutboxMessage, ids["failed"]).status == "failed"
    page = client.get("/beheer/uitgaande-mail").get_data(as_text=True)
    assert client.post(target, data={"csrf_token": _token(page)}).status_code == 302
    with csrf_app.app_context():
        assert db.session.get(OutboxMessage, ids["failed"]).status == "pending"
