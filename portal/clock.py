"""The one clock (infrastructure): every "now" and "today" in the portal comes from here.

Tests freeze it with ``freeze(datetime)``; nothing else reads the system time directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the Netherlands (what a declarant means by "today")."""
    return now().astimezone(AMSTERDAM).date()


@contextmanager
def freeze(moment: datetime) -> Iterator[None]:
    """Freeze now() at ``moment`` (must be timezone-aware) for the duration of the block."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    previous, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
