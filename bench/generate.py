"""Deterministic national data for the benchmarks: 342 municipalities, 150,000 addresses,
10,000 organisations, 1,000,000 declarations, permits and municipal policies (``--quick``: 1/100).

Usage::

    .venv/bin/python bench/generate.py                     # fresh PostgreSQL database "bench"
    .venv/bin/python bench/generate.py --quick             # 1,500 addresses, 10,000 declarations
    .venv/bin/python bench/generate.py --sqlite /tmp/b.db  # the same data in a SQLite file

Which path loads what (honestly):

- **the portal's own loaders**: the schema (``flask db upgrade``), the 342 municipalities
  (``import_municipalities``) and the addresses (``import_addresses`` on a ``generate_bag_rows``
  CSV, the BAG import an operator runs); the flags (``flags reevaluate --all``'s service, committed
  once, for the day before ``national.DAY``);
- **the benchmark's staging loader** (``bench/staging_loader.py``, ``load_declarations``): the
  1,000,000 declarations are COPYed into a staging table, checked with set-based SQL and moved
  with one ``INSERT … SELECT``, ids and reference numbers drawn as the portal draws them; on
  PostgreSQL the per-row foreign-key triggers are skipped after the loader's own key checks
  (superuser only). Organisations, permits and municipal policies go through the portal's bulk
  writer (``staging.copy_rows``: COPY on PostgreSQL, ``executemany`` on SQLite) without the
  checks the web forms make. Filing a million declarations one by one through the filing path
  would take hours (that path is what P1 and P7 measure), so they carry no receipts.

The data follow from ``--seed`` (see ``bench/national.py`` for the shape: 1–3 current declarants
at most addresses, about 8 % overfull, a few large agencies filing 30 % of all declarations).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import national  # noqa: E402
from portal import create_app  # noqa: E402
from portal.demo.generate import (  # noqa: E402
    national_municipalities,
    write_bag_csv,
    write_municipalities_csv,
)
from portal.extensions import db  # noqa: E402
from portal.models import Address  # noqa: E402
from portal.services import reevaluation  # noqa: E402
from portal.services.addresses import import_addresses  # noqa: E402
from portal.services.municipalities import import_municipalities  # noqa: E402

FULL = {"addresses": 150_000, "declarations": 1_000_000, "organisations": 10_000}
QUICK = {"addresses": 1_500, "declarations": 10_000, "organisations": 100}


def scale(quick: bool, divisor: int = 1) -> dict[str, int]:
    """The sizes at national scale, 1/100 of it when ``quick``, divided further by ``divisor``."""
    return {k: max(1, v // divisor) for k, v in (QUICK if quick else FULL).items()}


def build_flags(app: Any) -> str:
    """Open the flags the national data call for, through the re-evaluation service."""
    with app.app_context():
        report = reevaluation.reevaluate(national.DAY - timedelta(days=1), everything=True)
        db.session.commit()
        return report.describe()


def build_postgres(database: str, quick: bool, seed: int = 2026) -> tuple[str, dict[str, float]]:
    """A fresh database ``database`` with the national data; returns its URL and the timings."""
    sizes = scale(quick)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    url = national.recreate_database(database)
    national.migrate(url)
    timings["fresh database + flask db upgrade (s)"] = time.perf_counter() - started
    app = create_app({"DATABASE_URL": url})
    timings.update(
        national.load(
            url, app, sizes["addresses"], sizes["declarations"], seed, sizes["organisations"]
        )
    )
    started = time.perf_counter()
    described = build_flags(app)
    timings["first flags reevaluate --all, builds the flags (s)"] = time.perf_counter() - started
    print(f"  {described}")
    return url, timings


def build_sqlite(
    path: Path, quick: bool, seed: int = 2026, divisor: int = 1
) -> tuple[str, dict[str, float]]:
    """The same data in a fresh SQLite file (WAL journal); returns its URL and the timings."""
    sizes = scale(quick, divisor)
    timings: dict[str, float] = {}
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    national.migrate(url)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    app = create_app({"DATABASE_URL": url})
    timings["flask db upgrade (s)"] = time.perf_counter() - started
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        municipalities = national_municipalities(342)
        write_municipalities_csv(Path(tmp) / "municipalities.csv", municipalities)
        import_municipalities(Path(tmp) / "municipalities.csv")
        db.session.commit()
        write_bag_csv(Path(tmp) / "bag.csv", sizes["addresses"], seed, municipalities)
        report = import_addresses(Path(tmp) / "bag.csv")
        db.session.commit()
        assert report.inserted == sizes["addresses"], report
        rows = db.session.execute(
            db.select(
                Address.id, Address.municipality_id, Address.floor_area_m2, Address.uses
            ).order_by(Address.id)
        ).all()
    timings["municipalities + import_addresses (s)"] = time.perf_counter() - started
    started = time.perf_counter()
    declarations, permits = national.generate_declarations(
        [tuple(r) for r in rows], sizes["declarations"], national.DAY, seed,
        sizes["organisations"],
    )  # fmt: skip
    timings["generate declarations in Python (s)"] = time.perf_counter() - started
    timings.update(
        national.load_rows(
            app, sizes["organisations"], declarations, permits,
            sorted({r[1] for r in rows}), seed,
        )
    )  # fmt: skip
    started = time.perf_counter()
    build_flags(app)
    timings["first flags reevaluate --all (s)"] = time.perf_counter() - started
    return url, timings


def _sqlite_value(value: Any) -> Any:
    """SQLAlchemy's SQLite text forms for dates and datetimes (``2026-06-01 10:00:00.000000``)."""
    if hasattr(value, "hour"):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="bench")
    parser.add_argument("--sqlite", type=Path, help="build a SQLite file instead")
    parser.add_argument("--quick", action="store_true", help="1/100 of the national scale")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--divisor", type=int, default=1, help="SQLite only: a smaller set")
    args = parser.parse_args(argv)
    random.seed(args.seed)
    started = time.perf_counter()
    if args.sqlite:
        url, timings = build_sqlite(args.sqlite, args.quick, args.seed, args.divisor)
    else:
        url, timings = build_postgres(args.database, args.quick, args.seed)
    for name, value in timings.items():
        print(f"  {name}: {value:.2f}")
    print(f"{url}: built in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
