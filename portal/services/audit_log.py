"""Reading the audit trail (service layer): each tenant sees its own events, newest first.

Organisations see the events of their organisation, inspectors and municipal admins those of
their municipality, the system admin all (the AuditEvent rule in ``queries.RULES``; scoping goes
only through ``queries.scoped``). Reading the trail into a file is itself an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, User
from portal.services import audit
from portal.services.queries import Scope, scoped

MAX_ACTION_LENGTH = 60
# An export holds at most this many events (newest first); narrow the dates for older ones.
EXPORT_LIMIT = 50_000


def _day_start(day: date) -> datetime:
    """Midnight of ``day`` in the Netherlands, as UTC (the dates on the page are Dutch days)."""
    return datetime.combine(day, time(), tzinfo=clock.AMSTERDAM).astimezone(UTC)


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    date_from: date | None = None
    date_until: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filter as query-string values (for the pager and the export link)."""
        values = {
            "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_until": self.date_until.isoformat() if self.date_until else "",
        }
        return {k: v for k, v in values.items() if v}


def events_query(scope: Scope, filters: AuditFilter) -> Select[tuple[AuditEvent]]:
    """The events ``scope`` may see that match ``filters``, newest first."""
    stmt = scoped(AuditEvent, scope)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= _day_start(filters.date_from))
    if filters.date_until is not None:
        stmt = stmt.where(
            AuditEvent.occurred_at < _day_start(filters.date_until + timedelta(days=1))
        )
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def visible_actions(scope: Scope) -> list[str]:
    """The distinct action codes among the events ``scope`` may see (for the filter)."""
    stmt = scoped(AuditEvent, scope).with_only_columns(AuditEvent.action).distinct()
    return sorted(str(a) for a in db.session.execute(stmt).scalars())


def export_events(
    user: User, scope: Scope, filters: AuditFilter, limit: int = EXPORT_LIMIT
) -> list[AuditEvent]:
    """The events for a file, and the "audit.export" event of this read (not committed)."""
    events = list(db.session.execute(events_query(scope, filters).limit(limit)).scalars())
    audit.record(
        "audit.export",
        actor=user,
        object_type="audit_log",
        object_id=_scope_label(scope),
        detail=";".join(f"{k}={v}" for k, v in filters.as_args().items()) + f";count={len(events)}",
    )
    return events


def _scope_label(scope: Scope) -> str:
    return scope.kind if scope.tenant_id is None else f"{scope.kind}:{scope.tenant_id}"


def event_rows(events: Iterable[AuditEvent]) -> list[list[Any]]:
    """One row per event: time (ISO 8601, UTC), actor, action, object, result, origin IP."""
    return [
        [
            event.occurred_at.astimezone(UTC).isoformat(timespec="seconds"),
            event.actor_label,
            event.action,
            f"{event.object_type}:{event.object_id}" if event.object_type else event.object_id,
            event.result,
            event.origin_ip,
        ]
        for event in events
    ]
