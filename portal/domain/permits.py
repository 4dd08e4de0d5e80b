"""Permit types and permit states (domain layer: pure, no I/O).

Which permits exist (DOMAIN.md §1.5): the omzettingsvergunning and other Huisvestingswet art. 21
permits, the kamerverhuurvergunning or omgevingsvergunning for room rental, the
huisvestingsvergunning, the verhuurvergunning of the Wet goed verhuurderschap (art. 5(1)(b)) and
the exploitatievergunning of municipalities that treat migrant housing as lodging. Each
municipality chooses from this national list the types it issues.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from portal.domain.occupancy import EXPIRING_WITHIN_DAYS as OCCUPANCY_EXPIRING_WITHIN_DAYS

PERMIT_TYPES: Final = (
    "omzettingsvergunning",
    "kamerverhuurvergunning",
    "huisvestingsvergunning",
    "verhuurvergunning",
    "exploitatievergunning",
)
DEFAULT_PERMIT_TYPES: Final = ",".join(PERMIT_TYPES)

# A permit "expires soon" within this many days: the same window as the permit_expiring finding.
EXPIRING_WITHIN_DAYS: Final = OCCUPANCY_EXPIRING_WITHIN_DAYS
# Reminders to the holder, in days before the last valid day.
REMINDER_DAYS: Final = (90, 30, 7)

PERMIT_STATES: Final = ("future", "valid", "expiring", "expired", "revoked")


def permit_types_of(setting: str) -> list[str]:
    """The municipality's comma-separated setting → known types in the national order."""
    chosen = {part.strip() for part in (setting or "").split(",") if part.strip()}
    return [t for t in PERMIT_TYPES if t in chosen]


def permit_state(valid_from: date, valid_until: date | None, revoked: bool, today: date) -> str:
    """``valid_until`` is the last valid day (inclusive); None means no end date."""
    if revoked:
        return "revoked"
    if today < valid_from:
        return "future"
    if valid_until is not None and today > valid_until:
        return "expired"
    if valid_until is not None and valid_until - today <= timedelta(days=EXPIRING_WITHIN_DAYS):
        return "expiring"
    return "valid"


def reminder_due(valid_until: date, today: date) -> int | None:
    """The reminder (90, 30 or 7 days before) due on ``today``, or None.

    The smallest threshold the remaining days fall within: a missed day sends the reminder late
    rather than never, and a permit registered 20 days before its end gets only the 30-day one.
    """
    days_left = (valid_until - today).days
    if days_left < 0:
        return None
    due = [d for d in REMINDER_DAYS if days_left <= d]
    return min(due) if due else None
