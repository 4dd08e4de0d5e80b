"""Dutch address parts: postcode, house number, letter, addition, BAG ids (domain layer).

Rules from docs/rules.md §2.1, §2.2 and §2.5: postcode ``1234 AB`` with no leading 0 and never
SA/SD/SS (python-stdnum's ``nl.postcode``); house number 1–99999; one letter A–Z; an addition of
up to 4 letters or digits; BAG ids of 16 digits with object type 20 (nummeraanduiding) or 01
(verblijfsobject) at positions 5–6.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import postcode as nl_postcode

from portal.domain.errors import InvalidValue
from portal.domain.inputs import clean_text, parse_whole_number

# The 11 BAG gebruiksdoelen (docs/rules.md §2.1).
BAG_USES = frozenset(
    {
        "woonfunctie",
        "bijeenkomstfunctie",
        "celfunctie",
        "gezondheidszorgfunctie",
        "industriefunctie",
        "kantoorfunctie",
        "logiesfunctie",
        "onderwijsfunctie",
        "sportfunctie",
        "winkelfunctie",
        "overige gebruiksfunctie",
    }
)
RESIDENTIAL_USES = frozenset({"woonfunctie", "logiesfunctie"})

_POSTCODE_SHAPE = re.compile(r"^(?:NL-?)?\s*([0-9]{4})\s*([A-Za-z]{2})$")
_LETTER = re.compile(r"^[A-Za-z]$")
_ADDITION = re.compile(r"^[A-Za-z0-9]{1,4}$")
_BAG_ID = re.compile(r"^[0-9]{16}$")
MAX_HOUSE_NUMBER = 99999


def normalise_postcode(raw: str) -> str:
    """``3511ab`` → ``3511 AB``; raises InvalidValue('postcode.format' | 'postcode.reserved')."""
    text = clean_text(raw or "").strip().upper()
    if not text:
        raise InvalidValue("postcode.required", raw)
    if not _POSTCODE_SHAPE.match(text):
        raise InvalidValue("postcode.format", raw)
    try:
        compact = nl_postcode.validate(text).replace(" ", "")
    except StdnumError as exc:
        match = _POSTCODE_SHAPE.match(text)
        if match and match.group(1)[0] == "0":
            raise InvalidValue("postcode.leading_zero", raw) from exc
        if match and match.group(2) in {"SA", "SD", "SS"}:
            raise InvalidValue("postcode.reserved", raw) from exc
        raise InvalidValue("postcode.format", raw) from exc
    return f"{compact[:4]} {compact[4:]}"


def parse_house_number(raw: str | int) -> int:
    """A house number 1–99999, in ASCII digits (``inputs.parse_whole_number``)."""
    text = str(raw).strip()
    if not text:
        raise InvalidValue("house_number.required", raw)
    number = parse_whole_number(text, "house_number.format", max_digits=18)
    if not 1 <= number <= MAX_HOUSE_NUMBER:
        raise InvalidValue("house_number.range", raw)
    return number


def normalise_house_letter(raw: str | None) -> str:
    """One letter A–Z, upper-cased; empty when absent."""
    text = clean_text(raw or "").strip()
    if not text:
        return ""
    if not _LETTER.match(text):
        raise InvalidValue("house_letter.format", raw)
    return text.upper()


def normalise_addition(raw: str | None) -> str:
    """Up to 4 letters or digits, upper-cased; empty when absent."""
    text = clean_text(raw or "").strip()
    if not text:
        return ""
    if not _ADDITION.match(text):
        raise InvalidValue("addition.format", raw)
    return text.upper()


def normalise_place_name(raw: str | None) -> str:
    """A street or town name as typed: NFC, no invisible characters (``inputs.clean_text``),
    runs of spaces as one; empty when absent."""
    return " ".join(clean_text(raw or "").split())


@dataclass(frozen=True)
class UnitMatch:
    """Which unit at a house number the input names: ``index`` into the units when found."""

    status: Literal["found", "choose", "not_found"]
    index: int | None = None


def resolve_unit(
    units: Sequence[tuple[str, str]], letter: str | None, addition: str | None
) -> UnitMatch:
    """The one address resolution of the web form, the API and the CSV upload.

    ``units``: (house letter, addition) of every register address at one postcode and house
    number, "" for none, the preferred first where the register repeats one. ``letter`` and
    ``addition``: the normalised input, None for a part the input does not give at all.

    - Neither part given (the form's look-up with both fields empty, an API address without
      the two keys, a CSV file without the two columns): the input leaves the unit open. The only
      unit at the number is found; between several the person chooses ("choose").
    - Otherwise the input names the unit; a part not given, or given empty (JSON null, an empty
      cell or field), is none. Exactly that unit is found: "5" with letter and addition empty is
      the plain number 5 even where 5A exists, and "not_found" when the register lacks it (never a
      guess at 5A).
    """
    if letter is None and addition is None:
        distinct = list(dict.fromkeys(units))
        if len(distinct) == 1:
            return UnitMatch("found", units.index(distinct[0]))
        return UnitMatch("choose" if distinct else "not_found")
    wanted = (letter or "", addition or "")
    if wanted in units:
        return UnitMatch("found", units.index(wanted))
    return UnitMatch("not_found")


def validate_bag_id(raw: str, object_type: str) -> str:
    """A 16-digit BAG id whose positions 5–6 are ``object_type`` ('20' or '01')."""
    text = (raw or "").strip()
    if not _BAG_ID.match(text):
        raise InvalidValue("bag_id.format", raw)
    if text[4:6] != object_type:
        raise InvalidValue("bag_id.object_type", raw)
    return text


def parse_uses(raw: str) -> tuple[str, ...]:
    """BAG gebruiksdoelen separated by ``,``, ``|`` or ``;`` → sorted tuple of known uses."""
    parts = [p.strip().lower() for p in re.split(r"[,|;]", raw or "") if p.strip()]
    unknown = [p for p in parts if p not in BAG_USES]
    if unknown:
        raise InvalidValue("uses.unknown", ", ".join(unknown))
    return tuple(sorted(set(parts)))


def parse_floor_area(raw: str) -> int | None:
    """Floor area in whole m² (1–100000), or None when unknown."""
    text = (raw or "").strip()
    if not text:
        return None
    area = parse_whole_number(text, "floor_area.format", max_digits=18)
    if not 1 <= area <= 100_000:
        raise InvalidValue("floor_area.range", raw)
    return area


def is_residential(uses: tuple[str, ...] | list[str]) -> bool:
    """True when the use includes woonfunctie or logiesfunctie (docs/rules.md §1.5,
    ``non_residential``)."""
    return bool(RESIDENTIAL_USES.intersection(uses))


def use_codes(stored: str) -> tuple[str, ...]:
    """The BAG use codes of an address as stored (comma-separated, possibly empty)."""
    return tuple(u for u in stored.split(",") if u)


def number_label(house_number: int, house_letter: str | None, addition: str | None) -> str:
    """House number with letter and addition as written on a letter: ``12A-2``."""
    label = f"{house_number}{house_letter or ''}"
    if addition:
        label += f"-{addition}"
    return label


def one_line(street: str, label: str, postcode: str, town: str) -> str:
    """An address on one line: ``Dorpsstraat 12A-2, 1234 AB Ergens``."""
    return f"{street} {label}, {postcode} {town}"
