"""The outbox: written in the caller's transaction, sent over real SMTP on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from portal import clock
from portal.extensions import db
from portal.models import OutboxMessage
from portal.notifications.outbox import enqueue_email
from portal.notifications.sender import backoff, send_pending


class Sink:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _config(app: Flask, port: int, **extra: Any) -> dict[str, Any]:
    return {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, **extra}


def _enqueue(ctx: Flask, n: int = 1) -> None:
    user = type("U", (), {"email": "x@example.nl"})()
    for i in range(n):
        enqueue_email(f"ontvanger{i}@example.nl", "reset_password", token=f"t{i}", user=user)
    db.session.commit()


def test_a_rolled_back_change_leaves_no_email(ctx: Flask) -> None:
    user = type("U", (), {"email": "x@example.nl"})()
    enqueue_email("a@example.nl", "reset_password", token="t", user=user)
    db.session.rollback()
    assert db.session.query(OutboxMessage).count() == 0


def test_pending_mail_is_delivered_once_with_a_stable_message_id(
    ctx: Flask, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    _enqueue(ctx, 3)
    report = send_pending(_config(ctx, port))
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert len(sink.messages) == 3
    ids = {m["Message-ID"] for m in sink.messages}
    assert len(ids) == 3 and all(i.startswith("<outbox-") for i in ids)
    first = sink.messages[0]
    assert first["Subject"] == "Kies een nieuw wachtwoord"
    assert first.is_multipart()  # text and HTML
    # Nothing is sent twice.
    assert send_pending(_config(ctx, port)).sent == 0
    assert len(sink.messages) == 3
    statuses = {m.status for m in db.session.query(OutboxMessage)}
    assert statuses == {"sent"}


def test_server_down_means_retry_later_then_delivery(ctx: Flask, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    _enqueue(ctx, 2)
    down = _free_port()  # nothing listens here
    report = send_pending(_config(ctx, down))
    assert report.sent == 0 and report.retried == 2
    message = db.session.query(OutboxMessage).first()
    assert message.attempts == 1 and "Error" in message.last_error
    # Not due yet: nothing happens even though the server is up.
    assert send_pending(_config(ctx, port)).sent == 0
    with clock.freeze(clock.now() + timedelta(minutes=2)):
        assert send_pending(_config(ctx, port)).sent == 2
    assert len(sink.messages) == 2


def test_a_message_is_marked_failed_after_the_maximum_attempts(ctx: Flask) -> None:
    _enqueue(ctx, 1)
    down = _free_port()
    config = _config(ctx, down, OUTBOX_MAX_ATTEMPTS=3)
    moment = clock.now()
    for _ in range(3):
        with clock.freeze(moment):
            send_pending(config)
        moment += timedelta(hours=7)
    message = db.session.query(OutboxMessage).one()
    assert message.status == "failed"
    assert message.attempts == 3


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (4, 8), (9, 256), (20, 360)]
)
def test_backoff_doubles_and_is_capped(attempts: int, minutes: int) -> None:
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_outbox_send_command(app: Flask, runner: Any, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    with app.app_context():
        _enqueue(app, 1)
    app.config["SMTP_PORT"], old = port, app.config["SMTP_PORT"]
    try:
        result = runner.invoke(args=["outbox", "send"])
    finally:
        app.config["SMTP_PORT"] = old
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(sink.messages) == 1


def test_mail_echo_prints_only_after_commit(ctx: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    ctx.config["MAIL_ECHO"] = True
    try:
        user = type("U", (), {"email": "x@example.nl"})()
        enqueue_email("echo@example.nl", "reset_password", token="abc", user=user)
        db.session.rollback()
        assert "echo@example.nl" not in capsys.readouterr().err
        enqueue_email("echo@example.nl", "reset_password", token="abc", user=user)
        db.session.commit()
        err = capsys.readouterr().err
        assert "To: echo@example.nl" in err and "/wachtwoord-herstellen/abc" in err
    finally:
        ctx.config["MAIL_ECHO"] = False
