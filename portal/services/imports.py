"""Bulk imports (service layer): the CSV reader they share and the report they return.

CSV files come as ``,`` or ``;`` separated UTF-8 with or without BOM; a file that is not UTF-8 or
lacks a required column is refused before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from portal.services.errors import Refused

Source = Path | bytes | str


@dataclass(frozen=True)
class RejectedLine:
    """A line that was not imported: its number in the file (header = line 1) and why."""

    line: int
    code: str
    detail: str = ""


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class CsvTable:
    """A decoded CSV: header name (trimmed, lower case) → column index, and the data lines."""

    columns: dict[str, int]
    lines: Iterator[tuple[int, list[str]]]

    def getter(self, name: str) -> Callable[[list[str]], str]:
        """A function that reads column ``name`` from a line; ``""`` past the line's end."""
        index = self.columns.get(name)

        def get(cells: list[str]) -> str:
            if index is None or index >= len(cells):
                return ""
            return cells[index]

        return get


def _check_utf8(raw: BinaryIO) -> None:
    """Refuse a file that is not UTF-8 before anything is read from it (streamed, not loaded)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := raw.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raw.close()
        raise Refused.one("file", "file.encoding") from None
    raw.seek(0)


def open_text(source: Source) -> TextIO:
    """A file (Path), an upload (bytes) or CSV text (str) as text: UTF-8, a BOM dropped."""
    if isinstance(source, str):
        return io.StringIO(source.removeprefix("\ufeff"), newline="")
    raw: BinaryIO = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    _check_utf8(raw)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def read_csv(source: Source, required: Iterable[str]) -> CsvTable:
    """Open a ``,`` or ``;`` separated CSV; refuse it when a ``required`` column is missing."""
    handle = open_text(source)
    first_line = handle.readline()
    handle.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error:
        handle.close()
        raise Refused.one("file", "file.format") from None
    columns: dict[str, int] = {}
    for index, name in enumerate(header or []):
        columns.setdefault(name.strip().lower(), index)
    missing = [name for name in required if name not in columns]
    if missing:
        handle.close()
        raise Refused.one("file", "columns.missing", ", ".join(missing))

    def lines() -> Iterator[tuple[int, list[str]]]:
        # A quoted field may span lines: a record starts on the line after the previous one ended.
        previous_end = reader.line_num
        try:
            for cells in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if any(cell.strip() for cell in cells):
                    yield start, cells
        except csv.Error:
            raise Refused.one("file", "file.format") from None
        finally:
            handle.close()

    return CsvTable(columns=columns, lines=lines())
