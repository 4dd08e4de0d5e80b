"""The transactional outbox (notifications layer).

``enqueue_email`` adds a message to the caller's transaction, rendered in the recipient's
language (``render_email`` and ``enqueue_many`` write many at once). Nothing is sent from a
request: ``flask --app wsgi outbox send`` delivers what is pending. With ``MAIL_ECHO`` on
(development) each message is also printed to the console once its transaction has committed, so
a rolled-back change never prints a mail.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import OutboxMessage

_ECHO_KEY = "outbox_echo"


def _single_line(text: str) -> str:
    # Header-injection safe: a subject or recipient never carries CR/LF (ASVS 1.3.11).
    return " ".join(text.split())


def render_email(
    recipient: str, template: str, *, locale: str | None = None, **context: Any
) -> dict[str, Any]:
    """Render ``email/<template>.{subject.txt,txt,html}``: the columns of one outbox message."""
    locale = locale or current_app.config["DEFAULT_LOCALE"]
    context.setdefault("base_url", current_app.config["PUBLIC_BASE_URL"].rstrip("/"))
    with ExitStack() as stack:
        if not has_request_context():
            # CLI and jobs: url_for needs a request; build links as if on the public address.
            stack.enter_context(current_app.test_request_context(base_url=context["base_url"]))
        stack.enter_context(force_locale(locale))
        subject = render_template(f"email/{template}.subject.txt", **context)
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    return {
        "kind": template,
        "recipient": _single_line(recipient)[:254],
        "subject": _single_line(subject)[:200],
        "body_text": body_text,
        "body_html": body_html,
    }


def enqueue_email(
    recipient: str, template: str, *, locale: str | None = None, **context: Any
) -> OutboxMessage:
    """Render ``email/<template>.{subject.txt,txt,html}`` and add it to the outbox (no commit)."""
    message = OutboxMessage(**render_email(recipient, template, locale=locale, **context))
    db.session.add(message)
    if current_app.config.get("MAIL_ECHO"):
        db.session.info.setdefault(_ECHO_KEY, []).append(message)
    return message


def enqueue_many(rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rendered messages (rows from ``render_email``) with one statement; no commit."""
    if not rows:
        return
    db.session.execute(insert(OutboxMessage.__table__), list(rows))
    if current_app.config.get("MAIL_ECHO"):
        # Unsaved copies, only for the console echo after the commit.
        db.session.info.setdefault(_ECHO_KEY, []).extend(OutboxMessage(**row) for row in rows)


@event.listens_for(Session, "after_commit")
def _echo_after_commit(session: Session) -> None:
    messages = session.info.pop(_ECHO_KEY, None)
    for message in messages or ():
        print(
            "\n----- e-mail (outbox) -----\n"
            f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.body_text}\n"
            "---------------------------",
            file=sys.stderr,
            flush=True,
        )


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_ECHO_KEY, None)
