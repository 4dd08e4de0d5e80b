"""``addresses.street_key`` (issue 20): every way an address is written keeps the search key of
its street — the CSV import (new and changed rows), the BAG 2.0 Extract import, the ORM (a hand
entry, a street changed) — and the search finds what was imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import Address
from portal.services.addresses import import_addresses
from portal.services.queries import Scope
from portal.services.search import search
from tests import bag_extract
from tests.conftest import create_municipality

HEADER = (
    "nummeraanduiding_identificatie,verblijfsobject_identificatie,openbare_ruimte_naam,huisnummer,"
    "huisletter,huisnummertoevoeging,postcode,woonplaats_naam,gemeentecode,oppervlakte,"
    "gebruiksdoelen,status"
)


def _csv(tmp_path: Path, street: str) -> Path:
    path = tmp_path / "bag.csv"
    path.write_text(
        HEADER + "\n"
        f"0344200000000001,0344010000000001,{street},2,,,3512 CD,Utrecht,0344,80,woonfunctie,"
        "Verblijfsobject in gebruik\n",
        encoding="utf-8",
    )
    return path


def _keys(app: Flask) -> dict[str, tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Address.nummeraanduiding_id, Address.street, Address.street_key)
        ).all()
        return {str(n): (s, k) for n, s, k in rows}


def test_the_csv_import_writes_and_changes_the_key(app: Flask, tmp_path: Path) -> None:
    municipality = create_municipality(app)
    with app.app_context():
        import_addresses(_csv(tmp_path, "St. Jacobsstraat"))
        db.session.commit()
    assert _keys(app)["0344200000000001"] == ("St. Jacobsstraat", "sint jacobsstraat")
    with app.app_context():
        found = search("sint jacobs 2", Scope("municipality", municipality.id))
        assert [a.street for a in found.addresses] == ["St. Jacobsstraat"]
        import_addresses(_csv(tmp_path, "Ĳsselkade"))
        db.session.commit()
    assert _keys(app)["0344200000000001"] == ("Ĳsselkade", "ijsselkade")


def test_the_bag_extract_import_writes_the_key(app: Flask, runner: Any, tmp_path: Path) -> None:
    create_municipality(app, "GM0221", "Doesburg", "Gelderland")
    objects, relations = bag_extract.scenario(80)
    path = bag_extract.write_extract(tmp_path, objects, relations, gemeente="0221")
    report = str(tmp_path / "report.csv")  # (without it the report lands in the working directory)
    result = runner.invoke(
        args=["addresses", "import", str(path), "--peildatum", "2021-02-15", "--report", report]
    )
    assert result.exit_code == 0, result.output
    keys = _keys(app)
    assert keys and all(key == "dorpsstraat" for street, key in keys.values()), keys


def test_the_orm_sets_the_key_on_insert_and_on_a_street_change(app: Flask) -> None:
    municipality = create_municipality(app)
    with app.app_context():
        address = Address(
            street="Sint-Maartensdreef",
            house_number=1,
            postcode="3511 AB",
            town="Utrecht",
            municipality_id=municipality.id,
            verified=False,
        )
        db.session.add(address)
        db.session.commit()
        assert address.street_key == "sint maartensdreef"
        address.street = "Één Straat"
        db.session.commit()
        db.session.refresh(address)
        assert address.street_key == "een straat"
