"""The address register (service layer): import a BAG-shaped CSV, look an address up.

The import upserts by BAG nummeraanduiding with Core statements in batches, because a national
file has hundreds of thousands of rows and an ORM unit of work per row would take minutes. It
never commits: the CLI command commits once, and any exception (a refused file) rolls back all.
Each bad line is reported with its line number and reason code; the good lines are imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import bindparam, insert, select, update

from portal import clock
from portal.domain.address import (
    normalise_addition,
    normalise_house_letter,
    normalise_place_name,
    normalise_postcode,
    parse_floor_area,
    parse_house_number,
    parse_uses,
    resolve_unit,
    validate_bag_id,
)
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_municipality_code
from portal.domain.search import street_key
from portal.extensions import db
from portal.models import Address, Municipality
from portal.services.imports import CsvTable, ImportReport, RejectedLine, Source, read_csv
from portal.services.queries import Scope, restrict

BATCH_SIZE = 5000

# The header of a BAG-shaped address file. All are needed: an upsert from a file that lacks a
# column could not tell "empty" from "not given" and would blank what the register holds.
ADDRESS_COLUMNS = (
    "nummeraanduiding_identificatie",
    "verblijfsobject_identificatie",
    "openbare_ruimte_naam",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "postcode",
    "woonplaats_naam",
    "gemeentecode",
    "oppervlakte",
    "gebruiksdoelen",
    "status",
)

# The register columns an import writes and compares, in this order (``verified`` last); the
# CSV import here and the BAG import (services.bag_import) share them.
REGISTER_FIELDS = (
    "verblijfsobject_id",
    "street",
    "house_number",
    "house_letter",
    "house_number_addition",
    "postcode",
    "town",
    "municipality_id",
    "floor_area_m2",
    "uses",
    "bag_status",
    "verified",
)
# Longest text each column holds (the String lengths of the Address model).
_MAX_STREET = 120
_MAX_TOWN = 80
_MAX_STATUS = 60


# --- the import ---------------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _checked(column: str, raw: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(raw)
    except InvalidValue as exc:
        raise _Rejected(exc.code, f"{column} {raw.strip()!r}") from None


def _text(column: str, line: dict[str, str], required_code: str | None, max_length: int) -> str:
    """A name as the register file gives it, in NFC with no invisible characters."""
    value = _checked(column, line[column], normalise_place_name)
    if not value and required_code:
        raise _Rejected(required_code, column)
    if len(value) > max_length:
        raise _Rejected("field.too_long", f"{column}: at most {max_length} characters")
    return value


def _memoised(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Remember results and refusal codes per raw value: a file repeats postcodes and uses a lot."""
    seen: dict[str, tuple[bool, Any]] = {}

    def cached(raw: str) -> Any:
        hit = seen.get(raw)
        if hit is None:
            try:
                hit = (True, parse(raw))
            except InvalidValue as exc:
                hit = (False, exc.code)
            seen[raw] = hit
        if hit[0]:
            return hit[1]
        raise InvalidValue(hit[1], raw)

    return cached


class _LineParser:
    """Turns one line into (nummeraanduiding, register values in ``REGISTER_FIELDS`` order)."""

    def __init__(self, table: CsvTable, municipality_ids: dict[str, int]) -> None:
        self.get = {name: table.getter(name) for name in ADDRESS_COLUMNS}
        self.municipality_ids = municipality_ids
        self.postcode = _memoised(normalise_postcode)
        self.uses = _memoised(lambda raw: ",".join(parse_uses(raw)))
        self.municipality_code = _memoised(normalise_municipality_code)

    def parse(self, cells: list[str]) -> tuple[str, tuple[Any, ...]]:
        value = {name: get(cells) for name, get in self.get.items()}
        if not value["nummeraanduiding_identificatie"].strip():
            raise _Rejected("field.required", "nummeraanduiding_identificatie")
        nummeraanduiding = _checked(
            "nummeraanduiding_identificatie",
            value["nummeraanduiding_identificatie"],
            lambda raw: validate_bag_id(raw, "20"),
        )
        verblijfsobject = None
        if value["verblijfsobject_identificatie"].strip():
            verblijfsobject = _checked(
                "verblijfsobject_identificatie",
                value["verblijfsobject_identificatie"],
                lambda raw: validate_bag_id(raw, "01"),
            )
        street = _text("openbare_ruimte_naam", value, "street.required", _MAX_STREET)
        number = _checked("huisnummer", value["huisnummer"], parse_house_number)
        letter = _checked("huisletter", value["huisletter"], normalise_house_letter)
        addition = _checked(
            "huisnummertoevoeging", value["huisnummertoevoeging"], normalise_addition
        )
        postcode = _checked("postcode", value["postcode"], self.postcode)
        town = _text("woonplaats_naam", value, "town.required", _MAX_TOWN)
        if not value["gemeentecode"].strip():
            raise _Rejected("municipality.required", "gemeentecode")
        code = _checked("gemeentecode", value["gemeentecode"], self.municipality_code)
        municipality_id = self.municipality_ids.get(code)
        if municipality_id is None:
            raise _Rejected("municipality.unknown", f"gemeentecode {code}")
        area = _checked("oppervlakte", value["oppervlakte"], parse_floor_area)
        uses = _checked("gebruiksdoelen", value["gebruiksdoelen"], self.uses)
        status = _text("status", value, None, _MAX_STATUS)
        values = (
            verblijfsobject,
            street,
            number,
            letter,
            addition,
            postcode,
            town,
            municipality_id,
            area,
            uses,
            status,
            True,  # verified: the row comes from the register
        )
        return nummeraanduiding, values


def _municipality_ids() -> dict[str, int]:
    """Municipality code → id, for every municipality the portal knows."""
    rows = db.session.execute(select(Municipality.code, Municipality.id))
    return {code: ident for code, ident in rows}


def _register_by_nummeraanduiding() -> dict[str, tuple[int, tuple[Any, ...]]]:
    """The register read once: nummeraanduiding → (id, values in ``REGISTER_FIELDS`` order)."""
    addresses = Address.__table__
    rows = db.session.execute(
        select(
            addresses.c.nummeraanduiding_id,
            addresses.c.id,
            *(addresses.c[name] for name in REGISTER_FIELDS),
        ).where(addresses.c.nummeraanduiding_id.is_not(None))
    )
    return {row[0]: (row[1], tuple(row[2:])) for row in rows}


class _Duplicates:
    """The first line of each nummeraanduiding and each address (number, letter, addition,
    postcode) in the file; a later line with either is refused."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.addresses: dict[tuple[Any, ...], int] = {}

    def check(self, line: int, nummeraanduiding: str, values: tuple[Any, ...]) -> None:
        first = self.ids.get(nummeraanduiding)
        if first is not None:
            raise _Rejected("duplicate_in_file", f"nummeraanduiding as on line {first}")
        key = values[2:6]  # house number, letter, addition, postcode
        first = self.addresses.get(key)
        if first is not None:
            raise _Rejected("duplicate_in_file", f"address as on line {first}")
        self.ids[nummeraanduiding] = line
        self.addresses[key] = line


_street_key = lru_cache(maxsize=65_536)(street_key)


class _Writer:
    """Inserts and updates of address rows, written with one statement per ``BATCH_SIZE``."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.now = clock.now()
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        table = Address.__table__
        self.update_by_id = update(table).where(table.c.id == bindparam("row_id"))

    def add(
        self,
        nummeraanduiding: str,
        values: tuple[Any, ...],
        known: tuple[int, tuple[Any, ...]] | None,
    ) -> None:
        """Insert a new address, update a changed one, count an unchanged one."""
        if known is None:
            row = dict(zip(REGISTER_FIELDS, values, strict=True))
            row.update(
                nummeraanduiding_id=nummeraanduiding,
                street_key=_street_key(row["street"]),
                created_at=self.now,
                updated_at=self.now,
            )
            self.inserts.append(row)
            self.report.inserted += 1
        elif known[1] == values:
            self.report.unchanged += 1
        else:
            row = dict(zip(REGISTER_FIELDS, values, strict=True))
            row.update(row_id=known[0], street_key=_street_key(row["street"]), updated_at=self.now)
            self.updates.append(row)
            self.report.updated += 1
        if len(self.inserts) >= BATCH_SIZE or len(self.updates) >= BATCH_SIZE:
            self.write()

    def write(self) -> None:
        if self.inserts:
            db.session.execute(insert(Address.__table__), self.inserts)
            self.inserts.clear()
        if self.updates:
            db.session.execute(self.update_by_id, self.updates)
            self.updates.clear()


def expire_held_addresses() -> None:
    """Core writes bypass the identity map: reload any Address the caller already holds."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Address):
            db.session.expire(obj)


def import_addresses(source: Source) -> ImportReport:
    """Upsert a BAG-shaped CSV into the register, keyed by nummeraanduiding (caller commits).

    ``source`` is a file (Path), its bytes, or its text (str). Refused (nothing to store) when the
    bytes are not UTF-8 or a column is missing; bad lines are listed in the report.
    """
    table = read_csv(source, ADDRESS_COLUMNS)
    db.session.flush()
    parser = _LineParser(table, _municipality_ids())
    existing = _register_by_nummeraanduiding()
    report = ImportReport()
    duplicates = _Duplicates()
    writer = _Writer(report)
    for line, cells in table.lines:
        try:
            nummeraanduiding, values = parser.parse(cells)
            duplicates.check(line, nummeraanduiding, values)
        except _Rejected as rejected:
            report.rejected.append(RejectedLine(line, rejected.code, rejected.detail))
            continue
        writer.add(nummeraanduiding, values, existing.get(nummeraanduiding))
    writer.write()
    expire_held_addresses()
    return report


# --- the lookup ---------------------------------------------------------------------------------

LookupStatus = Literal["found", "choose", "not_found", "invalid"]


@dataclass(frozen=True)
class LookupResult:
    """The answer to a postcode + house number look-up; ``choices`` when the user must pick."""

    status: LookupStatus
    address: Address | None = None
    choices: list[Address] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _unit_order(address: Address) -> tuple[str, int, int, str]:
    # Numeric additions in number order (2 before 10), then the rest alphabetically (BS, H, I, II).
    addition = address.house_number_addition
    if addition.isascii() and addition.isdigit():
        return (address.house_letter, 0, int(addition), "")
    return (address.house_letter, 0 if not addition else 1, 0, addition)


def lookup_address(
    postcode: str,
    house_number: str | int,
    letter: str | None = None,
    addition: str | None = None,
    *,
    register_only: bool = False,
    scope: Scope | None = None,
) -> LookupResult:
    """Find an address in the whole register by postcode and number (+ letter, addition).

    ``letter`` / ``addition`` None: not given; "" given as none. Which address that names is
    ``domain.address.resolve_unit``'s rule, the one the CSV upload follows too: with neither
    given and several addresses at the number the answer is "choose" with all of them, so the
    user picks instead of guessing; a named unit the register lacks is "not_found", with the
    addresses that are at the number as ``choices``. ``register_only``: only the register's
    (verified) addresses, not those typed by hand on the web form — what the API and the CSV
    upload may file at. ``scope``: only the addresses it may see (an unregistered address only
    for the organisations that entered it or declared there; ``queries.RULES``).
    """
    problems: list[Problem] = []

    def parsed(name: str, parse: Callable[[Any], Any], raw: object) -> Any:
        try:
            return parse(raw)
        except InvalidValue as exc:
            problems.append(Problem(name, exc.code))
            return None

    wanted_postcode = parsed("postcode", normalise_postcode, postcode)
    wanted_number = parsed("house_number", parse_house_number, house_number)
    wanted_letter = (
        None if letter is None else parsed("house_letter", normalise_house_letter, letter)
    )
    wanted_addition = (
        None if addition is None else parsed("house_number_addition", normalise_addition, addition)
    )
    if problems:
        return LookupResult("invalid", problems=problems)

    stmt = select(Address).where(
        Address.postcode == wanted_postcode, Address.house_number == wanted_number
    )
    if register_only:
        stmt = stmt.where(Address.verified)
    if scope is not None:
        stmt = restrict(stmt, Address, scope)
    stmt = stmt.where(Address.retired_at.is_(None))
    # The register's row before a manual one, then the oldest.
    found = db.session.execute(stmt.order_by(Address.verified.desc(), Address.id)).scalars()
    choices = sorted(found, key=_unit_order)
    match = resolve_unit(
        [(a.house_letter, a.house_number_addition) for a in choices], wanted_letter, wanted_addition
    )
    if match.status == "found":
        assert match.index is not None
        return LookupResult("found", address=choices[match.index])
    return LookupResult(match.status, choices=choices)
