"""Batches of declarations: the CSV file shape and the rules for one row (domain layer).

A batch comes as a CSV file saved by (Dutch) Excel or as a JSON array from the API. Both end up
here as one mapping per row, keyed by the canonical field names below, and are judged by
``validate_row`` — which calls the very normalisers and ``declaration_problems`` the web form
uses, so a bad value gets the same reason code through the form, the API and the CSV upload.

The CSV file (issue 6, docs/security.md T8):

- at most ``MAX_BYTES`` (5 MiB) and ``MAX_ROWS`` (10,000) data rows, refused before any row is
  judged; an empty file or a header without data rows is refused too;
- UTF-8 with or without a BOM, else Windows-1252 (what Excel writes as "CSV (;-gescheiden)");
  UTF-16 and binary files are refused;
- ``;`` or ``,`` separated (sniffed from the header line);
- dates as ``dd-mm-jjjj`` (also ``d-m-jjjj``, with ``-``, ``/`` or ``.``) or ISO ``jjjj-mm-dd``;
- the header names the columns (Dutch, or the English API names); order does not matter,
  unknown columns (such as the ``fout`` column of the error report) are ignored.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from portal.domain import inputs
from portal.domain.address import (
    normalise_addition,
    normalise_house_letter,
    normalise_postcode,
    parse_house_number,
)
from portal.domain.dates import check_date_range, parse_day
from portal.domain.declarations import DeclarationInput, declaration_problems
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_kvk

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

# The template's columns, in order: Dutch column name → canonical field name.
COLUMNS: dict[str, str] = {
    "postcode": "postcode",
    "huisnummer": "house_number",
    "huisletter": "house_letter",
    "toevoeging": "house_number_addition",
    "bag_id": "bag_id",
    "aantal_bewoners": "occupants",
    "waarvan_ingeschreven_brp": "occupants_registered_brp",
    "startdatum": "start_date",
    "einddatum": "end_date",
    "aparte_contracten": "separate_contracts",
    "namens_kvk": "declared_for_kvk",
}
FIELDS = tuple(COLUMNS.values())
# Other header spellings that are accepted: the English (API) names and a few common variants.
ALIASES: dict[str, str] = {
    **{field: field for field in FIELDS},
    "huisnummertoevoeging": "house_number_addition",
    "nummeraanduiding_id": "bag_id",
    "bewoners": "occupants",
    "ingeschreven_brp": "occupants_registered_brp",
    "kvk": "declared_for_kvk",
}
# Without these the file cannot be read (an address needs postcode + huisnummer, or bag_id).
REQUIRED_FIELDS = ("occupants", "start_date", "separate_contracts")


def example_row(today: date) -> tuple[str, ...]:
    """The template's sample row: an address of the demo register (Damstraat 65, Utrecht),
    starting ``today`` — so the downloaded template files as it is on the demo portal
    (tests/integration/test_readme_commands.py uploads it unchanged)."""
    return ("3539 AA", "65", "", "", "", "6", "4", f"{today:%d-%m-%Y}", "", "ja", "")


_DIGITS = re.compile(r"^[0-9]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_YES = frozenset({"ja", "j", "yes", "y", "true", "waar", "1"})
_NO = frozenset({"nee", "n", "no", "false", "onwaar", "0"})


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else Windows-1252; else ``batch.encoding``."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidValue("batch.encoding")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise InvalidValue("batch.encoding") from None
    if _CONTROL.search(text):  # NUL and friends: a binary file, or UTF-16 without a BOM
        raise InvalidValue("batch.encoding")
    return text


def sniff_delimiter(header_line: str) -> str:
    """``;`` (Dutch Excel) unless the header has more commas than semicolons."""
    return "," if header_line.count(",") > header_line.count(";") else ";"


def header_fields(names: list[str]) -> dict[str, int]:
    """Canonical field → column index, from the header cells (trimmed, any case)."""
    fields: dict[str, int] = {}
    for index, name in enumerate(names):
        key = "_".join(name.strip().strip('"').lower().split())
        field = COLUMNS.get(key) or ALIASES.get(key)
        if field is not None:
            fields.setdefault(field, index)
    return fields


def missing_columns(fields: Mapping[str, int]) -> list[str]:
    """The Dutch names of the columns a header lacks (empty when it can be read)."""
    dutch = {field: column for column, field in COLUMNS.items()}
    missing = [dutch[f] for f in REQUIRED_FIELDS if f not in fields]
    if "bag_id" not in fields and not ("postcode" in fields and "house_number" in fields):
        missing[:0] = [dutch[f] for f in ("postcode", "house_number") if f not in fields]
    return missing


def parse_date(value: object) -> date | None:
    """``1-12-2026``, ``01-12-2026``, ``1/12/2026`` or ``2026-12-01``; empty gives None.

    ``dates.parse_day`` reads it: 'date.format', or 'date.range' outside 1900–2200."""
    if value is None:
        return None
    if isinstance(value, date):
        return check_date_range(value)
    if not isinstance(value, str):
        raise InvalidValue("date.format", value)
    return parse_day(value)


def parse_whole_number(value: object) -> int | None:
    """A whole number (a JSON integer or digits, optionally negative); empty gives None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise InvalidValue("number.format", value)
    if not value.strip():
        return None
    return inputs.parse_whole_number(value, "number.format", signed=True, max_digits=6)


def parse_yes_no(value: object) -> bool | None:
    """``ja``/``nee`` (or yes/no, j/n, true/false, 1/0, a JSON boolean); empty gives None."""
    if value is None or isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise InvalidValue("yes_no.format", value)
    text = value.strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidValue("yes_no.format", value)


def parse_bag_id(value: object) -> str | None:
    """A nummeraanduiding (type 20) or verblijfsobject (type 01) id; empty gives None.

    Excel drops the leading zeros of a number-looking cell (``0344200000123456`` becomes
    ``344200000123456``): 12–15 digits are padded back to 16.
    """
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is None or isinstance(value, bool):
        raise InvalidValue("bag_id.format", value)
    if not text:
        return None
    if _DIGITS.match(text) and 12 <= len(text) < 16:
        text = text.zfill(16)
    if not _DIGITS.match(text) or len(text) != 16:
        raise InvalidValue("bag_id.format", value)
    if text[4:6] not in ("20", "01"):
        raise InvalidValue("bag_id.object_type", value)
    return text


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise InvalidValue("field.type_string", value)
    return str(value)


@dataclass(frozen=True)
class AddressKey:
    """An address as postcode + house number (+ letter + addition), normalised. A letter or
    addition is "" when the row gives it empty (none) and None when the row does not give it at
    all (no such column or JSON key): ``domain.address.resolve_unit`` tells them apart."""

    postcode: str
    house_number: int
    house_letter: str | None = ""
    house_number_addition: str | None = ""


@dataclass(frozen=True)
class RowValues:
    """One row that may be filed, once its address is found in the register."""

    bag_id: str | None
    address: AddressKey | None
    occupants: int
    occupants_registered_brp: int | None
    start_date: date
    end_date: date | None
    separate_contracts: bool
    declared_for_kvk: str | None

    def address_field(self) -> str:
        """The field to blame when the register lacks the address."""
        return "bag_id" if self.bag_id is not None else "postcode"


def _address(
    values: Mapping[str, object], problems: list[Problem]
) -> tuple[str | None, AddressKey | None]:
    try:
        bag_id = parse_bag_id(values.get("bag_id"))
    except InvalidValue as exc:
        problems.append(Problem("bag_id", exc.code))
        return None, None
    if bag_id is not None:
        return bag_id, None
    parts: dict[str, object] = {}
    for name, normalise in (
        ("postcode", normalise_postcode),
        ("house_number", parse_house_number),
        ("house_letter", normalise_house_letter),
        ("house_number_addition", normalise_addition),
    ):
        raw = values.get(name)
        if name in ("house_letter", "house_number_addition") and name not in values:
            parts[name] = None  # not given at all: the row leaves the unit open
            continue
        try:
            if name == "house_number" and isinstance(raw, int) and not isinstance(raw, bool):
                parts[name] = parse_house_number(raw)
            else:
                parts[name] = normalise(_text(raw))
        except InvalidValue as exc:
            problems.append(Problem(name, exc.code))
    if len(parts) < 4:
        return None, None
    letter, addition = parts["house_letter"], parts["house_number_addition"]
    return None, AddressKey(
        str(parts["postcode"]),
        int(parts["house_number"]),  # type: ignore[call-overload]
        None if letter is None else str(letter),
        None if addition is None else str(addition),
    )


def validate_row(
    values: Mapping[str, object], today: date
) -> tuple[RowValues | None, list[Problem]]:
    """Judge one row (canonical field → raw value): its values, or every problem with it."""
    problems: list[Problem] = []
    bag_id, key = _address(values, problems)
    parsed: dict[str, object] = {}
    for name, parse in (
        ("occupants", parse_whole_number),
        ("occupants_registered_brp", parse_whole_number),
        ("start_date", parse_date),
        ("end_date", parse_date),
        ("separate_contracts", parse_yes_no),
    ):
        try:
            parsed[name] = parse(values.get(name))
        except InvalidValue as exc:
            problems.append(Problem.of(name, exc))
    kvk: str | None = None
    raw_kvk = values.get("declared_for_kvk")
    try:
        text = _text(raw_kvk).strip()
        kvk = normalise_kvk(text) if text else None
    except InvalidValue as exc:
        problems.append(Problem("declared_for_kvk", exc.code))
    data = DeclarationInput(
        occupants=parsed.get("occupants"),  # type: ignore[arg-type]
        start_date=parsed.get("start_date"),  # type: ignore[arg-type]
        end_date=parsed.get("end_date"),  # type: ignore[arg-type]
        occupants_registered_brp=parsed.get("occupants_registered_brp"),  # type: ignore[arg-type]
        separate_contracts=parsed.get("separate_contracts"),  # type: ignore[arg-type]
    )
    unreadable = {p.field for p in problems}
    # A value that could not be read is not also "required": one problem per field.
    problems += [p for p in declaration_problems(data, today) if p.field not in unreadable]
    if problems or (bag_id is None and key is None):
        return None, problems
    assert data.occupants is not None and data.start_date is not None
    return (
        RowValues(
            bag_id=bag_id,
            address=key,
            occupants=data.occupants,
            occupants_registered_brp=data.occupants_registered_brp,
            start_date=data.start_date,
            end_date=data.end_date,
            separate_contracts=bool(data.separate_contracts),
            declared_for_kvk=kvk,
        ),
        [],
    )
