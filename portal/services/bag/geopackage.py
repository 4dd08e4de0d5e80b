"""PDOK's BAG GeoPackage (``bag-light.gpkg``): an SQLite file whose ``verblijfsobject`` table
holds one row per verblijfsobject as it stands now, with its main address already joined.

Read with the standard library's ``sqlite3``, row by row (never the whole table). Columns are
found by name; where PDOK's naming has varied, each field lists the names it accepts. The light
GeoPackage carries no municipality: where no municipality column is present, the municipality
is the one whose code leads the nummeraanduiding's identificatie (the municipality that issued
it; docs/address-register.md says what that means after a municipal merger).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

# Field → accepted column names, first found wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "vbo": ("identificatie", "verblijfsobject_identificatie"),
    "num": (
        "nummeraanduiding_hoofdadres_identificatie",
        "hoofdadres_identificatie",
        "nummeraanduiding_identificatie",
    ),
    "street": ("openbare_ruimte_naam", "openbareruimte_naam", "straatnaam"),
    "number": ("huisnummer",),
    "letter": ("huisletter",),
    "addition": ("toevoeging", "huisnummertoevoeging"),
    "postcode": ("postcode",),
    "town": ("woonplaats_naam", "woonplaatsnaam"),
    "area": ("oppervlakte",),
    "uses": ("gebruiksdoel", "gebruiksdoelen"),
    "status": ("status",),
    "gemeente": ("gemeentecode", "gemeente_code", "gemeente_identificatie"),
}
REQUIRED = ("vbo", "num", "street", "number", "postcode", "town", "status")
TABLE = "verblijfsobject"


class MissingColumns(Exception):
    """The file has no ``verblijfsobject`` table or lacks a column the register needs."""


def rows(path: Path) -> Iterator[dict[str, str | None]]:
    """Each verblijfsobject as {field: text or None} (see ``COLUMNS``)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {
            row[1].lower(): row[1] for row in connection.execute(f"PRAGMA table_info({TABLE})")
        }
        if not present:
            raise MissingColumns(f"no table {TABLE}")
        chosen: dict[str, str] = {}
        for name, aliases in COLUMNS.items():
            for alias in aliases:
                if alias in present:
                    # Our own spelling (SQLite names are case-insensitive): every name in the
                    # query below comes from COLUMNS, none from the file.
                    chosen[name] = alias
                    break
        missing = [name for name in REQUIRED if name not in chosen]
        if missing:
            raise MissingColumns(", ".join(COLUMNS[name][0] for name in missing))
        names = list(chosen)
        select = ", ".join(f'"{chosen[name]}"' for name in names)
        query = f'SELECT {select} FROM "{TABLE}"'  # noqa: S608  # nosec B608  # names: COLUMNS
        cursor = connection.execute(query)
        while batch := cursor.fetchmany(10_000):
            for values in batch:
                yield {
                    name: None if value is None else str(value)
                    for name, value in zip(names, values, strict=True)
                }
    finally:
        connection.close()
