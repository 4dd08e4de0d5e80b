"""The address register from the BAG itself (service layer): the Kadaster's BAG 2.0 Extract or
PDOK's BAG GeoPackage, as the register stood on a reference date (docs/address-register.md).

Reading (``services.bag``) streams the parts in the order their references need: the
GEM-WPL-RELATIE file, woonplaatsen, streets and nummeraanduidingen are kept in memory as small
tuples (only the version in force on the day), the verblijfsobjecten then joined to their main
address (``domain.bag.join_main_address``). Writing is one bulk step: the rows go into a
temporary staging table (COPY on PostgreSQL, executemany elsewhere), the addresses whose register
data differ are listed, and one ``INSERT … SELECT … ON CONFLICT (nummeraanduiding_id) DO UPDATE
… WHERE <something differs>`` inserts the new and updates the changed ones. Declarations are
never touched; the changed addresses are judged again (``reevaluation.reevaluate_addresses``),
because the floor area sets limits. Nothing here commits: the CLI commits the run as one
transaction, so an error leaves the register as it was.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    literal,
    or_,
    select,
    true,
)

from portal import clock
from portal.domain import bag
from portal.domain.identifiers import normalise_municipality_code
from portal.domain.search import street_key
from portal.extensions import db
from portal.models import Address, Municipality
from portal.services import reevaluation
from portal.services.addresses import REGISTER_FIELDS, expire_held_addresses
from portal.services.bag import extract as bag_extract
from portal.services.errors import Refused
from portal.services.staging import copy_rows

# The register columns the import writes and compares: the CSV import's own.
FIELDS = REGISTER_FIELDS
# ``street_key`` (domain.search) is derived from ``street``: written, never compared.
COLUMNS = ("nummeraanduiding_id", *FIELDS, "street_key")
_MAX = {"street": 120, "town": 80, "house_number_addition": 4, "house_letter": 1}

Progress = Callable[[str], None]
# Seconds between two progress lines.
PROGRESS_EVERY = 5.0


@dataclass
class SkippedObject:
    identificatie: str
    reason: str
    detail: str = ""


@dataclass
class BagImportReport:
    """What one run read, wrote and left out, and why."""

    source: str
    peildatum: date
    read: Counter[str] = field(default_factory=Counter)  # versions read per part
    in_force: Counter[str] = field(default_factory=Counter)  # objects in force on the day
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[SkippedObject] = field(default_factory=list)
    unknown_municipalities: Counter[str] = field(default_factory=Counter)
    created_municipalities: list[str] = field(default_factory=list)
    rejudged: int = 0
    flags_changed: int = 0
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def skipped_by_reason(self) -> Counter[str]:
        return Counter(s.reason for s in self.skipped)

    def lines(self) -> list[str]:
        """The console summary."""
        out = [f"BAG import of {self.source}, reference date {self.peildatum.isoformat()}"]
        for kind in (*bag_extract.KINDS, "GPKG"):
            if self.read[kind]:
                out.append(
                    f"  {kind}: {self.read[kind]} read, {self.in_force[kind]} in force on the day"
                )
        out.append(
            f"  addresses: {self.imported} imported ({self.inserted} new, {self.updated} "
            f"updated, {self.unchanged} unchanged), {len(self.skipped)} skipped"
        )
        for reason, count in sorted(self.skipped_by_reason().items()):
            out.append(f"    skipped {reason}: {count}")
        for code, count in sorted(self.unknown_municipalities.items()):
            out.append(f"  unknown municipality {code}: {count} addresses")
        if self.created_municipalities:
            out.append(
                "  municipalities created (to be named by the system administrator): "
                + ", ".join(self.created_municipalities)
            )
        out.append(
            f"  re-judged {self.rejudged} addresses whose register data changed "
            f"({self.flags_changed} flags changed)"
        )
        rate = self.in_force["VBO"] / self.seconds if self.seconds else 0.0
        out.append(f"  {self.seconds:.1f} s ({rate:,.0f} verblijfsobjecten/s)")
        return out

    def write_csv(self, path: Path) -> None:
        """The report as CSV: the counts (section ``count``), then one line per skipped object."""
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["section", "name", "value", "detail"])
            writer.writerow(["count", "peildatum", self.peildatum.isoformat(), ""])
            for kind, count in sorted(self.read.items()):
                writer.writerow(["count", f"read_{kind}", count, ""])
            for kind, count in sorted(self.in_force.items()):
                writer.writerow(["count", f"in_force_{kind}", count, ""])
            for name in ("imported", "inserted", "updated", "unchanged", "rejudged"):
                writer.writerow(["count", name, getattr(self, name), ""])
            writer.writerow(["count", "skipped", len(self.skipped), ""])
            for reason, count in sorted(self.skipped_by_reason().items()):
                writer.writerow(["count", f"skipped_{reason}", count, ""])
            for code, count in sorted(self.unknown_municipalities.items()):
                writer.writerow(["unknown_municipality", code, count, ""])
            for code in self.created_municipalities:
                writer.writerow(["created_municipality", code, "", ""])
            for item in self.skipped:
                writer.writerow(["skipped", item.reason, item.identificatie, item.detail])


# --- reading the extract ------------------------------------------------------------------------


class _Ticker:
    """Calls ``progress`` with a line every few seconds while a part is read."""

    def __init__(self, progress: Progress | None, every: float = 5.0) -> None:
        self.progress = progress
        self.every = every
        self.started = perf_counter()
        self.last = self.started

    def tick(self, kind: str, count: int) -> None:
        if self.progress is None or count % 4096:
            return
        now = perf_counter()
        if now - self.last >= self.every:
            self.last = now
            elapsed = now - self.started
            self.progress(f"{kind}: {count:,} read, {count / elapsed:,.0f}/s, {elapsed:.0f} s")


@dataclass(slots=True)
class Candidate:
    """A verblijfsobject in force on the day: what the register row is made of."""

    identificatie: str
    main: str
    uses: str
    area: int | None
    status: str


def read_extract(
    path: Path,
    day: date,
    report: BagImportReport,
    progress: Progress | None,
    workers: int | None = None,
) -> Iterator[tuple[Candidate, bag.Joined | bag.Skipped]]:
    """Each verblijfsobject in force on ``day`` with its joined main address (or why not).

    The parts are read in parallel processes (``workers``) when the extract has several; each
    returns only the objects in force on the day, as compact rows. By default only on a machine
    with at least 4 CPUs (then 4 workers): on 2 busy cores the processes cost more than they
    gave (200,000 objects: 8.2 s serial, 10.3 s with 2 workers)."""
    started = last_line = perf_counter()
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(cpus, 4) if cpus >= 4 else 1
    with bag_extract.locate(path) as located:
        relations: list[bag.Relation] = []
        for part in located.parts["GWR"]:
            for record in bag_extract.relations(part):
                report.read["GWR"] += 1
                end = record.get("end")
                relations.append(
                    bag.Relation(
                        record["woonplaats"],
                        record["gemeente"],
                        bag.parse_date(record["begin"]),
                        bag.parse_date(end) if end else None,
                    )
                )
        municipalities = bag.municipalities_on(relations, day)
        report.in_force["GWR"] = len(municipalities)

        held: dict[str, dict[str, tuple[Any, ...]]] = {k: {} for k in ("WPL", "OPR", "NUM", "VBO")}
        parts = [p for kind in ("WPL", "OPR", "NUM", "VBO") for p in located.parts[kind]]
        for kind, read, rows in bag_extract.read_parts(parts, day.isoformat(), workers):
            report.read[kind] += read
            objects = held[kind]
            for row in rows:
                known = objects.get(row[0])
                if known is None or row[1] >= known[1]:  # the later begin wins
                    objects[row[0]] = row
            now = perf_counter()
            if progress is not None and now - last_line >= PROGRESS_EVERY:
                last_line = now
                elapsed = now - started
                total = sum(report.read.values())
                progress(
                    f"{kind}: {report.read[kind]:,} read; {total:,} objects of all types in "
                    f"{elapsed:.0f} s ({total / max(elapsed, 0.001):,.0f}/s)"
                )
    towns = {ident: row[2] for ident, row in held.pop("WPL").items()}
    streets = {ident: bag.Street(row[2], row[3]) for ident, row in held.pop("OPR").items()}
    addresses = {ident: bag.Nummeraanduiding(*row[2:]) for ident, row in held.pop("NUM").items()}
    units = held.pop("VBO")
    for kind, count in (("WPL", towns), ("OPR", streets), ("NUM", addresses), ("VBO", units)):
        report.in_force[kind] = len(count)
    join = bag.join_main_address
    for ident, row in units.items():
        candidate = Candidate(ident, row[2], row[3], row[4], row[5])
        yield candidate, join(candidate.main, addresses, streets, towns, municipalities)


# --- the import ---------------------------------------------------------------------------------


def _municipality_ids() -> dict[str, int]:
    rows = db.session.execute(select(Municipality.code, Municipality.id))
    return {code: ident for code, ident in rows}


def _create_municipalities(codes: Iterable[str], report: BagImportReport) -> dict[str, int]:
    """Create the municipalities the extract names and the portal lacks, named by their code."""
    for code in sorted(codes):
        db.session.add(Municipality(code=code, name=code))
        report.created_municipalities.append(code)
    db.session.flush()
    return _municipality_ids()


def import_bag(
    path: Path,
    peildatum: date | None = None,
    *,
    gemeente: str | None = None,
    create_municipalities: bool = False,
    progress: Progress | None = None,
    joined: Iterable[tuple[Candidate, bag.Joined | bag.Skipped]] | None = None,
    report_hook: Callable[[BagImportReport], None] | None = None,
) -> BagImportReport:
    """Load the register as it stood on ``peildatum`` (default today) from a BAG 2.0 Extract at
    ``path`` (or the already joined objects of another format); the caller commits."""
    started = perf_counter()
    day = peildatum or clock.today()
    only = normalise_municipality_code(gemeente) if gemeente else None
    report = BagImportReport(str(path), day)
    if report_hook is not None:
        report_hook(report)
    db.session.flush()
    if joined is None:
        joined = read_extract(path, day, report, progress)
    rows: dict[str, tuple[Any, ...]] = {}
    pending: list[tuple[Candidate, bag.Joined]] = []
    for candidate, address in joined:
        if not bag.address_exists(candidate.status):
            report.skipped.append(
                SkippedObject(candidate.identificatie, bag.SKIP_STATUS, candidate.status)
            )
            continue
        if isinstance(address, bag.Skipped):
            report.skipped.append(
                SkippedObject(candidate.identificatie, address.reason, address.detail)
            )
            continue
        if only is not None and address.municipality_code != only:
            report.skipped.append(
                SkippedObject(
                    candidate.identificatie, bag.SKIP_OTHER_MUNICIPALITY, address.municipality_code
                )
            )
            continue
        pending.append((candidate, address))
    ids = _municipality_ids()
    unknown = {a.municipality_code for _, a in pending} - ids.keys()
    if unknown and create_municipalities:
        ids = _create_municipalities(unknown, report)
    for candidate, address in pending:
        municipality_id = ids.get(address.municipality_code)
        if municipality_id is None:
            report.unknown_municipalities[address.municipality_code] += 1
            report.skipped.append(
                SkippedObject(
                    candidate.identificatie,
                    bag.SKIP_UNKNOWN_MUNICIPALITY,
                    address.municipality_code,
                )
            )
            continue
        problem = _too_long(address)
        if problem:
            report.skipped.append(SkippedObject(candidate.identificatie, bag.SKIP_INVALID, problem))
            continue
        if address.nummeraanduiding in rows:
            report.skipped.append(
                SkippedObject(
                    candidate.identificatie,
                    "duplicate_main_address",
                    f"nummeraanduiding {address.nummeraanduiding}",
                )
            )
            continue
        rows[address.nummeraanduiding] = (
            address.nummeraanduiding,
            candidate.identificatie,
            address.street,
            address.house_number,
            address.house_letter,
            address.addition,
            address.postcode,
            address.town,
            municipality_id,
            candidate.area,
            candidate.uses,
            candidate.status[:60],
            True,
        )
    if progress is not None:
        progress(f"writing {len(rows):,} addresses")
    changed = upsert(rows.values(), report)
    expire_held_addresses()
    if changed:
        judged = reevaluation.reevaluate_addresses(changed, clock.today())
        report.rejudged = judged.evaluated
        report.flags_changed = judged.opened + judged.updated + judged.resolved
    report.seconds = perf_counter() - started
    return report


def _too_long(address: bag.Joined) -> str:
    values = {
        "street": address.street,
        "town": address.town,
        "house_number_addition": address.addition,
        "house_letter": address.house_letter,
    }
    for name, value in values.items():
        if len(value) > _MAX[name]:
            return f"{name}: more than {_MAX[name]} characters"
    return ""


def _staging_table() -> Table:
    return Table(
        "bag_import_staging",
        MetaData(),
        Column("nummeraanduiding_id", String(16), primary_key=True),
        Column("verblijfsobject_id", String(16)),
        Column("street", String(120)),
        Column("street_key", String(120)),
        Column("house_number", Integer),
        Column("house_letter", String(1)),
        Column("house_number_addition", String(4)),
        Column("postcode", String(7)),
        Column("town", String(80)),
        Column("municipality_id", Integer),
        Column("floor_area_m2", Integer),
        Column("uses", String(300)),
        Column("bag_status", String(60)),
        Column("verified", Boolean),
        prefixes=["TEMPORARY"],
    )


_street_key = lru_cache(maxsize=65_536)(street_key)


def upsert(rows: Iterable[tuple[Any, ...]], report: BagImportReport) -> list[int]:
    """Write the rows (``COLUMNS`` order) into the register; returns the ids of the addresses
    whose register data changed. Counts new, updated and unchanged rows into ``report``."""
    connection = db.session.connection()
    staging = _staging_table()
    staging.drop(connection, checkfirst=True)
    staging.create(connection)
    keyed = ((*row, _street_key(row[2])) for row in rows)  # row[2]: the street
    total = copy_rows(staging, COLUMNS, keyed)
    addresses = Address.__table__
    differs = or_(*(addresses.c[name].is_distinct_from(staging.c[name]) for name in FIELDS))
    changed = list(
        connection.execute(
            select(addresses.c.id)
            .join(
                staging,
                staging.c.nummeraanduiding_id == addresses.c.nummeraanduiding_id,
            )
            .where(differs)
            .order_by(addresses.c.id)
        ).scalars()
    )
    new = connection.execute(
        select(func.count())
        .select_from(staging)
        .where(
            ~select(addresses.c.id)
            .where(addresses.c.nummeraanduiding_id == staging.c.nummeraanduiding_id)
            .exists()
        )
    ).scalar_one()
    now = clock.now()
    stamp = addresses.c.created_at.type
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(addresses).from_select(
        [*COLUMNS, "created_at", "updated_at"],
        select(
            *(staging.c[name] for name in COLUMNS),
            literal(now, stamp),
            literal(now, stamp),
        ).where(true()),  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[addresses.c.nummeraanduiding_id],
        set_={name: excluded[name] for name in (*FIELDS, "street_key", "updated_at")},
        where=or_(*(addresses.c[name].is_distinct_from(excluded[name]) for name in FIELDS)),
    )
    connection.execute(statement)
    # Dropped here on success; after an error the rollback ends the run and the next run's
    # ``checkfirst`` drop clears a leftover (a temporary table lives as long as the connection).
    staging.drop(connection)
    report.inserted = new
    report.updated = len(changed)
    report.unchanged = total - new - len(changed)
    return changed


# --- the GeoPackage -----------------------------------------------------------------------------


def read_geopackage(
    path: Path, report: BagImportReport, progress: Progress | None
) -> Iterator[tuple[Candidate, bag.Joined | bag.Skipped]]:
    """Each verblijfsobject of a BAG GeoPackage with its (already joined) main address."""
    from portal.services.bag import geopackage

    ticker = _Ticker(progress)
    try:
        for count, row in enumerate(geopackage.rows(path), start=1):
            ticker.tick("GPKG", count)
            report.read["GPKG"] += 1
            report.in_force["GPKG"] += 1
            yield _geopackage_object(row)
    except geopackage.MissingColumns as exc:
        raise Refused.one("file", "columns.missing", str(exc)) from None


def _geopackage_object(row: dict[str, str | None]) -> tuple[Candidate, bag.Joined | bag.Skipped]:
    vbo = row["vbo"] or ""
    num = row["num"] or ""
    area = row.get("area")
    candidate = Candidate(
        vbo,
        num,
        bag.uses_text((row.get("uses") or "").split(",")),
        int(float(area)) if area else None,
        (row.get("status") or "").strip(),
    )
    postcode = bag.postcode_text(row.get("postcode"))
    if postcode is None:
        return candidate, bag.Skipped(bag.SKIP_NO_POSTCODE, f"nummeraanduiding {num}")
    gemeente = row.get("gemeente") or num[:4]
    try:
        number = int(float(row["number"] or ""))
    except ValueError:
        return candidate, bag.Skipped(bag.SKIP_INVALID, f"huisnummer {row['number']!r}")
    return candidate, bag.Joined(
        num,
        row["street"] or "",
        number,
        (row.get("letter") or "").upper(),
        (row.get("addition") or "").upper(),
        postcode,
        row["town"] or "",
        bag.municipality_code(gemeente),
    )


def import_geopackage(
    path: Path,
    peildatum: date | None = None,
    *,
    gemeente: str | None = None,
    create_municipalities: bool = False,
    progress: Progress | None = None,
) -> BagImportReport:
    """Load the register from PDOK's BAG GeoPackage (current state; ``peildatum`` is only
    reported); otherwise as ``import_bag``."""
    report_holder: list[BagImportReport] = []

    def joined() -> Iterator[tuple[Candidate, bag.Joined | bag.Skipped]]:
        yield from read_geopackage(path, report_holder[0], progress)

    return import_bag(
        path,
        peildatum,
        gemeente=gemeente,
        create_municipalities=create_municipalities,
        progress=progress,
        joined=joined(),
        report_hook=report_holder.append,
    )
