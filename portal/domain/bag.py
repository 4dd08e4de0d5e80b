"""The Kadaster's BAG 2.0 Extract read as the register on one day (domain layer).

The extract holds every version (voorkomen) of every object; the portal needs the state on a
reference date (peildatum). The rules, as the Kadaster's schemas (IMBAGLV 2.1.0) define them:

- a version is in force on the day when ``beginGeldigheid`` ≤ day, its ``eindGeldigheid`` is
  absent or after the day, and it has no ``tijdstipInactief`` (an inactive version was withdrawn
  as a registration error); versions starting later exist and are not yet in force;
- a verblijfsobject exists as an address unless its status says it never did or no longer does
  (``NON_EXISTENT_STATUSES``); an object under renovation or out of use is still an address
  people may live at;
- the woonplaats of a nummeraanduiding is its own ``ligtIn`` when it has one, else the street's;
- the municipality of a woonplaats is the GEM-WPL-RELATIE period in force on the day.

Everything here is pure: the reader (``services.bag``) hands plain values in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

# Statuses of a verblijfsobject saying it is not (or no longer, or never was) a real object.
NON_EXISTENT_STATUSES = frozenset(
    {
        "Niet gerealiseerd verblijfsobject",
        "Verblijfsobject ingetrokken",
        "Verblijfsobject ten onrechte opgevoerd",
    }
)

# Why an object of the extract did not become an address (the report's reason codes).
SKIP_STATUS = "status_not_existing"
SKIP_NO_POSTCODE = "no_postcode"
SKIP_DANGLING = "dangling_reference"
SKIP_UNKNOWN_MUNICIPALITY = "unknown_municipality"
SKIP_OTHER_MUNICIPALITY = "other_municipality"
SKIP_INVALID = "invalid_value"


@dataclass(frozen=True, slots=True)
class Voorkomen:
    """One version's validity: the dates of ``Historie:Voorkomen``."""

    begin: date
    end: date | None = None
    inactive: bool = False


def in_force(version: Voorkomen, day: date) -> bool:
    """Whether the version describes the object on ``day``."""
    if version.inactive or version.begin > day:
        return False
    return version.end is None or version.end > day


def newer(candidate: Voorkomen, held: Voorkomen | None) -> bool:
    """Whether ``candidate`` replaces ``held`` as the object's version for the day (both in
    force: a register in order has one; the later begin wins if it has two)."""
    return held is None or candidate.begin >= held.begin


def parse_date(raw: str) -> date:
    """An ``xs:date`` or the date part of an ``xs:dateTime`` (``2020-06-01``, ``2020-06-01Z``,
    ``2020-06-01T10:00:00.000``)."""
    return date.fromisoformat(raw.strip()[:10])


def address_exists(status: str) -> bool:
    """Whether a verblijfsobject with this status is an address (see NON_EXISTENT_STATUSES)."""
    return status.strip() not in NON_EXISTENT_STATUSES


def woonplaats_of(own_ligt_in: str | None, street_ligt_in: str | None) -> str | None:
    """The nummeraanduiding's own woonplaats first, else the street's."""
    return own_ligt_in or street_ligt_in or None


@dataclass(frozen=True, slots=True)
class Relation:
    """One GEM-WPL-RELATIE period: woonplaats (4 digits) in gemeente (4 digits)."""

    woonplaats: str
    gemeente: str
    begin: date
    end: date | None = None


def relation_in_force(relation: Relation, day: date) -> bool:
    return relation.begin <= day and (relation.end is None or relation.end > day)


def municipalities_on(relations: Iterable[Relation], day: date) -> dict[str, str]:
    """Woonplaats → portal municipality code (``GM`` + 4 digits) of the relations in force."""
    found: dict[str, tuple[date, str]] = {}
    for relation in relations:
        if not relation_in_force(relation, day):
            continue
        held = found.get(relation.woonplaats)
        if held is None or relation.begin >= held[0]:
            found[relation.woonplaats] = (relation.begin, municipality_code(relation.gemeente))
    return {woonplaats: code for woonplaats, (_, code) in found.items()}


def municipality_code(gemeente: str) -> str:
    """The BAG's 4-digit gemeentecode as the portal writes it: ``0221`` → ``GM0221``."""
    digits = gemeente.strip().upper().removeprefix("GM")
    return "GM" + digits.zfill(4)


def uses_text(uses: Iterable[str]) -> str:
    """Every gebruiksdoel, sorted, de-duplicated and comma separated as the register stores."""
    return ",".join(sorted({u.strip() for u in uses if u.strip()}))


def postcode_text(raw: str | None) -> str | None:
    """The BAG's ``1234AB`` as the portal writes it (``1234 AB``); None when there is none."""
    if not raw or not raw.strip():
        return None
    value = raw.strip().upper().replace(" ", "")
    return f"{value[:4]} {value[4:]}"


@dataclass(frozen=True, slots=True)
class Nummeraanduiding:
    """The parts of an address the portal keeps; ``street`` and ``ligt_in`` are references."""

    house_number: int
    house_letter: str
    addition: str
    postcode: str | None
    street: str
    ligt_in: str | None = None


@dataclass(frozen=True, slots=True)
class Street:
    name: str
    ligt_in: str


@dataclass(frozen=True, slots=True)
class Joined:
    """A verblijfsobject's main address, joined down to its municipality code."""

    nummeraanduiding: str
    street: str
    house_number: int
    house_letter: str
    addition: str
    postcode: str
    town: str
    municipality_code: str


@dataclass(frozen=True, slots=True)
class Skipped:
    reason: str
    detail: str = ""


def join_main_address(
    main_address: str,
    addresses: Mapping[str, Nummeraanduiding],
    streets: Mapping[str, Street],
    towns: Mapping[str, str],
    municipalities: Mapping[str, str],
) -> Joined | Skipped:
    """VBO → main nummeraanduiding → street → woonplaats (the address's own first) →
    municipality; ``Skipped`` with the reason where a link is missing or the postcode is."""
    num = addresses.get(main_address)
    if num is None:
        return Skipped(SKIP_DANGLING, f"nummeraanduiding {main_address}")
    if num.postcode is None:
        return Skipped(SKIP_NO_POSTCODE, f"nummeraanduiding {main_address}")
    street = streets.get(num.street)
    if street is None:
        return Skipped(SKIP_DANGLING, f"openbare ruimte {num.street}")
    woonplaats = woonplaats_of(num.ligt_in, street.ligt_in)
    town = towns.get(woonplaats) if woonplaats else None
    if woonplaats is None or town is None:
        return Skipped(SKIP_DANGLING, f"woonplaats {woonplaats}")
    code = municipalities.get(woonplaats)
    if code is None:
        return Skipped(SKIP_DANGLING, f"gemeente of woonplaats {woonplaats}")
    return Joined(
        main_address,
        street.name,
        num.house_number,
        num.house_letter,
        num.addition,
        num.postcode,
        town,
        code,
    )


def in_force_text(begin: str, end: str | None, inactive: bool, day: str) -> bool:
    """``in_force`` on the extract's own texts: an ``xs:date`` (or the date part of an
    ``xs:dateTime``) compares as text, so the reader needs not build date objects; ``day`` is
    the reference date as ``YYYY-MM-DD``."""
    if inactive or begin[:10] > day:
        return False
    return end is None or end[:10] > day
