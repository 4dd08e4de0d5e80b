"""Retention periods (domain): the periods, their checks and the cut-off day.

AVG art. 5(1)(e) (storage limitation), BIO2 5.33.01, docs/rules.md §3.4. The periods are settings
(``RETENTION_*`` in ``config/default.toml``). Which record is past its period is decided by the
purge (``portal.services.retention``) in set-based SQL, which states each rule where it applies
(a record's period runs from when it stopped being needed *and* from when it was last written);
tests/integration/test_retention.py checks those rules on seeded records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

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


def month_is_sealed(month_first_day: date, today: date, periods: RetentionPeriods) -> bool:
    """The monthly statistics of a month are final once a source record of that month may have
    been purged (a filing of the month's first day whose chain ended that day, a flag closed
    then): a refresh must leave such a month as published. One day of margin covers the
    difference between the Dutch calendar day and UTC."""
    return month_first_day <= cutoff_day(today, periods.statistics_sealed_after_days)
