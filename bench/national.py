"""National-scale measurement of the daily re-evaluation (benchmark; not part of the test suite).

Builds the national fixture of docs/performance.md §4 in a fresh PostgreSQL database —
342 municipalities, 150,000 addresses, 10,000 organisations, 1,000,000 declarations — and times
``portal.services.reevaluation.reevaluate`` against a raw ``GROUP BY address_id`` over the same
table, run in the same job (P4: report the ratio, target ≤ 3×).

Loading: the database is dropped and created, the schema comes from ``flask db upgrade`` (with
``PORTAL_DATABASE_URL``), municipalities and addresses go through the portal's own importers
(``import_municipalities``, ``import_addresses`` on a ``generate_bag_rows`` CSV), declarations
through the benchmark's staging loader (``bench/staging_loader.py``: COPY into a staging table,
set-based checks, one ``INSERT … SELECT``, references drawn as the portal draws them) and
organisations, permits and policies through the portal's bulk writer (``staging.copy_rows``: COPY).
The data follow from ``--seed``; no receipts (they are not the loader's: see its docstring).

Declarations (per address 6–7 filings, 1,000,000 in all, COPYed in filing order): 1–3 current
declarants at most addresses and up to 6 at a few, within the address's limit except at about
8 % of addresses (overfull), offices and shops empty unless overfull; the rest history that ended
in the two years before the day; one in five current filings has a successor (an amendment
from a later date, or an end). About 35 % of addresses have a permit, half of them
ending within a year; 40 municipalities have their own policy (15 m² per person), 3 of them from
the measured day.

Measured, with ``--runs`` repetitions and the median reported (each run rolled back, so every
run does the same work):

1. ``reevaluate(day - 1, everything=True)`` once, committed: builds the flags (one-off cost);
2. the daily run ``reevaluate(day)``;
3. ``reevaluate(day, everything=True)``;
4. the raw ``SELECT address_id, SUM(occupants) FROM declarations GROUP BY address_id`` (all rows
   fetched), and the same restricted to the rows the re-evaluation reads.

Usage::

    .venv/bin/python bench/national.py                  # load, then measure
    .venv/bin/python bench/national.py --skip-load      # measure the loaded database again
    .venv/bin/python bench/national.py --addresses 20000 --declarations 133000   # a quick try

The figures of the last full run are in README.md, "Daily re-evaluation".
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.staging_loader import StagedDeclaration, load_declarations  # noqa: E402
from portal import create_app  # noqa: E402
from portal.demo.generate import (  # noqa: E402
    national_municipalities,
    write_bag_csv,
    write_municipalities_csv,
)
from portal.domain.address import is_residential  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Address, Flag, MunicipalPolicy, Organisation, Permit  # noqa: E402
from portal.services import reevaluation, staging  # noqa: E402
from portal.services.addresses import import_addresses  # noqa: E402
from portal.services.municipalities import import_municipalities  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
DAY = date(2026, 6, 1)
ORGANISATIONS = 10_000

# Current declarants per address (most 1–3) and occupants per declaration.
_DECLARANTS = ((1, 45), (2, 30), (3, 15), (4, 6), (5, 3), (6, 1))
_OVERFULL_SHARE = 0.08
_PERMIT_SHARE = 0.35
_CHAIN_SHARE = 0.2
_POLICY_MUNICIPALITIES = 40
_POLICY_FROM_DAY = 3

DECLARATION_COLUMNS = (
    "id",
    "reference",
    "kind",
    "organisation_id",
    "address_id",
    "municipality_id",
    "occupants",
    "start_date",
    "end_date",
    "end_reason",
    "separate_contracts",
    "supersedes_id",
    "root_id",
    "filed_at",
)


# Skew of the declarants: a few large staffing agencies file a large share of all declarations
# (``_LARGE_SHARE`` over the first ``_LARGE_AGENCIES`` organisations), the rest is spread evenly.
_LARGE_AGENCIES = 10
_LARGE_SHARE = 0.3


def pick_organisation(rng: random.Random, organisations: int) -> int:
    """An organisation id in 1..organisations, skewed towards a few large agencies."""
    large = min(_LARGE_AGENCIES, organisations)
    if rng.random() < _LARGE_SHARE:
        return rng.randint(1, large)
    return rng.randint(1, organisations)


def _weighted(rng: random.Random, table: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


# --- the fixture ----------------------------------------------------------------------------------


def recreate_database(name: str) -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def migrate(url: str) -> None:
    env = {**os.environ, "PORTAL_DATABASE_URL": url}
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def generate_declarations(
    addresses: list[tuple[int, int, int | None, str]],
    total: int,
    day: date,
    seed: int,
    organisations: int = ORGANISATIONS,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(declaration rows in ``DECLARATION_COLUMNS`` order, permit rows) for ``addresses``."""
    rng = random.Random(seed)
    per_address, extra = divmod(total, len(addresses))
    with_extra = set(rng.sample(range(len(addresses)), extra))
    rows: list[list[Any]] = []  # key, kind, org, address, municipality, occ, start, end, …
    permits: list[tuple[Any, ...]] = []

    def add(kind: str, *values: Any, supersedes: int | None = None) -> int:
        """Append a filing (org, address, municipality, occupants, start, end, filed_at)."""
        key = len(rows)
        org, address, mun, occ, start, end, filed = values
        reason = "employment_ended" if kind == "end" else None
        rows.append([key, kind, org, address, mun, occ, start, end, reason, supersedes, filed])
        return key

    for index, (address_id, municipality_id, area, uses) in enumerate(addresses):
        budget = per_address + (1 if index in with_extra else 0)
        has_permit = rng.random() < _PERMIT_SHARE
        area_limit = (area // 12) if area else 8
        if has_permit:
            until = None if rng.random() < 0.5 else day + timedelta(days=rng.randint(-60, 400))
            valid_from = day - timedelta(days=rng.randint(30, 1500))
            if until is not None and until < valid_from:
                until = valid_from
            permits.append(
                (address_id, municipality_id, "huisvestingsvergunning", max(5, area_limit),
                 valid_from, until, True, f"HV-{address_id}", "valid", _noon(valid_from))
            )  # fmt: skip
        # Most addresses house no more than they may; a share is overfull. Offices and shops
        # (no woonfunctie or logiesfunctie) house nobody unless they are among the overfull.
        overfull = rng.random() < _OVERFULL_SHARE
        residential = is_residential([u for u in uses.split(",") if u])
        current = min(budget, _weighted(rng, _DECLARANTS)) if residential or overfull else 0
        budget -= current
        capacity = max(1, area_limit if has_permit else min(4, area_limit))
        total = capacity + rng.randint(1, 4) if overfull else rng.randint(1, capacity)
        total = max(total, current)
        counts: list[int] = []
        if current:
            cuts = sorted(rng.sample(range(1, total), current - 1))
            counts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        for occ in counts:
            start = day - timedelta(days=rng.randint(-30, 365))
            end = None if rng.random() < 0.6 else max(start, day) + timedelta(rng.randint(0, 365))
            filed = _noon(start - timedelta(days=rng.randint(0, 3)))
            org = pick_organisation(rng, organisations)
            key = add("new", org, address_id, municipality_id, occ, start, end, filed)
            if budget > 0 and rng.random() < _CHAIN_SHARE:
                budget -= 1
                later = filed + timedelta(days=rng.randint(1, 30))
                if rng.random() < 0.7:
                    takeover = start + timedelta(days=rng.randint(1, 200))
                    if end is not None and takeover > end:
                        takeover = end
                    new_occ = max(1, occ + rng.randint(-2, 1))
                    add(
                        "amendment", org, address_id, municipality_id, new_occ, takeover, end,
                        later, supersedes=key,
                    )  # fmt: skip
                else:
                    last = max(start, day + timedelta(days=rng.randint(-200, 120)))
                    add(
                        "end", org, address_id, municipality_id, occ, start, last, later,
                        supersedes=key,
                    )  # fmt: skip
        for _ in range(budget):  # history: ended in the two years before the day
            end = day - timedelta(days=rng.randint(1, 730))
            start = end - timedelta(days=rng.randint(30, 365))
            org = pick_organisation(rng, organisations)
            occ = rng.randint(1, 3)
            add("new", org, address_id, municipality_id, occ, start, end, _noon(start))

    # Filing order (ids grow with filed_at), successors mapped to their predecessor's new id.
    # A chain here is one step long, so the predecessor is also the root.
    rows.sort(key=lambda r: (r[10], r[0]))
    new_id = {row[0]: i for i, row in enumerate(rows, start=1)}
    out = []
    for i, (_, kind, org, address, mun, occ, start, end, reason, sup, filed) in enumerate(
        rows, start=1
    ):
        previous = new_id[sup] if sup is not None else None
        out.append(
            (i, f"MH-2026-{i:07d}", kind, org, address, mun, occ, start, end, reason, True,
             previous, previous or i, filed)
        )  # fmt: skip
    return out, permits


def copy_rows(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Any) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def load_rows(
    app: Any,
    organisations: int,
    declaration_rows: list[tuple[Any, ...]],
    permit_rows: list[tuple[Any, ...]],
    municipality_ids: list[int],
    seed: int,
) -> dict[str, float]:
    """Organisations, declarations, permits and policies through the portal's bulk paths, in one
    transaction: ``load_declarations`` (COPY into a staging table, set-based checks, one
    ``INSERT … SELECT``; its ids and references drawn in filing order as the portal draws them)
    and ``staging.copy_rows`` for the rest. On PostgreSQL the load skips the per-row foreign-key
    triggers after its own set-based key checks (the benchmark runs as a superuser)."""
    timings: dict[str, float] = {}
    with app.app_context():
        postgres = db.session.connection().dialect.name == "postgresql"
        started = time.perf_counter()
        staging.copy_rows(
            Organisation.__table__,  # type: ignore[arg-type]
            ("id", "kvk_number", "name", "is_employer", "is_staffing_agency",
             "is_housing_provider", "snf_number", "contact_email", "created_at"),
            ((n, f"{50000000 + n:08d}", f"Uitzendbureau {n}", False, True, False, "",
              f"meldingen{n}@example.nl", _noon(DAY - timedelta(days=800)))
             for n in range(1, organisations + 1)),
        )  # fmt: skip
        if postgres:
            db.session.execute(
                text("SELECT setval(pg_get_serial_sequence('organisations', 'id'), :n)"),
                {"n": organisations},
            )
        timings["organisations by staging.copy_rows (s)"] = time.perf_counter() - started
        started = time.perf_counter()
        report = load_declarations(
            (
                StagedDeclaration(
                    key=i, kind=kind, organisation_id=org, address_id=address, occupants=occ,
                    start_date=start, end_date=end, end_reason=reason,
                    separate_contracts=separate, supersedes_key=previous, filed_at=filed,
                )
                for (i, _, kind, org, address, _, occ, start, end, reason, separate, previous,
                     _, filed) in declaration_rows
            ),
            actor_label="bench/generate.py",
            skip_key_triggers=postgres,
        )  # fmt: skip
        assert not report.problems, report.problems[:5]
        assert report.inserted == len(declaration_rows), report.describe()
        timings[LOADER] = time.perf_counter() - started
        for phase, seconds in report.seconds.items():
            timings[f"  load_declarations: {phase} (s)"] = seconds
        started = time.perf_counter()
        staging.copy_rows(
            Permit.__table__,  # type: ignore[arg-type]
            ("address_id", "municipality_id", "permit_type", "max_occupants", "valid_from",
             "valid_until", "covers_lodging", "decision_reference", "status", "created_at"),
            permit_rows,
        )  # fmt: skip
        rng = random.Random(seed + 1)
        chosen = rng.sample(municipality_ids, _POLICY_MUNICIPALITIES)
        policies = []
        for n, municipality_id in enumerate(chosen):
            starts = DAY if n < _POLICY_FROM_DAY else DAY - timedelta(days=rng.randint(1, 400))
            policies.append(
                (municipality_id, starts, 15, 10, 4, 3, 90, "", "",
                 _noon(starts - timedelta(days=30)))
            )  # fmt: skip
        staging.copy_rows(
            MunicipalPolicy.__table__,  # type: ignore[arg-type]
            ("municipality_id", "effective_from", "m2_per_person_dwelling",
             "m2_per_person_lodging", "no_permit_max_occupants", "late_after_days",
             "near_limit_percent", "alert_emails", "support_desk_email", "created_at"),
            policies,
        )  # fmt: skip
        db.session.commit()
        timings["permits and policies by staging.copy_rows, commit (s)"] = (
            time.perf_counter() - started
        )
        if postgres:
            timings[COPY_BASELINE] = copy_baseline(
                db.engine.url.render_as_string(hide_password=False).replace("+psycopg", ""),
                declaration_rows,
            )
    return timings


COPY_BASELINE = "baseline: COPY of the same declarations into a scratch table (s)"
LOADER = "declarations by staging.load_declarations (s)"


def copy_baseline(raw_url: str, declaration_rows: list[tuple[Any, ...]]) -> float:
    """P8's baseline (docs/performance.md §3.1): psycopg COPY of the same rows into a plain
    table."""
    with psycopg.connect(raw_url) as conn:
        conn.execute(
            "CREATE TABLE bench_copy_declarations (id integer, reference varchar(20),"
            " kind varchar(10), organisation_id integer, address_id integer,"
            " municipality_id integer, occupants integer, start_date date, end_date date,"
            " end_reason varchar(20), separate_contracts boolean, supersedes_id integer,"
            " root_id integer, filed_at timestamptz)"
        )
        conn.commit()
        started = time.perf_counter()
        copy_rows(conn, "bench_copy_declarations", DECLARATION_COLUMNS, declaration_rows)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_declarations")
        conn.commit()
    return seconds


def load(
    url: str,
    app: Any,
    addresses: int,
    declarations: int,
    seed: int,
    organisations: int = ORGANISATIONS,
) -> dict[str, float]:
    timings: dict[str, float] = {}
    raw_url = url.replace("+psycopg", "")
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        municipalities = national_municipalities(342)
        started = time.perf_counter()
        write_municipalities_csv(Path(tmp) / "municipalities.csv", municipalities)
        import_municipalities(Path(tmp) / "municipalities.csv")
        db.session.commit()
        write_bag_csv(Path(tmp) / "bag.csv", addresses, seed, municipalities)
        timings["342 municipalities imported, BAG CSV generated (s)"] = (
            time.perf_counter() - started
        )
        started = time.perf_counter()
        report = import_addresses(Path(tmp) / "bag.csv")
        db.session.commit()
        timings["import_addresses (s)"] = time.perf_counter() - started
        assert report.inserted == addresses, report
        rows = db.session.execute(
            select(
                Address.id, Address.municipality_id, Address.floor_area_m2, Address.uses
            ).order_by(Address.id)
        ).all()
        municipality_ids = sorted({r[1] for r in rows})

    started = time.perf_counter()
    declaration_rows, permit_rows = generate_declarations(
        [tuple(r) for r in rows], declarations, DAY, seed, organisations
    )
    timings["generate declarations in Python (s)"] = time.perf_counter() - started

    timings.update(
        load_rows(app, organisations, declaration_rows, permit_rows, municipality_ids, seed)
    )
    with psycopg.connect(raw_url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        timings["VACUUM ANALYZE (s)"] = time.perf_counter() - started
    return timings


# --- the measurements -----------------------------------------------------------------------------


class _Phases:
    """Wraps the loaders and the pure evaluation to split a run's time into phases."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed

    def __enter__(self) -> _Phases:
        self.saved = {
            "candidate_addresses": reevaluation.candidate_addresses,
            "load_inputs": reevaluation.load_inputs,
            "open_flags": reevaluation.open_flags,
            "evaluate": reevaluation.evaluate,
            "_write": reevaluation._write,
        }
        for name, fn in self.saved.items():
            setattr(reevaluation, name, self.wrap(name, fn))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, fn in self.saved.items():
            setattr(reevaluation, name, fn)


def timed_runs(
    app: Any, runs: int, day: date, everything: bool
) -> tuple[list[reevaluation.ReevaluationReport], list[dict[str, float]]]:
    reports, phases = [], []
    for _ in range(runs):
        with app.app_context(), _Phases() as split:
            reports.append(reevaluation.reevaluate(day, everything=everything))
            db.session.rollback()
        phases.append(split.seconds)
    return reports, phases


def raw_group_by(raw_url: str, runs: int, where: str = "") -> list[float]:
    times = []
    with psycopg.connect(raw_url) as conn:
        for _ in range(runs):
            started = time.perf_counter()
            rows = conn.execute(
                f"SELECT address_id, SUM(occupants) FROM declarations {where} GROUP BY address_id",
                {"day": DAY},
            ).fetchall()
            times.append(time.perf_counter() - started)
            assert rows
    return times


def _median_phases(phases: list[dict[str, float]]) -> str:
    names = sorted({k for p in phases for k in p})
    return ", ".join(f"{n} {statistics.median(p.get(n, 0.0) for p in phases):.2f}" for n in names)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="portal_national")
    parser.add_argument("--addresses", type=int, default=150_000)
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args(argv)

    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}"
    raw_url = url.replace("+psycopg", "")
    if not args.skip_load:
        started = time.perf_counter()
        recreate_database(args.database)
        created = time.perf_counter()
        migrate(url)
        print(
            f"fresh database {args.database} in {created - started:.1f} s, "
            f"flask db upgrade in {time.perf_counter() - created:.1f} s"
        )
    app = create_app({"DATABASE_URL": url})
    if not args.skip_load:
        started = time.perf_counter()
        timings = load(url, app, args.addresses, args.declarations, args.seed)
        for name, value in timings.items():
            print(f"  {name}: {value:.2f}")
        print(f"fixture built in {time.perf_counter() - started:.1f} s")

        with app.app_context(), _Phases() as split:
            first = reevaluation.reevaluate(DAY - timedelta(days=1), everything=True)
            db.session.commit()
        print(f"first --all run (builds the flags): {first.describe()}")
        print(f"  phases (s): {_median_phases([split.seconds])}")

    with psycopg.connect(raw_url) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM addresses), (SELECT count(*) FROM declarations),"
            " (SELECT count(*) FROM municipalities), (SELECT count(*) FROM permits),"
            " (SELECT count(*) FROM flags WHERE status IN ('open', 'in_progress')),"
            " current_setting('shared_buffers'), current_setting('work_mem'), version()"
        ).fetchone()
        assert counts is not None
    print(
        f"data: {counts[0]} addresses, {counts[1]} declarations, {counts[2]} municipalities, "
        f"{counts[3]} permits, {counts[4]} open flags; PostgreSQL shared_buffers {counts[5]}, "
        f"work_mem {counts[6]}; {os.cpu_count()} cores"
    )

    daily, daily_phases = timed_runs(app, args.runs, DAY, everything=False)
    print(f"daily run, median of {args.runs}: {statistics.median(r.seconds for r in daily):.2f} s")
    print(f"  {daily[-1].describe()}")
    print(f"  phases (s): {_median_phases(daily_phases)}")

    full, full_phases = timed_runs(app, args.runs, DAY, everything=True)
    full_median = statistics.median(r.seconds for r in full)
    print(f"--all run, median of {args.runs}: {full_median:.2f} s")
    print(f"  {full[-1].describe()}")
    print(f"  phases (s): {_median_phases(full_phases)}")

    runs = max(5, args.runs)
    plain = statistics.median(raw_group_by(raw_url, runs))
    same_rows = statistics.median(
        raw_group_by(
            raw_url,
            runs,
            "WHERE end_date IS NULL OR end_date >= %(day)s OR supersedes_id IS NOT NULL",
        )
    )
    print(f"raw GROUP BY address_id over all declarations, median of {runs}: {plain:.3f} s")
    print(f"raw GROUP BY over the rows the re-evaluation reads: {same_rows:.3f} s")
    print(f"ratio --all run / raw GROUP BY: {full_median / plain:.1f}x (P4 target <= 3x)")
    print(
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )

    with app.app_context():
        policies = db.session.query(MunicipalPolicy).count()
        flags = db.session.query(Flag).count()
    print(f"({policies} municipal policies, {flags} flags in all)")


if __name__ == "__main__":
    main()
