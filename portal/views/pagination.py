"""Pagination of a scoped select (interface layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from portal.domain.errors import InvalidValue
from portal.domain.inputs import parse_whole_number
from portal.extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt: Select[Any], per_page: int = 50) -> Page:
    """Run ``stmt`` for the page named by ``?page=`` (bad or out-of-range values are clamped)."""
    try:  # ASCII digits only (domain.inputs): int() would also read "٣"
        page = max(1, parse_whole_number(request.args.get("page", "1")))
    except InvalidValue:
        page = 1
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = min(page, max(1, -(-total // per_page)))
    items = list(db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)
