"""Deliver pending outbox messages over SMTP (notifications layer).

A basic sender for ``flask --app wsgi outbox send``: messages due now are claimed one at a time
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two senders never take the same message), sent, and
committed one by one; a failure is retried later with exponential backoff and the message is marked
``failed`` after ``OUTBOX_MAX_ATTEMPTS``. Each message carries a stable Message-ID.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import OutboxMessage

MAX_BACKOFF = timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


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


def send_pending(config: dict[str, Any], limit: int = 500) -> SendReport:
    """Send up to ``limit`` due messages; commits after each one (this is an entry point)."""
    report = SendReport()
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            message = _claim_next()
            if message is None:
                break
            try:
                if smtp is None:
                    smtp = _connect(config)
                smtp.send_message(build_email(message, config))
            except (OSError, smtplib.SMTPException) as exc:
                smtp = None
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if message.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]):
                    message.status = "failed"
                    report.failed += 1
                else:
                    message.next_attempt_at = clock.now() + backoff(message.attempts)
                    report.retried += 1
                db.session.commit()
                continue
            message.attempts += 1
            message.status = "sent"
            message.sent_at = clock.now()
            message.last_error = ""
            db.session.commit()
            report.sent += 1
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return report
