"""Helpers for bulk reads and writes over many addresses at once (service layer).

Used by the national re-evaluation, the batch import and the flag sync: slices that keep a query
under SQLite's parameter limit, an ``IN`` that is one array parameter on PostgreSQL, and rows read
without ORM processing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from portal.extensions import db

# Addresses per bulk query: about 13,000 declaration rows at the national average of 6.7 filings
# per address, and well under SQLite's 32,766 bound parameters (PostgreSQL gets one array).
CHUNK = 2000

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (keeps bulk queries under the parameter limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def member_of(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids``: one array parameter on PostgreSQL, one parameter per id elsewhere.

    Thousands of ``IN`` parameters cost more to render and parse than the query costs to run.
    """
    if db.session.connection().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]


def bulk_rows(statement: Any) -> Sequence[Any]:
    """All rows, through the session's connection: no ORM row processing for bulk reads."""
    return db.session.connection().execute(statement).all()
