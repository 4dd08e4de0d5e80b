"""The Excel workbook of the exports (portal/presentation/spreadsheets.py), read back with the
standard library: one sheet, texts as text (never formulas), numbers as numbers, dates as dates."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from xml.etree import ElementTree

from portal.presentation.spreadsheets import sheet_name, workbook

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_cells(data: bytes) -> dict[str, tuple[str, str]]:
    """Every written cell as reference -> (kind, value): kind "text", "number" or "date"."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # our own output, not untrusted XML
        sheet, shared, styles = (
            ElementTree.fromstring(archive.read(name))  # noqa: S314
            for name in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml")
        )
    strings = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in shared]
    date_styles = {
        i
        for i, xf in enumerate(styles.find("m:cellXfs", NS) or [])
        if xf.get("numFmtId") not in (None, "0")
    }
    cells: dict[str, tuple[str, str]] = {}
    for cell in sheet.iter(f"{{{NS['m']}}}c"):
        assert cell.find("m:f", NS) is None, "no formulas"
        value = cell.findtext("m:v", default="", namespaces=NS)
        if cell.get("t") == "s":
            cells[cell.get("r", "")] = ("text", strings[int(value)])
        elif int(cell.get("s", "0")) in date_styles:
            cells[cell.get("r", "")] = ("date", value)
        else:
            cells[cell.get("r", "")] = ("number", value)
    return cells


def test_header_texts_numbers_dates_and_empty_cells() -> None:
    data = workbook(
        "Regio Utrecht",
        ["Gebied", "Aantal", "Aandeel", "Maand", "Open"],
        [
            ["Utrecht", 18, 0.5, date(2026, 3, 1), True],
            ['=HYPERLINK("x")', None, "", datetime(2026, 3, 1, 12, 0), False],
        ],
    )
    cells = read_cells(data)
    assert cells["A1"] == ("text", "Gebied") and cells["E1"] == ("text", "Open")
    assert cells["A2"] == ("text", "Utrecht")
    assert cells["B2"] == ("number", "18")
    assert cells["C2"] == ("number", "0.5")
    assert cells["D2"] == ("date", "46082")  # 1 March 2026 as an Excel day number
    assert cells["E2"] == ("text", "ja") and cells["E3"] == ("text", "nee")
    assert cells["A3"] == ("text", '=HYPERLINK("x")')  # a formula-like text stays text
    assert "B3" not in cells and "C3" not in cells
    assert cells["D3"] == ("date", "46082.5")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist().count("xl/worksheets/sheet1.xml") == 1
        assert 'sheet name="Regio Utrecht"' in archive.read("xl/workbook.xml").decode()


def test_a_moment_with_a_time_zone_is_written_in_dutch_time() -> None:
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam (CEST)
    cells = read_cells(workbook("x", ["moment"], [[summer]]))
    assert cells["A2"] == ("date", "46204.5")


def test_sheet_names_lose_what_excel_refuses() -> None:
    assert sheet_name("Regio: Utrecht/Rotterdam [2026]") == "Regio  Utrecht Rotterdam  2026 "
    assert len(sheet_name("x" * 40)) == 31
    assert sheet_name("") == "Sheet1"
    with zipfile.ZipFile(io.BytesIO(workbook("a?b", ["x"], []))) as archive:
        assert 'sheet name="a b"' in archive.read("xl/workbook.xml").decode()
