"""Dates as people type them, and the range the portal accepts (domain layer: pure).

Every date that comes in — a web form, an API body or query, a CSV row, a filter in a query
string — is read here and checked against one range, ``EARLIEST_DATE`` … ``LATEST_DATE``. A
declaration, a permit or a filter outside it is a typing error, and a year such as 9999 would
otherwise reach date arithmetic in the services (the day after 9999-12-31 does not exist: an
OverflowError, a server error). Digits are ASCII only: ``\\d`` in a pattern also matches "٣" and
"３", which ``int`` would read.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from portal.domain.errors import InvalidValue

EARLIEST_DATE: Final = date(1900, 1, 1)
LATEST_DATE: Final = date(2200, 12, 31)

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_ISO_STRICT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DUTCH = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")


def check_date_range(day: date) -> date:
    """``day`` when it lies between EARLIEST_DATE and LATEST_DATE; else 'date.range'."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidValue("date.range", day)
    return day


def _day(year: str, month: str, day: str, raw: object) -> date:
    numbers = int(year), int(month), int(day)
    try:
        parsed = date(*numbers)
    except ValueError:  # 31-02, month 13, year 0000
        if nonexistent_day(*numbers):
            # The shape is right but the calendar has no such day: say so, naming the day
            # (``value`` is the day as YYYY-MM-DD, which ``split_nonexistent`` reads back).
            raise InvalidValue(
                "date.nonexistent", f"{numbers[0]:04d}-{numbers[1]:02d}-{numbers[2]:02d}"
            ) from None
        raise InvalidValue("date.format", raw) from None
    return check_date_range(parsed)


def nonexistent_day(year: int, month: int, day: int) -> bool:
    """True for a day number the month could have but does not: 31 February, 31 April,
    29 February 2027 — a real month and a day from 1 to 31 that is past the month's end."""
    if not (1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    try:
        date(year, month, day)
    except ValueError:
        return True
    return False


def split_nonexistent(value: object) -> tuple[int, int, int] | None:
    """(year, month, day) of the YYYY-MM-DD that a 'date.nonexistent' refusal carries; None for
    anything else (so a caller without the value falls back to a message without the day)."""
    match = _ISO_STRICT.fullmatch(str(value or ""))
    if match is None:
        return None
    numbers = int(match[1]), int(match[2]), int(match[3])
    return numbers if nonexistent_day(*numbers) else None


def parse_day(raw: str | None) -> date | None:
    """``2026-12-01`` (also ``2026-1-2``) or the Dutch way ``1-12-2026`` (with ``-``, ``/`` or
    ``.``); surrounding spaces ignored, empty gives None.

    InvalidValue('date.format') for anything else, 'date.nonexistent' for a day the month does not
    have (31-02-2026), 'date.range' for a date outside the range.
    """
    text = (raw or "").strip()
    if not text:
        return None
    if match := _ISO.fullmatch(text):
        return _day(match[1], match[2], match[3], raw)
    if match := _DUTCH.fullmatch(text):
        return _day(match[3], match[2], match[1], raw)
    raise InvalidValue("date.format", raw)


def parse_iso_day(raw: str) -> date:
    """Exactly ``YYYY-MM-DD`` (the API's dates); 'date.format', 'date.nonexistent' (2026-02-31)
    or 'date.range' otherwise."""
    match = _ISO_STRICT.fullmatch(raw)
    if match is None:
        raise InvalidValue("date.format", raw)
    return _day(match[1], match[2], match[3], raw)
