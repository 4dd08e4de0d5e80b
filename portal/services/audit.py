"""The audit trail writer (service layer): one row per event, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import has_request_context, request
from sqlalchemy import insert

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, User


def origin_ip() -> str:
    """The client address as seen after the trusted proxies (ProxyFix), or '' outside a request."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:45]


def _clean(text: str, limit: int) -> str:
    # No forged log lines: control characters (CR, LF, NUL, …) become spaces.
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)[:limit]


def values(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    object_type: str = "",
    object_id: object = "",
    result: str = "ok",
    organisation_id: int | None = None,
    municipality_id: int | None = None,
    detail: str = "",
) -> dict[str, Any]:
    """The columns of one audit event (cleaned, cut to size): for ``record``, ``record_many``."""
    if actor is not None:
        organisation_id = organisation_id or actor.organisation_id
        municipality_id = municipality_id or actor.municipality_id
    return {
        "occurred_at": clock.now(),
        "actor_user_id": actor.id if actor is not None else None,
        "actor_label": _clean(
            actor_label or (actor.email if actor is not None else "anonymous"), 254
        ),
        "action": action,
        "object_type": object_type,
        "object_id": _clean(str(object_id if object_id is not None else ""), 40),
        "result": result,
        "origin_ip": origin_ip(),
        "organisation_id": organisation_id,
        "municipality_id": municipality_id,
        "detail": _clean(detail, 2000),
    }


def record(action: str, **fields: Any) -> AuditEvent:
    """Add one audit event to the session (never commits); ``fields`` as for ``values``."""
    event = AuditEvent(**values(action, **fields))
    db.session.add(event)
    return event


def record_many(rows: Sequence[dict[str, Any]]) -> None:
    """Insert many audit events (rows from ``values``) with one statement; never commits."""
    if rows:
        db.session.execute(insert(AuditEvent.__table__), list(rows))
