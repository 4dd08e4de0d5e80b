"""Permit types and permit states (domain layer: pure, no I/O).

Which permits exist (docs/rules.md §1.3): the omzettingsvergunning and other Huisvestingswet art. 21
permits, the kamerverhuurvergunning or omgevingsvergunning for room rental, the
huisvestingsvergunning, the verhuurvergunning of the Wet goed verhuurderschap (art. 5(1)(b)) and
the exploitatievergunning of municipalities that treat migrant housing as lodging. Each
municipality chooses from this national list the types it issues.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from portal.domain import dates
from portal.domain.address import (
    normalise_addition,
    normalise_house_letter,
    normalise_postcode,
    parse_house_number,
)
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_kvk
from portal.domain.inputs import clean_text, parse_whole_number
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


# --- checking a permit as typed on a form or read from a CSV line --------------------------------

MAX_OCCUPANTS_RANGE: Final = (1, 10000)
MAX_DECISION_REFERENCE: Final = 60
MAX_REVOCATION_REASON: Final = 500


def parse_day(raw: str | date | None) -> date | None:
    """``dd-mm-jjjj`` (also with ``/`` or ``.``) or ISO ``jjjj-mm-dd``; empty gives None.

    Raises InvalidValue('permit.date.format') for anything else, including impossible dates, and
    'date.range' for a date outside 1900–2200 (``dates.parse_day`` reads it).
    """
    if isinstance(raw, date):
        return dates.check_date_range(raw)
    try:
        return dates.parse_day(raw)
    except InvalidValue as exc:
        if exc.code == "date.format":
            raise InvalidValue("permit.date.format", raw) from None
        raise


def parse_max_occupants(raw: str | int | None) -> int:
    """A whole number 1–10000."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise InvalidValue("permit.max_occupants.required", raw)
    value = parse_whole_number(text, "permit.max_occupants.format", max_digits=9)
    low, high = MAX_OCCUPANTS_RANGE
    if not low <= value <= high:
        raise InvalidValue("permit.max_occupants.range", raw)
    return value


def normalise_decision_reference(raw: str | None) -> str:
    """The reference of the municipal decision: required, at most 60 characters, one line, no
    invisible characters (``inputs.clean_text``)."""
    text = " ".join(clean_text(raw or "").split())
    if not text:
        raise InvalidValue("permit.decision_reference.required", raw)
    if len(text) > MAX_DECISION_REFERENCE:
        raise InvalidValue("permit.decision_reference.too_long", raw)
    return text


def normalise_permit_type(raw: str | None, allowed: Sequence[str]) -> str:
    """A type code from ``allowed`` (the municipality's list), case and spaces ignored."""
    text = (raw or "").strip().lower()
    if not text:
        raise InvalidValue("permit.type.required", raw)
    if text not in allowed:
        code = "permit.type.not_issued" if text in PERMIT_TYPES else "permit.type.unknown"
        raise InvalidValue(code, raw)
    return text


def permit_types_setting(chosen: Iterable[str]) -> str:
    """The municipality's setting for the chosen types: at least one, all known (national order)."""
    wanted = {c.strip().lower() for c in chosen if c.strip()}
    if not wanted:
        raise InvalidValue("permit.types.required", "")
    unknown = wanted - set(PERMIT_TYPES)
    if unknown:
        raise InvalidValue("permit.types.unknown", ",".join(sorted(unknown)))
    return ",".join(t for t in PERMIT_TYPES if t in wanted)


def revocation_reason(raw: str | None) -> str:
    text = clean_text(raw or "").strip()
    if not text:
        raise InvalidValue("permit.revocation_reason.required", raw)
    if len(text) > MAX_REVOCATION_REASON:
        raise InvalidValue("permit.revocation_reason.too_long", raw)
    return text


@dataclass(frozen=True)
class PermitFields:
    """A permit as typed on the form or read from a CSV line: text, not yet checked."""

    decision_reference: str = ""
    postcode: str = ""
    house_number: str = ""
    house_letter: str = ""
    house_number_addition: str = ""
    holder_kvk: str = ""
    permit_type: str = ""
    max_occupants: str = ""
    valid_from: str = ""
    valid_until: str = ""


@dataclass(frozen=True)
class PermitValues:
    """A checked permit; the address and holder still have to be found in the register."""

    decision_reference: str
    postcode: str
    house_number: int
    house_letter: str
    house_number_addition: str
    holder_kvk: str  # "" when the permit names no holder
    permit_type: str
    max_occupants: int
    valid_from: date
    valid_until: date | None


def check_permit(
    fields: PermitFields, allowed_types: Sequence[str]
) -> tuple[PermitValues | None, list[Problem]]:
    """Check every field; the values, or None with every problem (field name, reason code)."""
    problems: list[Problem] = []

    def checked(name: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(getattr(fields, name))
        except InvalidValue as exc:
            problems.append(Problem.of(name, exc))
            return None

    reference = checked("decision_reference", normalise_decision_reference)
    postcode = checked("postcode", normalise_postcode)
    number = checked("house_number", parse_house_number)
    letter = checked("house_letter", normalise_house_letter)
    addition = checked("house_number_addition", normalise_addition)
    kvk = checked("holder_kvk", lambda raw: normalise_kvk(raw) if (raw or "").strip() else "")
    permit_type = checked("permit_type", lambda raw: normalise_permit_type(raw, allowed_types))
    maximum = checked("max_occupants", parse_max_occupants)
    valid_from = checked("valid_from", parse_day)
    valid_until = checked("valid_until", parse_day)
    if valid_from is None and not any(p.field == "valid_from" for p in problems):
        problems.append(Problem("valid_from", "permit.valid_from.required"))
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        problems.append(Problem("valid_until", "permit.valid_until.before_from"))
    if problems:
        return None, problems
    return (
        PermitValues(
            decision_reference=reference,
            postcode=postcode,
            house_number=number,
            house_letter=letter,
            house_number_addition=addition,
            holder_kvk=kvk,
            permit_type=permit_type,
            max_occupants=maximum,
            valid_from=valid_from,
            valid_until=valid_until,
        ),
        [],
    )


@dataclass(frozen=True)
class HeldPermit:
    """What the reminder rule needs of a permit: its id, address, holder, period and status."""

    id: int
    address_id: int
    holder_id: int | None
    valid_until: date | None
    revoked: bool = False


def is_renewed(permit: HeldPermit, others: Iterable[HeldPermit]) -> bool:
    """A later valid permit of the same holder at the same address ends later or never."""
    if permit.valid_until is None:
        return False
    return any(
        other.id != permit.id
        and not other.revoked
        and other.address_id == permit.address_id
        and other.holder_id == permit.holder_id
        and (other.valid_until is None or other.valid_until > permit.valid_until)
        for other in others
    )
