"""Server-side login sessions (service layer).

The cookie holds a random token; the ``user_sessions`` row (by SHA-256 of the token) decides
whether it still counts. Logout, a password reset, removal or deactivation revoke rows, so a copied
cookie stops working at once (docs/security.md T12). Idle and absolute limits come from settings.
The row also records when the session passed the second factor (TOTP or a recovery code,
docs/security.md T11); until then the role gates send staff to the second step.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.models import User, UserSession
from portal.services.audit import origin_ip

TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Create a session record for ``user``; returns the token that goes into the cookie."""
    token = secrets.token_urlsafe(32)
    agent = request.headers.get("User-Agent", "")[:200] if has_request_context() else ""
    db.session.add(
        UserSession(
            token_hash=token_hash(token), user_id=user.id, origin_ip=origin_ip(), user_agent=agent
        )
    )
    user.session_token = token
    user.second_factor_done = False
    return token


@dataclass(frozen=True)
class SessionCheck:
    """What a session token is worth now; ``changed`` means rows were updated (caller commits)."""

    user: User | None
    changed: bool = False
    expired: bool = False


def check_session(token: str) -> SessionCheck:
    """The user of a live session; ends it when idle or too old or when the user is inactive."""
    if not token:
        return SessionCheck(None)
    row = db.session.execute(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return SessionCheck(None)
    now = clock.now()
    cfg = current_app.config
    idle = timedelta(minutes=int(cfg["SESSION_IDLE_MINUTES"]))
    absolute = timedelta(hours=int(cfg["SESSION_ABSOLUTE_HOURS"]))
    user = row.user
    if now - row.last_seen_at > idle or now - row.created_at > absolute or not user.is_active:
        row.revoked_at = now
        return SessionCheck(None, changed=True, expired=True)
    changed = False
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        changed = True
    user.session_token = token
    # Transient, like session_token: whether this session passed the second factor.
    user.second_factor_done = row.second_factor_at is not None
    return SessionCheck(user, changed=changed)


def mark_second_factor(user: User) -> None:
    """Record that the current session of ``user`` passed the second factor (caller commits)."""
    token = user.session_token
    if not token:
        raise ValueError("mark_second_factor needs the user's current session token")
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
        .values(second_factor_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    user.second_factor_done = True


def end_session(token: str | None) -> None:
    """Revoke one session (logout)."""
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )


def revoke_all_sessions(user: User) -> None:
    """Revoke every session of ``user`` (password reset, removal, deactivation)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
