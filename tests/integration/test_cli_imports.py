"""The import commands: ``flask municipalities import`` and ``flask addresses import``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from portal.demo.generate import DEMO_BAG_CSV, DEMO_MUNICIPALITIES_CSV
from portal.extensions import db
from portal.messages import message
from portal.models import Address, Municipality

HEADER = (
    "nummeraanduiding_identificatie,verblijfsobject_identificatie,openbare_ruimte_naam,"
    "huisnummer,huisletter,huisnummertoevoeging,postcode,woonplaats_naam,gemeentecode,"
    "oppervlakte,gebruiksdoelen,status\n"
)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_importing_municipalities_then_addresses_prints_the_counts(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["municipalities", "import", str(DEMO_MUNICIPALITIES_CSV)])
    assert result.exit_code == 0, result.output
    assert "inserted 5, updated 0, unchanged 0, rejected 0" in result.output

    result = runner.invoke(args=["addresses", "import", str(DEMO_BAG_CSV)])
    assert result.exit_code == 0, result.output
    assert "inserted 3000, updated 0, unchanged 0, rejected 0" in result.output
    assert count(app, Address) == 3000  # committed by the command

    result = runner.invoke(args=["addresses", "import", str(DEMO_BAG_CSV)])
    assert result.exit_code == 0, result.output
    assert "inserted 0, updated 0, unchanged 3000, rejected 0" in result.output


def test_address_import_prints_each_rejected_line(app: Flask, runner: Any, tmp_path: Path) -> None:
    runner.invoke(args=["municipalities", "import", str(DEMO_MUNICIPALITIES_CSV)])
    path = tmp_path / "bag.csv"
    path.write_text(
        HEADER
        + "0344200000000001,0344010000000001,Oudegracht,1,,,3511 AB,Utrecht,0344,85,woonfunctie,\n"
        + "0344200000000002,0344010000000002,Oudegracht,3,,,0511 AB,Utrecht,0344,85,woonfunctie,\n"
        + "0363200000000003,0363010000000003,Damrak,1,,,1012 LG,Amsterdam,0363,85,woonfunctie,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["addresses", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "inserted 1, updated 0, unchanged 0, rejected 2" in result.output
    with app.app_context():
        leading_zero = message("postcode.leading_zero")
        unknown = message("municipality.unknown")
    assert f"line 3: {leading_zero} (postcode '0511 AB')" in result.stderr
    assert f"line 4: {unknown} (gemeentecode GM0363)" in result.stderr
    assert count(app, Address) == 1


def test_municipality_import_prints_each_rejected_line(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    path = tmp_path / "gemeenten.csv"
    path.write_text("code;name;province;region\nGM0344;Utrecht;Utrecht;\nXX;Nergens;;\n")
    result = runner.invoke(args=["municipalities", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "inserted 1, updated 0, unchanged 0, rejected 1" in result.output
    assert "line 3: " in result.stderr
    assert count(app, Municipality) == 1


def test_refused_address_file_exits_with_an_error_and_stores_nothing(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    runner.invoke(args=["municipalities", "import", str(DEMO_MUNICIPALITIES_CSV)])
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (
            HEADER + "0344200000000001,0344010000000001,Thomas à Kempisweg,1,,,3511 AB,Utrecht,"
            "0344,85,woonfunctie,\n"
        ).encode("latin-1")
    )
    result = runner.invoke(args=["addresses", "import", str(path)])
    assert result.exit_code == 1
    assert "error: file: " in result.stderr
    assert count(app, Address) == 0
