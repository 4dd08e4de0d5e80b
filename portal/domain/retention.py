"""Retention periods (domain): which record is past its period, given its dates and the periods.

AVG art. 5(1)(e) (storage limitation), BIO2 5.33.01, DOMAIN.md §7.5. The periods are settings
(``RETENTION_*`` in ``config/default.toml``); these functions only compare dates. A record's
period runs from the moment it stopped being needed ("ended") *and* from when it was last
written: a record entered late (an end filed after the fact, an old permit imported into the
register) is kept for its full period after it was entered, never purged on arrival.

The purge (``portal.services.retention``) expresses the same rules in SQL; the integration test
checks both agree on the seeded records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The audit trail's floor: migration 0006 refuses on PostgreSQL to delete younger audit events.
AUDIT_MINIMUM_DAYS = 365

# Record type → the setting that holds its period in days.
SETTINGS: dict[str, str] = {
    "declaration": "RETENTION_DECLARATION_DAYS",
    "permit": "RETENTION_PERMIT_DAYS",
    "flag": "RETENTION_FLAG_DAYS",
    "audit_event": "RETENTION_AUDIT_DAYS",
    "session": "RETENTION_SESSION_DAYS",
    "account_token": "RETENTION_TOKEN_DAYS",
    "outbox_sent": "RETENTION_OUTBOX_SENT_DAYS",
    "outbox_failed": "RETENTION_OUTBOX_FAILED_DAYS",
    "rate_limit_window": "RETENTION_RATE_LIMIT_DAYS",
}


@dataclass(frozen=True)
class RetentionPeriods:
    """Each record type's period in days (see ``SETTINGS``)."""

    declaration: int
    permit: int
    flag: int
    audit_event: int
    session: int
    account_token: int
    outbox_sent: int
    outbox_failed: int
    rate_limit_window: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> RetentionPeriods:
        values = {name: int(str(settings[key])) for name, key in SETTINGS.items()}
        return cls(**values)

    @property
    def statistics_sealed_after_days(self) -> int:
        """Months whose last day is this many days back may have lost source records (the
        shortest period of the records the monthly statistics are computed from)."""
        return min(self.declaration, self.flag)


def problems(settings: Mapping[str, object]) -> list[str]:
    """What is wrong with the retention settings (empty when they are usable)."""
    found: list[str] = []
    for key in SETTINGS.values():
        value = settings.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            found.append(f"{key} must be a whole number of days, at least 1 (is {value!r})")
    audit = settings.get(SETTINGS["audit_event"])
    if isinstance(audit, int) and not isinstance(audit, bool) and 1 <= audit < AUDIT_MINIMUM_DAYS:
        found.append(
            f"{SETTINGS['audit_event']} must be at least {AUDIT_MINIMUM_DAYS} days "
            f"(is {audit}): the audit trail is kept a year (BIO2 8.15, migration 0006)"
        )
    return found


def cutoff_day(today: date, days: int) -> date:
    """Records that ended before this day are past a period of ``days``."""
    return today - timedelta(days=days)


def cutoff_moment(now: datetime, days: int) -> datetime:
    """Records that ended before this moment are past a period of ``days``."""
    return now - timedelta(days=days)


def is_past(ended_on: date | None, today: date, days: int) -> bool:
    """A record that ended on ``ended_on`` (None: not ended) is past a period of ``days``."""
    return ended_on is not None and ended_on < cutoff_day(today, days)


@dataclass(frozen=True)
class ChainMember:
    """One filing of a declaration chain: its period's end, when it was filed, whether a later
    filing of the chain took over from it."""

    end_date: date | None
    filed_on: date
    superseded: bool


def chain_ended_on(members: Iterable[ChainMember]) -> date | None:
    """The day a declaration chain ended for retention: the end of its last filing's period or
    the last filing day, whichever is later; None while the chain runs (no end date)."""
    members = list(members)
    last = [m for m in members if not m.superseded]
    if not last or any(m.end_date is None for m in last):
        return None
    ended = max(m.end_date for m in last if m.end_date is not None)
    return max([ended, *(m.filed_on for m in members)])


def chain_is_past(members: Iterable[ChainMember], today: date, days: int) -> bool:
    """The whole chain (every filing, receipt and PDF) goes together once its last filing's
    period (or the last filing day) is more than ``days`` ago."""
    return is_past(chain_ended_on(members), today, days)


def permit_ended_on(
    valid_until: date | None, revoked_on: date | None, created_on: date
) -> date | None:
    """When a permit ended for retention: the earlier of its last valid day and its revocation,
    but not before it was entered; None for a permit without an end that was never revoked."""
    ends = [d for d in (valid_until, revoked_on) if d is not None]
    if not ends:
        return None
    return max(min(ends), created_on)


def flag_ended_on(closed_on: date | None) -> date | None:
    """A flag's period runs from its closing; an open flag is never past it."""
    return closed_on


def session_ended_at(
    created_at: datetime,
    last_seen_at: datetime,
    revoked_at: datetime | None,
    idle: timedelta,
    absolute: timedelta,
) -> datetime:
    """The moment a login session stopped being usable: revoked, idle too long, or too old."""
    ends = [last_seen_at + idle, created_at + absolute]
    if revoked_at is not None:
        ends.append(revoked_at)
    return min(ends)


def token_ended_at(expires_at: datetime, used_at: datetime | None) -> datetime:
    """An emailed link is dead once used or expired, whichever came first."""
    return expires_at if used_at is None else min(expires_at, used_at)


def outbox_ended_at(status: str, sent_at: datetime | None, created_at: datetime) -> datetime | None:
    """A sent message counts from its sending, a failed one from its creation; a pending one is
    still needed (None)."""
    if status == "sent":
        return sent_at or created_at
    if status == "failed":
        return created_at
    return None


def outbox_days(status: str, periods: RetentionPeriods) -> int:
    return periods.outbox_failed if status == "failed" else periods.outbox_sent


def month_is_sealed(month_first_day: date, today: date, periods: RetentionPeriods) -> bool:
    """The monthly statistics of a month are final once a source record of that month may have
    been purged (a filing of the month's first day whose chain ended that day, a flag closed
    then): a refresh must leave such a month as published. One day of margin covers the
    difference between the Dutch calendar day and UTC."""
    return month_first_day <= cutoff_day(today, periods.statistics_sealed_after_days)
