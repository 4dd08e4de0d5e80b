"""Reading the audit trail (service layer): each tenant sees its own events, newest first.

Organisations see the events of their organisation, inspectors and municipal admins those of
their municipality, the system admin all (the AuditEvent rule in ``queries.RULES``; scoping goes
only through ``queries.scoped``). Reading the trail into a file is itself an audit event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from portal import clock
from portal.domain.audit_disclosure import (
    Actor,
    ActorShown,
    ViewerKind,
    disclosure,
    shows_origin_ip,
)
from portal.extensions import db
from portal.models import AuditEvent, Municipality, Organisation, Region, User
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


@dataclass(frozen=True)
class AuditLine:
    """One event as a viewer may see it (``domain.audit_disclosure``): the page and the CSV
    export show these, never the raw event."""

    occurred_at: datetime
    actor_shown: ActorShown
    actor: str  # the email address or label, the organisation's or municipality's name, the role
    action: str
    object_type: str
    object_id: str
    object_name: str  # the name of an organisation, municipality or region object, else ""
    count: int | None  # the rows or items the event counted (exports, files), when it says
    result: str
    origin_ip: str  # "" when the viewer may not see it
    # The person's display name today, when the actor is shown as a person and has one (the page
    # shows it, with ``actor``, the recorded address, on hover); else "".
    actor_name: str = ""


_COUNT = re.compile(r"(?:^|[;\s])(?:rows|count)=(\d{1,9})\b")


def event_count(detail: str) -> int | None:
    """The number of rows or items an event's detail names (``rows=12``, ``count=3``)."""
    found = _COUNT.search(detail or "")
    return int(found.group(1)) if found else None


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {int(row.id): str(row.name) for row in rows}


def viewer_of(scope: Scope) -> ViewerKind:
    """The kind of audit-log reader; any other scope (none) gets the most minimised view."""
    if scope.kind == "organisation":
        return "organisation"
    return "system" if scope.kind == "system" else "municipality"


def shows_origin_ip_to(scope: Scope) -> bool:
    return shows_origin_ip(viewer_of(scope))


def audit_lines(events: Iterable[AuditEvent], scope: Scope) -> list[AuditLine]:
    """The events (already scoped) as ``scope``'s viewers may see them."""
    events = list(events)
    viewer = viewer_of(scope)
    actor_ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    actors = (
        {
            int(row.id): row
            for row in db.session.execute(
                select(
                    User.id,
                    User.role,
                    User.organisation_id,
                    User.municipality_id,
                    User.display_name,
                ).where(User.id.in_(actor_ids))
            )
        }
        if actor_ids
        else {}
    )
    org_ids = {e.organisation_id for e in events if e.organisation_id is not None}
    org_ids |= {r.organisation_id for r in actors.values() if r.organisation_id is not None}
    org_ids |= _object_ids(events, "organisation")
    mun_ids = {r.municipality_id for r in actors.values() if r.municipality_id is not None}
    mun_ids |= _object_ids(events, "municipality")
    organisations = _names(Organisation, org_ids)
    municipalities = _names(Municipality, mun_ids)
    regions = _names(Region, _object_ids(events, "region"))
    lines = []
    for event in events:
        user = actors.get(event.actor_user_id or 0)
        facts = Actor(
            is_user=user is not None,
            organisation_id=user.organisation_id if user is not None else None,
            municipality_id=user.municipality_id if user is not None else None,
            label=event.actor_label,
            event_organisation_id=event.organisation_id,
        )
        shown = disclosure(viewer, scope.tenant_id, facts)
        if shown.actor in ("person", "label"):
            actor = event.actor_label
        elif shown.actor == "organisation":
            org_id = facts.organisation_id or facts.event_organisation_id or 0
            actor = organisations.get(org_id, "")
        elif shown.actor == "municipality":
            actor = municipalities.get(facts.municipality_id or 0, "")
        elif shown.actor == "role":
            actor = str(user.role) if user is not None else ""
        else:
            actor = ""
        names = {"organisation": organisations, "municipality": municipalities, "region": regions}
        object_name = ""
        if event.object_type in names and event.object_id.isdigit():
            object_name = names[event.object_type].get(int(event.object_id), "")
        lines.append(
            AuditLine(
                occurred_at=event.occurred_at,
                actor_shown=shown.actor,
                actor=actor,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                object_name=object_name,
                count=event_count(event.detail),
                result=event.result,
                origin_ip=event.origin_ip if shown.origin_ip else "",
                actor_name=(user.display_name or "")
                if shown.actor == "person" and user is not None
                else "",
            )
        )
    return lines


def _object_ids(events: list[AuditEvent], object_type: str) -> set[int]:
    return {
        int(e.object_id) for e in events if e.object_type == object_type and e.object_id.isdigit()
    }
