"""How receipts write snapshot values (receipts layer): text, dates, numbers and periods in the
receipt's locale.

Shared by every receipt's view builder (``render`` for a declaration, ``batch``,
``permit_application``); it imports none of them, so no receipt module imports another in a
circle. Formatting needs a Flask application context with the locale forced (translations).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask_babel import gettext as _

from portal.clock import AMSTERDAM

DATE = "d MMMM y"
DATETIME = "d MMMM y, HH:mm"


def text(value: Any) -> str:
    """A snapshot value as text; None and missing become empty."""
    return "" if value is None else str(value)


def spelled(code: str) -> str:
    """``ABCD-EFGH-JKMN`` → ``A B C D, E F G H, J K M N``: one character at a time, so a screen
    reader spells the code instead of reading its groups as words; the dashes become pauses."""
    groups = (" ".join(group) for group in code.split("-"))
    return ", ".join(group for group in groups if group)


def day(value: Any, locale: str) -> str:
    if not value:
        return ""
    when = value if isinstance(value, date) else date.fromisoformat(str(value))
    return str(format_date(when, DATE, locale=locale))


def moment(value: Any, locale: str) -> str:
    if not value:
        return ""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError("filed_at must carry a timezone")
    return str(format_datetime(when, DATETIME, tzinfo=AMSTERDAM, locale=locale))


def number(value: Any, locale: str) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(format_decimal(value, locale=locale))


def period(start: Any, end: Any, locale: str) -> str:
    if start and end:
        return str(_("%(start)s – %(end)s", start=day(start, locale), end=day(end, locale)))
    if start:
        return str(_("from %(start)s, no end date given", start=day(start, locale)))
    return ""
