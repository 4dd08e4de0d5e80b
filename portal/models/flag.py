"""Flags (signalen): an address breaking a high-severity rule, for inspectors (model layer).

At most one flag per address is not closed (a partial unique index), carrying all its current
reasons, the period, the occupant total and the limit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.domain.flags import FLAG_STATUSES as FLAG_STATUSES
from portal.domain.flags import OPEN_STATUSES as OPEN_STATUSES
from portal.domain.flags import OUTCOMES as OUTCOMES
from portal.extensions import db
from portal.models.address import Address
from portal.models.types import UTCDateTime

# The statuses, which may follow which, and the outcomes: portal.domain.flags. Inspection
# outcomes (issue: inspectors): compliant, warning, enforcement started, unfounded;
# "no_longer_applies" is set when the reasons disappear before anyone worked the flag.


def _status_in(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


_OPEN_SQL = _status_in(OPEN_STATUSES)


class Flag(db.Model):
    """One case per address: why it is flagged, since when, how far over the limit."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(_status_in(FLAG_STATUSES), name="status_known"),
        Index(
            "uq_flags_one_open_per_address",
            "address_id",
            unique=True,
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
        ),
        Index("ix_flags_municipality_status", "municipality_id", "status"),
        # A reopening looks up the address's latest closed flag.
        Index("ix_flags_address_closed", "address_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Current high-severity finding codes, comma separated (e.g. "over_limit,permit_required").
    reasons: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    occupants: Mapped[int] = mapped_column(Integer)
    limit: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(30))
    over_by: Mapped[int] = mapped_column(Integer, default=0)
    over_ratio: Mapped[float] = mapped_column(Float, default=0.0)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(30))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The total the last alert was sent for: an alert goes again when the total grows past it.
    alerted_occupants: Mapped[int | None] = mapped_column(Integer)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    address: Mapped[Address] = relationship()

    @property
    def reason_list(self) -> list[str]:
        return [r for r in self.reasons.split(",") if r]


class FlagEvent(db.Model):
    """One step in a flag's history: opened, escalated, assigned, status change, note, outcome."""

    __tablename__ = "flag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # opened, escalated, updated, resolved, reopened, assigned, status, note, outcome
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    # The note text, the new assignee's id, the outcome code, or the reasons — never personal data
    # of occupants (there is none in the portal).
    detail: Mapped[str] = mapped_column(Text, default="")
