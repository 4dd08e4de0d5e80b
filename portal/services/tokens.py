"""Single-use email links (service layer): only the SHA-256 of a token is stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.models import AccountToken, User
from portal.services.errors import Refused
from portal.services.sessions import token_hash


def lifetime(purpose: str) -> timedelta:
    cfg = current_app.config
    return {
        "verify_email": timedelta(hours=int(cfg["TOKEN_VERIFY_HOURS"])),
        "reset_password": timedelta(minutes=int(cfg["TOKEN_RESET_MINUTES"])),
        "invite": timedelta(days=int(cfg["TOKEN_INVITE_DAYS"])),
    }[purpose]


def issue_token(user: User, purpose: str) -> str:
    """A new link token for ``user``; earlier unused tokens of the same purpose stop working."""
    now = clock.now()
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            token_hash=token_hash(raw),
            user_id=user.id,
            purpose=purpose,
            expires_at=now + lifetime(purpose),
        )
    )
    return raw


def peek_token(raw: str, purpose: str) -> AccountToken:
    """The live token row for ``raw``, or Refused('token', 'token.invalid' | 'token.expired')."""
    row = db.session.execute(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(raw or ""), AccountToken.purpose == purpose
        )
    ).scalar_one_or_none()
    if row is None or row.used_at is not None:
        raise Refused.one("token", "token.invalid")
    if row.expires_at < clock.now():
        raise Refused.one("token", "token.expired")
    return row


def consume_token(raw: str, purpose: str) -> User:
    """Mark the token used and return its user (in the caller's transaction)."""
    row = peek_token(raw, purpose)
    row.used_at = clock.now()
    return row.user
