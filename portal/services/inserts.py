"""An INSERT that does nothing when the row exists (service layer), on PostgreSQL and SQLite.

``INSERT … ON CONFLICT DO NOTHING RETURNING`` claims a row in one statement: the caller learns
from the returned value whether this transaction took it, and two transactions at once cannot
both take it (the unique key decides). Used for "exactly once" bookkeeping: permit reminders,
idempotency keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, Insert, Table, insert
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db


def insert_unless_present(table: Table, values: Mapping[str, Any], returning: Column[Any]) -> Any:
    """Insert ``values`` into ``table``; the ``returning`` value of the new row, or None when a
    row with the same unique key already exists (nothing is written then)."""
    dialect = db.session.connection().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - the portal runs on PostgreSQL and SQLite only
        stmt = insert(table).values(**values)
    # RETURNING tells whether this insert took the row (rowcount is not reliable for an insert
    # that did nothing on every driver).
    row = db.session.execute(stmt.returning(returning)).first()
    return None if row is None else row[0]
