"""Helpers for the batch tests: a quick address register, and CSV files as Excel saves them."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import insert, select

from portal import clock
from portal.domain.batches import COLUMNS
from portal.extensions import db
from portal.models import Address

HEADER = list(COLUMNS)
PER_POSTCODE = 50


def postcode_of(i: int) -> str:
    return f"{1000 + i // PER_POSTCODE:04d} AB"


def number_of(i: int) -> int:
    return i % PER_POSTCODE + 1


def seed_register(app: Flask, count: int, municipality_id: int, floor_area: int = 500) -> list[int]:
    """``count`` verified register addresses (one bulk insert); their ids in order."""
    now = clock.now()
    with app.app_context():
        first = db.session.execute(select(Address.id).order_by(Address.id.desc())).first()
        db.session.execute(
            insert(Address.__table__),
            [
                {
                    "nummeraanduiding_id": f"9999{20}{i:010d}",
                    "verblijfsobject_id": f"9999{'01'}{i:010d}",
                    "street": "Proefstraat",
                    "house_number": number_of(i),
                    "house_letter": "",
                    "house_number_addition": "",
                    "postcode": postcode_of(i),
                    "town": "Proefdorp",
                    "municipality_id": municipality_id,
                    "floor_area_m2": floor_area,
                    "uses": "woonfunctie",
                    "bag_status": "Verblijfsobject in gebruik",
                    "verified": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(count)
            ],
        )
        db.session.commit()
        after = first[0] if first else 0
        return list(
            db.session.execute(
                select(Address.id).where(Address.id > after).order_by(Address.id)
            ).scalars()
        )


def row(i: int, start: date, occupants: int = 2, **changes: str) -> list[str]:
    """A valid data row for register address ``i``, dates written the Dutch way."""
    cells = {
        "postcode": postcode_of(i),
        "huisnummer": str(number_of(i)),
        "huisletter": "",
        "toevoeging": "",
        "bag_id": "",
        "aantal_bewoners": str(occupants),
        "waarvan_ingeschreven_brp": "1",
        "startdatum": f"{start.day}-{start.month:02d}-{start.year}",
        "einddatum": "",
        "aparte_contracten": "ja",
        "namens_kvk": "",
    }
    cells.update(changes)
    return [cells[name] for name in HEADER]


def excel_csv(
    rows: list[list[str]],
    *,
    encoding: str = "cp1252",
    bom: bool = False,
    delimiter: str = ";",
    header: list[str] | None = None,
) -> bytes:
    """What Excel writes: CRLF, ``;``, no quoting unless needed (cells here need none)."""
    lines = [delimiter.join(header or HEADER)] + [delimiter.join(r) for r in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data
