"""Deliver pending outbox messages over SMTP (notifications layer).

The sender behind ``flask --app wsgi outbox send`` and each round of the dispatcher
(``outbox run``): messages due now are claimed one at a time (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL: the row stays locked while it is sent, so two senders never take the same message),
sent, and committed one by one; a failure is retried later with exponential backoff and the
message is marked ``failed`` after ``OUTBOX_MAX_ATTEMPTS``. Each message carries a stable
Message-ID, so the rare resend (a crash between the relay's "250 OK" and the commit) is
recognisable. On SQLite nothing is locked: run one sender at a time there.

``troubled_messages`` and ``retry_message`` serve the system admin's page of failed mail.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from sqlalchemy import Select, or_, select

from portal import clock
from portal.extensions import db
from portal.models import OutboxMessage, User
from portal.services import audit
from portal.services.errors import Refused

MAX_BACKOFF = timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def build_email(message: OutboxMessage, config: dict[str, Any]) -> EmailMessage:
    sender = config["MAIL_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "meldportaal.local"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id(domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _connect(config: dict[str, Any]) -> smtplib.SMTP:
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    timeout = float(config["SMTP_TIMEOUT_SECONDS"])
    smtp: smtplib.SMTP
    if config["SMTP_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if config["SMTP_USERNAME"]:
        smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
    return smtp


def _claim_next() -> OutboxMessage | None:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= clock.now())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return db.session.execute(stmt).scalar_one_or_none()


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.close()


def send_pending(
    config: dict[str, Any],
    limit: int = 500,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """Send up to ``limit`` due messages; commits after each one (this is an entry point).

    ``should_stop`` is asked before each claim, so a stop request lets the message being sent
    finish and be committed. When the relay cannot be reached, the other due messages of this
    round are deferred with the same error instead of each waiting for its own connect timeout.
    """
    report = SendReport()
    smtp: smtplib.SMTP | None = None
    delivered_on_connection = 0  # messages sent over the open connection
    relay_error: str | None = None  # set when connecting failed in this round
    try:
        for _ in range(limit):
            if should_stop is not None and should_stop():
                break
            message = _claim_next()
            if message is None:
                break
            error = relay_error
            if error is None:
                email = build_email(message, config)
                try:
                    if smtp is None:
                        smtp, delivered_on_connection = _connect(config), 0
                    try:
                        smtp.send_message(email)
                    except (OSError, smtplib.SMTPServerDisconnected):
                        if delivered_on_connection == 0:
                            raise
                        # A kept-open connection the relay has dropped (idle timeout, restart):
                        # one fresh connection before an attempt counts against the message.
                        _close(smtp)
                        smtp = None
                        smtp, delivered_on_connection = _connect(config), 0
                        smtp.send_message(email)
                except (OSError, smtplib.SMTPException) as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    if smtp is None:  # no connection to the relay: defer the rest of the round
                        relay_error = error
                    _close(smtp)
                    smtp = None
            if error is not None:
                message.attempts += 1
                message.last_error = error[:500]
                if message.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]):
                    message.status = "failed"
                    report.failed += 1
                else:
                    message.next_attempt_at = clock.now() + backoff(message.attempts)
                    report.retried += 1
                db.session.commit()
                continue
            delivered_on_connection += 1
            message.attempts += 1
            message.status = "sent"
            message.sent_at = clock.now()
            message.last_error = ""
            db.session.commit()
            report.sent += 1
        # End the transaction of the last (empty) claim: no connection idles in a transaction
        # between rounds.
        db.session.commit()
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
            _close(smtp)
    return report


# --- the system admin's view of mail that does not get out -----------------------------------


# The outgoing-mail page's filter: both kinds of trouble, only the failed (given up after the
# last attempt), or only those waiting to be tried again after an error.
TROUBLE_FILTERS = ("", "failed", "retrying")


def troubled_messages(status: str = "") -> Select[tuple[OutboxMessage]]:
    """Failed messages and pending ones that have failed at least once (``status``: only one of
    the two, ``TROUBLE_FILTERS``), newest first."""
    failed = OutboxMessage.status == "failed"
    retrying = (OutboxMessage.status == "pending") & (OutboxMessage.last_error != "")
    condition = {"failed": failed, "retrying": retrying}.get(status, or_(failed, retrying))
    return (
        select(OutboxMessage)
        .where(condition)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )


def retry_message(message: OutboxMessage, actor: User) -> None:
    """Put a failed (or waiting) message back in line, to be sent in the next round.

    The attempt count starts again, so the message gets the full number of tries; the last
    error stays visible until a send succeeds. Refused for a message already sent. Never commits.
    """
    if message.status == "sent":
        raise Refused.one("message", "outbox.already_sent")
    before = f"{message.status}, {message.attempts} attempts"
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = clock.now()
    audit.record(
        "outbox.retry",
        actor=actor,
        object_type="outbox_message",
        object_id=message.id,
        detail=f"{message.kind}: was {before}",
    )
