"""The same-run baseline routes (docs/performance.md §2), served by gunicorn with the portal's
settings.

Only the benchmark serves this app (``gunicorn bench.baselines:app``); the portal never mounts it.

- ``GET /hello``: a constant string, the framework ceiling (B-HELLO).
- ``POST /raw/pg``: in one transaction, ``INSERT`` a declaration-shaped row into the scratch table
  ``bench_raw`` and ``SELECT COALESCE(SUM(occupants), 0)`` of the address's declarations in
  force today from the portal's ``declarations`` table (indexed on ``address_id``) — B-SQL, the
  floor under a filing's database work.
- ``POST /raw/sqlite``: the same on the SQLite database of P9, with the portal's own connection
  settings (the file's journal mode, default ``synchronous``).

The address is random among ``BENCH_ADDRESS_MIN..BENCH_ADDRESS_MAX`` (the loaded ids).
"""

from __future__ import annotations

import os
import random
from datetime import date

from flask import Flask
from sqlalchemy import create_engine, text

app = Flask(__name__)

_PG = os.environ.get("BENCH_DATABASE_URL", "")
_SQLITE = os.environ.get("BENCH_SQLITE_URL", "")
_LOW = int(os.environ.get("BENCH_ADDRESS_MIN", "1"))
_HIGH = int(os.environ.get("BENCH_ADDRESS_MAX", "1000"))
_pg = create_engine(_PG, pool_size=5, max_overflow=5) if _PG else None
_sqlite = create_engine(_SQLITE, connect_args={"timeout": 15}) if _SQLITE else None

_INSERT = text(
    "INSERT INTO bench_raw (address_id, organisation_id, occupants, start_date, end_date)"
    " VALUES (:a, :o, :n, :d, NULL)"
)
_SUM = text(
    "SELECT COALESCE(SUM(occupants), 0) FROM declarations WHERE address_id = :a"
    " AND start_date <= :d AND (end_date IS NULL OR end_date >= :d)"
)


def _insert_and_sum(engine: object) -> str:
    address = random.randint(_LOW, _HIGH)
    today = date.today()
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(_INSERT, {"a": address, "o": 1, "n": 2, "d": today})
        total = conn.execute(_SUM, {"a": address, "d": today}).scalar_one()
    return f'{{"address_id": {address}, "occupants": {int(total)}}}'


@app.get("/hello")
def hello() -> str:
    return "Hello, World!"


@app.post("/raw/pg")
def raw_pg() -> tuple[str, int]:
    assert _pg is not None
    return _insert_and_sum(_pg), 201


@app.post("/raw/sqlite")
def raw_sqlite() -> tuple[str, int]:
    assert _sqlite is not None
    return _insert_and_sum(_sqlite), 201


SCRATCH_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_raw (id {pk}, address_id integer NOT NULL,"
    " organisation_id integer NOT NULL, occupants integer NOT NULL, start_date date NOT NULL,"
    " end_date date)"
)
