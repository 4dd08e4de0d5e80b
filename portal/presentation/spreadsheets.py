"""Excel workbooks (presentation layer): one sheet of text, numbers and dates, written by
XlsxWriter (write-only, no dependencies of its own). Every text is written as a text cell,
never as a formula, a number or a link, so a cell that starts with ``=`` is never run.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter

from portal.clock import AMSTERDAM

# Characters Excel refuses in a sheet name; a sheet name is at most 31 characters.
_SHEET_NAME_FORBIDDEN = "[]:*?/\\"
_OPTIONS = {
    "in_memory": True,  # no temporary files: the workbook is built in the request
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def sheet_name(name: str) -> str:
    """The name as Excel accepts it: forbidden characters as spaces, at most 31 characters."""
    cleaned = "".join(" " if c in _SHEET_NAME_FORBIDDEN else c for c in name)[:31]
    return cleaned or "Sheet1"


def workbook(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The header and rows as an .xlsx file with one sheet called ``name``.

    Texts are text cells, ``int``/``float`` are numbers, dates are dates (shown jjjj-mm-dd,
    with a time when there is one), ``True``/``False`` are "ja"/"nee"; ``None`` and ``""``
    leave the cell empty.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, _OPTIONS)
    formats = {
        date: book.add_format({"num_format": "yyyy-mm-dd"}),
        datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    sheet = book.add_worksheet(sheet_name(name))
    for r, row in enumerate([list(header), *(list(row) for row in rows)]):
        for c, value in enumerate(row):
            _write(sheet, r, c, value, formats)
    book.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, column: int, value: object, formats: dict[type, Any]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, column, "ja" if value else "nee")
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime):
        if value.tzinfo is not None:  # Excel has no time zones: Dutch time, as on the pages
            value = value.astimezone(AMSTERDAM).replace(tzinfo=None)
        sheet.write_datetime(row, column, value, formats[datetime])
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats[date])
    else:
        sheet.write_string(row, column, str(value))
