"""The staging loader of the national benchmark (docs/performance.md §3.2): many declarations at
once.

Only the benchmark uses it (``bench/national.py``); it lives here, not in the portal. Rows are
staged with the portal's bulk writer (``portal.services.staging.copy_rows``).

``load_declarations`` loads the national benchmark data (``bench/generate.py``) the way
docs/performance.md §3.2 describes:

1. the rows are copied into a temporary staging table;
2. set-based SQL checks every row at once: the address and the organisation exist, the number of
   occupants is 1–500, the period does not end before it starts, the kind is known, a successor
   (amendment or end) names an earlier row of the same load for the same organisation and address
   and no row is succeeded twice;
3. only when no row has a problem, ids and reference numbers are drawn (in filing order, from
   the same sequences single filings draw from), each chain's root is found
   with one recursive query, and the rows move into ``declarations`` with one
   ``INSERT … SELECT`` (the municipality comes from the address). One audit event records the
   load. With a problem nothing is stored and every problem is reported.

Receipts are not made here: a loaded declaration was filed elsewhere, and its receipt (if any)
is that system's. Flags follow from the re-evaluation (``flags reevaluate --all``).

``skip_key_triggers`` (PostgreSQL, superuser only: a fresh benchmark database) skips
PostgreSQL's per-row foreign-key triggers for the final insert, which halve its speed. It is
safe only because step 2 has checked every key in this transaction and the referenced
``addresses`` and ``organisations`` are locked in ``SHARE`` mode (nobody can delete one before
the commit); the self-references are checked within the load. The portal's own database role
is never a superuser (``check-deploy``), so production always runs the triggers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from operator import attrgetter
from time import perf_counter
from typing import Any

from sqlalchemy import Table, text

from portal import clock
from portal.domain.receipt_codes import REFERENCE_MIN_DIGITS, REFERENCE_PREFIX
from portal.extensions import db
from portal.services import audit
from portal.services.staging import copy_rows


@dataclass(frozen=True)
class StagedDeclaration:
    """One declaration to load. ``key`` is the caller's number for the row (a line, an index):
    problems name it, and a successor names its predecessor's key in ``supersedes_key``."""

    key: int
    kind: str
    organisation_id: int
    address_id: int
    occupants: int
    start_date: date
    end_date: date | None
    end_reason: str | None
    separate_contracts: bool
    supersedes_key: int | None
    filed_at: datetime
    occupants_registered_brp: int | None = None
    declared_for_kvk: str | None = None


_STAGED = [f.name for f in fields(StagedDeclaration)]


@dataclass(frozen=True)
class LoadProblem:
    key: int
    field: str
    code: str


@dataclass
class LoadReport:
    staged: int = 0
    inserted: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        phases = ", ".join(f"{name} {s:.2f} s" for name, s in self.seconds.items())
        return (
            f"{self.staged} rows staged, {self.inserted} declarations loaded, "
            f"{len(self.problems)} problems ({phases})"
        )


_CREATE_STAGE = """
CREATE TEMPORARY TABLE staged_declarations (
    key BIGINT NOT NULL,
    kind VARCHAR(10) NOT NULL,
    organisation_id INTEGER NOT NULL,
    address_id INTEGER NOT NULL,
    occupants INTEGER NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    end_reason VARCHAR(20),
    separate_contracts BOOLEAN NOT NULL,
    supersedes_key BIGINT,
    filed_at {timestamp} NOT NULL,
    occupants_registered_brp INTEGER,
    declared_for_kvk VARCHAR(8)
)
"""

# (field, code, the keys of the rows with that problem). Each is one query over the whole load.
_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "address_id",
        "address.not_in_register",
        "SELECT s.key FROM staged_declarations s"
        " LEFT JOIN addresses a ON a.id = s.address_id WHERE a.id IS NULL",
    ),
    (
        "organisation_id",
        "organisation.unknown",
        "SELECT s.key FROM staged_declarations s"
        " LEFT JOIN organisations o ON o.id = s.organisation_id WHERE o.id IS NULL",
    ),
    (
        "occupants",
        "occupants.range",
        "SELECT key FROM staged_declarations WHERE occupants < 1 OR occupants > 500",
    ),
    (
        "occupants_registered_brp",
        "brp.more_than_occupants",
        "SELECT key FROM staged_declarations WHERE occupants_registered_brp > occupants"
        " OR occupants_registered_brp < 0",
    ),
    (
        "end_date",
        "end_date.before_start",
        "SELECT key FROM staged_declarations WHERE end_date < start_date",
    ),
    (
        "kind",
        "load.kind",
        "SELECT key FROM staged_declarations WHERE kind NOT IN ('new', 'amendment', 'end')"
        " OR (kind = 'new' AND supersedes_key IS NOT NULL)"
        " OR (kind <> 'new' AND supersedes_key IS NULL)"
        " OR (kind = 'end' AND (end_date IS NULL OR end_reason IS NULL))",
    ),
    (
        "supersedes_key",
        "load.supersedes",
        # The predecessor is in this load, earlier in filing order (so no chain is a circle),
        # and for the same organisation and address.
        "SELECT s.key FROM staged_declarations s"
        " LEFT JOIN staged_declarations p ON p.key = s.supersedes_key"
        " WHERE s.supersedes_key IS NOT NULL AND (p.key IS NULL"
        " OR p.organisation_id <> s.organisation_id OR p.address_id <> s.address_id"
        " OR p.filed_at > s.filed_at OR (p.filed_at = s.filed_at AND p.key >= s.key))",
    ),
    (
        "supersedes_key",
        "declaration.superseded",
        "SELECT s.key FROM staged_declarations s WHERE s.supersedes_key IN"
        " (SELECT supersedes_key FROM staged_declarations WHERE supersedes_key IS NOT NULL"
        " GROUP BY supersedes_key HAVING count(*) > 1)",
    ),
    (
        "key",
        "load.key_repeated",
        "SELECT key FROM staged_declarations WHERE key IN"
        " (SELECT key FROM staged_declarations GROUP BY key HAVING count(*) > 1)",
    ),
)

_COPIED = (
    "kind",
    "organisation_id",
    "address_id",
    "occupants",
    "start_date",
    "end_date",
    "end_reason",
    "separate_contracts",
    "filed_at",
    "occupants_registered_brp",
    "declared_for_kvk",
)


def load_declarations(
    rows: Iterable[StagedDeclaration],
    *,
    actor_label: str = "load",
    skip_key_triggers: bool = False,
) -> LoadReport:
    """Stage, check and insert ``rows`` in the caller's transaction (see the module docstring).

    Returns the report; when it has problems, nothing was inserted.
    """
    report = LoadReport()
    postgres = db.session.connection().dialect.name == "postgresql"
    if skip_key_triggers and not (postgres and _is_superuser()):
        raise ValueError("skip_key_triggers needs PostgreSQL and a superuser role")
    session = db.session
    session.flush()
    session.execute(text("DROP TABLE IF EXISTS staged_declarations"))
    session.execute(text(_CREATE_STAGE.format(timestamp="TIMESTAMPTZ" if postgres else "DATETIME")))
    started = perf_counter()
    stage = Table("staged_declarations", db.MetaData(), *_stage_columns())
    report.staged = copy_rows(stage, _STAGED, map(attrgetter(*_STAGED), rows))
    session.execute(text("CREATE INDEX staged_declarations_key ON staged_declarations (key)"))
    session.execute(
        text("CREATE INDEX staged_declarations_sup ON staged_declarations (supersedes_key)")
    )
    if postgres:
        session.execute(text("ANALYZE staged_declarations"))
    report.seconds["stage"] = perf_counter() - started

    started = perf_counter()
    if skip_key_triggers:
        # Nobody deletes an address or organisation between the checks and the commit.
        session.execute(text("LOCK TABLE addresses, organisations IN SHARE MODE"))
    for field_name, code, query in _CHECKS:
        report.problems += [
            LoadProblem(key, field_name, code) for (key,) in session.execute(text(query))
        ]
    report.problems.sort(key=lambda p: (p.key, p.field))
    report.seconds["check"] = perf_counter() - started
    if report.problems or not report.staged:
        session.execute(text("DROP TABLE staged_declarations"))
        return report

    started = perf_counter()
    _draw_ids(postgres)
    session.execute(
        text(
            # Only successors: a first filing is its own root (most rows of a load).
            "CREATE TEMPORARY TABLE staged_roots AS"
            " WITH RECURSIVE chain(key, root_key) AS ("
            " SELECT s.key, s.supersedes_key FROM staged_declarations s"
            " JOIN staged_declarations p ON p.key = s.supersedes_key"
            " WHERE p.supersedes_key IS NULL"
            " UNION ALL SELECT s.key, c.root_key FROM staged_declarations s"
            " JOIN chain c ON s.supersedes_key = c.key)"
            " SELECT key, root_key FROM chain"
        )
    )
    session.execute(text("CREATE INDEX staged_roots_key ON staged_roots (key)"))
    if postgres:  # temporary tables are never analysed by autovacuum
        session.execute(text("ANALYZE staged_ids"))
        session.execute(text("ANALYZE staged_roots"))
    report.seconds["ids and roots"] = perf_counter() - started

    started = perf_counter()
    columns = ", ".join(_COPIED)
    selected = ", ".join(f"s.{name}" for name in _COPIED)
    if skip_key_triggers:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    # Only this module's column names and the dialect's reference expression are formatted in.
    result = session.execute(
        text(
            "INSERT INTO declarations"  # nosec B608  # module's names only, see above
            f" (id, reference, {columns}, municipality_id, supersedes_id, root_id)"
            f" SELECT i.id, {_reference_sql(postgres)}, {selected},"
            " a.municipality_id, p.id, coalesce(r.id, i.id)"
            " FROM staged_declarations s"
            " JOIN staged_ids i ON i.key = s.key"
            " JOIN addresses a ON a.id = s.address_id"
            " LEFT JOIN staged_roots c ON c.key = s.key"
            " LEFT JOIN staged_ids r ON r.key = c.root_key"
            " LEFT JOIN staged_ids p ON p.key = s.supersedes_key"
            " ORDER BY i.id"
        ),
        {"year": clock.today().year},
    )
    if skip_key_triggers:
        session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    report.inserted = result.rowcount  # type: ignore[attr-defined]
    report.seconds["insert"] = perf_counter() - started
    for table in ("staged_roots", "staged_ids", "staged_declarations"):
        session.execute(text(f"DROP TABLE {table}"))
    audit.record(
        "declarations.load",
        actor_label=actor_label,
        object_type="declaration",
        detail=f"count={report.inserted}",
    )
    return report


def _stage_columns() -> list[Any]:
    from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, String

    from portal.models.types import UTCDateTime

    types: dict[str, Any] = {
        "key": BigInteger,
        "kind": String,
        "organisation_id": Integer,
        "address_id": Integer,
        "occupants": Integer,
        "start_date": Date,
        "end_date": Date,
        "end_reason": String,
        "separate_contracts": Boolean,
        "supersedes_key": BigInteger,
        "filed_at": UTCDateTime,
        "occupants_registered_brp": Integer,
        "declared_for_kvk": String,
    }
    return [Column(name, types[name]()) for name in _STAGED]


def _draw_ids(postgres: bool) -> None:
    """``staged_ids(key, id, number)``: new declaration ids and reference numbers, in filing
    order, drawn as single filings draw them (so a filing running meanwhile never clashes)."""
    if postgres:
        db.session.execute(
            text(
                "CREATE TEMPORARY TABLE staged_ids AS SELECT key,"
                " nextval(pg_get_serial_sequence('declarations', 'id')) AS id,"
                " nextval(pg_get_serial_sequence('reference_numbers', 'id')) AS number"
                " FROM (SELECT key FROM staged_declarations ORDER BY filed_at, key) ordered"
            )
        )
    else:
        # SQLite has one writer at a time: no other filing can take ids until this commits.
        before = db.session.execute(
            text("SELECT coalesce(max(id), 0) FROM reference_numbers")
        ).scalar_one()
        inserted = db.session.execute(
            text("INSERT INTO reference_numbers (created_at) SELECT :now FROM staged_declarations"),
            {"now": clock.now().astimezone(UTC).replace(tzinfo=None)},
        ).rowcount  # type: ignore[attr-defined]
        after = db.session.execute(text("SELECT max(id) FROM reference_numbers")).scalar_one()
        if after != before + inserted:
            raise RuntimeError("reference numbers were drawn meanwhile")
        db.session.execute(
            text(
                "CREATE TEMPORARY TABLE staged_ids AS SELECT key,"
                " (SELECT coalesce(max(id), 0) FROM declarations) + n AS id, :before + n AS number"
                " FROM (SELECT key, row_number() OVER (ORDER BY filed_at, key) AS n"
                " FROM staged_declarations) ordered"
            ),
            {"before": before},
        )
    db.session.execute(text("CREATE INDEX staged_ids_key ON staged_ids (key)"))


def _reference_sql(postgres: bool) -> str:
    """The reference of ``i.number`` in ``:year``, as ``format_reference`` writes it."""
    digits = REFERENCE_MIN_DIGITS
    if postgres:
        return (
            f"'{REFERENCE_PREFIX}-' || :year || '-' || CASE WHEN i.number < {10**digits}"
            f" THEN lpad(i.number::text, {digits}, '0') ELSE i.number::text END"
        )
    return f"printf('{REFERENCE_PREFIX}-%d-%0{digits}d', :year, i.number)"


def _is_superuser() -> bool:
    return db.session.execute(text("SELECT current_setting('is_superuser')")).scalar() == "on"
