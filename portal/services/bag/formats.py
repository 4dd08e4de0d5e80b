"""Which register format a file is, by its content (not its name)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Format = Literal["extract", "gpkg", "csv"]


def detect(path: Path) -> Format:
    """``extract`` for a ZIP or a directory (the BAG 2.0 Extract), ``gpkg`` for an SQLite file
    (PDOK's BAG GeoPackage), ``csv`` for anything else (the portal's own CSV)."""
    if path.is_dir():
        return "extract"
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"PK\x03\x04"):
        return "extract"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    return "csv"
