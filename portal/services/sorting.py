"""Sorting a list by one of its columns (low service layer, used by the list queries).

A list names its sortable columns, each with the direction it sorts in first (a date newest
first, a name A to Z), and a default column. ``?sort=<column>&dir=asc|desc`` picks one; an unknown
column or direction falls back to the default, never to an error. The query maps each column to
its SQL expressions (``ordered``); the pages turn a ``Sort`` into header links (views/links.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select

ASCENDING = "asc"
DESCENDING = "desc"


@dataclass(frozen=True)
class SortOptions:
    """The sortable columns of one list: column → sorts descending first; and the default."""

    columns: Mapping[str, bool]
    default: str

    def __post_init__(self) -> None:
        assert self.default in self.columns, self.default

    def parse(self, column: str | None, direction: str | None = None) -> Sort:
        """The sort named by the query string, or the default for anything unknown."""
        key = (column or "").strip()
        if key not in self.columns:
            return self.first(self.default)
        wanted = (direction or "").strip()
        if wanted in (ASCENDING, DESCENDING):
            return Sort(key, wanted == DESCENDING, self)
        return self.first(key)

    def first(self, column: str) -> Sort:
        """``column`` in the direction it sorts in first."""
        return Sort(column, self.columns[column], self)

    @property
    def default_sort(self) -> Sort:
        return self.first(self.default)


@dataclass(frozen=True)
class Sort:
    """One column and its direction."""

    column: str
    descending: bool
    options: SortOptions = field(compare=False, repr=False)

    @property
    def direction(self) -> str:
        return DESCENDING if self.descending else ASCENDING

    def next_direction(self, column: str) -> str:
        """The direction a header link for ``column`` asks for: the other one when the list is
        sorted by it now, else the column's first direction."""
        if column == self.column:
            return ASCENDING if self.descending else DESCENDING
        return DESCENDING if self.options.columns.get(column, False) else ASCENDING

    def aria(self, column: str) -> str | None:
        """``aria-sort`` of the header of ``column``: only the sorted column has one."""
        if column != self.column:
            return None
        return "descending" if self.descending else "ascending"


def ordered(
    stmt: Select[Any],
    sort: Sort,
    expressions: Mapping[str, Sequence[ColumnElement[Any]]],
    then: Sequence[Any] = (),
) -> Select[Any]:
    """``stmt`` ordered by the expressions of the sorted column (each in the sort's direction),
    then by ``then`` as given (a stable order for ties, e.g. the id)."""
    first = [e.desc() if sort.descending else e.asc() for e in expressions[sort.column]]
    return stmt.order_by(*first, *then)


def empty_last(expression: ColumnElement[Any]) -> tuple[ColumnElement[Any], ...]:
    """Sort expressions that put NULL after every value when ascending, on SQLite and
    PostgreSQL alike (their own NULL order differs)."""
    return (expression.is_(None), expression)
