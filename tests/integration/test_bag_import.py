"""``flask addresses import`` with the Kadaster's BAG 2.0 Extract and PDOK's BAG GeoPackage
(services/bag_import.py, portal/services/bag/): the register on a reference date, the report, the
municipalities, a re-import that changes an area and re-judges the address.

The extract is built in the tests (tests/bag_extract.py: ``scenario`` says what each object
tests), in the Kadaster's nested-ZIP layout; no internet.
"""

from __future__ import annotations

import csv
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Address, Declaration, Flag, Municipality
from portal.models.flag import OPEN_STATUSES
from portal.services.addresses import lookup_address
from portal.services.declarations import file_declaration
from tests import bag_extract
from tests.bag_extract import num_id, vbo_id
from tests.conftest import create_municipality, create_org, create_user

PEILDATUM = "2021-02-15"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
        yield


@pytest.fixture
def gm0221(app: Flask) -> Municipality:
    return create_municipality(app, "GM0221", "Doesburg", "Gelderland")


def _extract(tmp_path: Path, area_of_1: int = 80, gemeente: str | None = "0221") -> Path:
    objects, relations = bag_extract.scenario(area_of_1)
    directory = tmp_path / f"extract-{area_of_1}-{gemeente}"
    directory.mkdir()
    return bag_extract.write_extract(directory, objects, relations, gemeente=gemeente)


def _import(runner: Any, path: Path, tmp_path: Path, *extra: str) -> tuple[Any, list[list[str]]]:
    report = tmp_path / "report.csv"
    result = runner.invoke(
        args=[
            "addresses",
            "import",
            str(path),
            "--peildatum",
            PEILDATUM,
            "--report",
            str(report),
            *extra,
        ]
    )
    rows = (
        list(csv.reader(report.read_text(encoding="utf-8").splitlines())) if report.exists() else []
    )
    return result, rows


def _register(app: Flask) -> dict[str, tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            select(
                Address.nummeraanduiding_id,
                Address.verblijfsobject_id,
                Address.street,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
                Address.postcode,
                Address.town,
                Municipality.code,
                Address.floor_area_m2,
                Address.uses,
                Address.bag_status,
            ).join(Municipality, Municipality.id == Address.municipality_id)
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def _skipped(rows: list[list[str]]) -> dict[str, str]:
    return {row[2]: row[1] for row in rows if row[0] == "skipped"}


def _count(rows: list[list[str]], name: str) -> str:
    return next(row[2] for row in rows if row[:2] == ["count", name])


EXPECTED = {
    num_id(1): (
        vbo_id(1),
        "Dorpsstraat",
        1,
        "",
        "",
        "1234 AB",
        "Dorp",
        "GM0221",
        80,
        "woonfunctie",
        "Verblijfsobject in gebruik",
    ),
    # Two gebruiksdoelen kept; its own ligtIn (Gehucht) over the street's (Dorp).
    num_id(2): (
        vbo_id(2),
        "Dorpsstraat",
        2,
        "A",
        "1",
        "1234 AB",
        "Gehucht",
        "GM0221",
        120,
        "logiesfunctie,woonfunctie",
        "Verblijfsobject in gebruik",
    ),
    # The version in force: not the ended (50) nor the future one (70); not the inactive (99).
    num_id(6): (vbo_id(6), "Dorpsstraat", 6, "", "", "1234 AB", "Dorp", "GM0221", 60),
    num_id(7): (vbo_id(7), "Dorpsstraat", 7, "", "", "1234 AB", "Dorp", "GM0221", 40),
}


def _check_register(register: dict[str, tuple[Any, ...]]) -> None:
    assert set(register) == set(EXPECTED)  # no nevenadres (3), nothing skipped
    for num, expected in EXPECTED.items():
        assert register[num][: len(expected)] == expected, num


def test_a_municipality_extract_loads_with_one_command(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    result, rows = _import(runner, _extract(tmp_path), tmp_path)
    assert result.exit_code == 0, result.output
    _check_register(_register(app))
    assert "4 imported (4 new, 0 updated, 0 unchanged), 4 skipped" in result.output
    assert "unknown municipality GM0999: 1 addresses" in result.output
    assert _skipped(rows) == {
        vbo_id(4): "no_postcode",
        vbo_id(5): "status_not_existing",
        vbo_id(9): "dangling_reference",
        vbo_id(10): "unknown_municipality",
    }
    assert _count(rows, "read_VBO") == "12"  # every version read
    assert _count(rows, "in_force_VBO") == "8"  # VBO 8 exists only from 2030
    # The declaration form's look-up finds it with the register's area and use.
    with app.app_context():
        found = lookup_address("1234AB", "1")
        assert found.status == "found" and found.address is not None
        assert (found.address.floor_area_m2, found.address.uses) == (80, "woonfunctie")

    # The same ZIP again: every object unchanged.
    again, _ = _import(runner, _zip_copy(tmp_path), tmp_path)
    assert again.exit_code == 0, again.output
    assert "4 imported (0 new, 0 updated, 4 unchanged)" in again.output
    assert "re-judged 0 addresses" in again.output


def _zip_copy(tmp_path: Path) -> Path:
    return next(tmp_path.glob("extract-80-0221/*.zip"))


def _unpack(archive: Path, target: Path) -> None:
    """Unpack every ZIP inside ``archive`` into directories, as an operator might."""
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)
    for inner in list(target.rglob("*.zip")):
        _unpack(inner, inner.with_suffix(""))
        inner.unlink()


def test_the_national_layout_and_unpacked_directories_load_alike(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    national = _extract(tmp_path, gemeente=None)
    result, _ = _import(runner, national, tmp_path)
    assert result.exit_code == 0, result.output
    assert "4 imported (4 new" in result.output
    _check_register(_register(app))

    for archive in (national, _extract(tmp_path)):
        directory = tmp_path / f"unpacked-{archive.stem}"
        _unpack(archive, directory)
        result, _ = _import(runner, directory, tmp_path)
        assert result.exit_code == 0, result.output
        assert "4 imported (0 new, 0 updated, 4 unchanged)" in result.output


def test_unknown_municipalities_are_created_on_request(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    result, rows = _import(runner, _extract(tmp_path), tmp_path, "--create-municipalities")
    assert result.exit_code == 0, result.output
    assert "municipalities created (to be named by the system administrator): GM0999" in (
        result.output
    )
    assert ["created_municipality", "GM0999", "", ""] in rows
    register = _register(app)
    assert register[num_id(10)][1:8] == ("Verweg", 10, "", "", "9999 ZZ", "Elders", "GM0999")


def test_only_one_municipality(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    result, rows = _import(runner, _extract(tmp_path), tmp_path, "--gemeente", "GM0221")
    assert result.exit_code == 0, result.output
    assert _skipped(rows)[vbo_id(10)] == "other_municipality"
    assert "unknown municipality" not in result.output


def test_the_municipality_relation_in_force_on_the_reference_date(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    """Dorp (1001) belonged to gemeente 0100 until 2020 (the closed period), to 0221 since."""
    create_municipality(app, "GM0100", "Oud", "Gelderland")
    report = tmp_path / "r.csv"
    args = ["addresses", "import", str(_extract(tmp_path)), "--report", str(report)]
    result = runner.invoke(args=[*args, "--peildatum", "2019-06-01"])
    assert result.exit_code == 0, result.output
    register = _register(app)
    assert register[num_id(1)][7] == "GM0100"
    assert register[num_id(2)][7] == "GM0221"  # Gehucht (1002) was always 0221
    # VBO 6 on 2019-06-01: still its second version (60 m²).
    assert register[num_id(6)][8] == 60


def test_a_reimport_updates_the_area_keeps_declarations_and_judges_again(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    result, _ = _import(runner, _extract(tmp_path), tmp_path)
    assert result.exit_code == 0, result.output
    declarant = create_user(app, "declarant", org=create_org(app, name="Flexwerk"))
    with app.app_context():
        address = db.session.execute(
            select(Address).where(Address.nummeraanduiding_id == num_id(1))
        ).scalar_one()
        file_declaration(
            db.session.get(type(declarant), declarant.id),
            DeclarationInput(occupants=4, start_date=date(2026, 3, 2), separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()
        address_id = address.id
        declarations = db.session.execute(select(Declaration.id, Declaration.occupants)).all()
        assert _open_flags(address_id) == 0  # 80 m² holds 4

    result, rows = _import(runner, _extract(tmp_path, area_of_1=20), tmp_path)
    assert result.exit_code == 0, result.output
    assert "4 imported (0 new, 1 updated, 3 unchanged)" in result.output
    assert _count(rows, "updated") == "1"
    assert _register(app)[num_id(1)][8] == 20
    with app.app_context():
        assert db.session.execute(select(Declaration.id, Declaration.occupants)).all() == (
            declarations
        )
        # 20 m² is too small for 4: the address was judged again and its flag opened.
        assert _open_flags(address_id) == 1
    assert "re-judged 1 addresses" in result.output


def _open_flags(address_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Flag)
        .where(Flag.address_id == address_id, Flag.status.in_(OPEN_STATUSES))
    ).scalar_one()


def test_a_broken_file_stores_nothing(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    objects, relations = bag_extract.scenario()
    objects["VBO"].append("<Objecten:Verblijfsobject><broken")
    path = bag_extract.write_extract(tmp_path, objects, relations)
    result, _ = _import(runner, path, tmp_path)
    assert result.exit_code == 1
    assert "nothing was stored" in result.output
    assert _register(app) == {}


def _geopackage(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    """A GeoPackage as PDOK's bag-light.gpkg lays out its verblijfsobject table (the geometry
    as a blob; the portal does not read it)."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
    connection.execute(
        "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL)"
    )
    connection.execute("INSERT INTO gpkg_contents VALUES ('verblijfsobject', 'features')")
    connection.execute(
        "CREATE TABLE verblijfsobject (feature_id INTEGER PRIMARY KEY, geom BLOB, "
        "identificatie TEXT, nummeraanduiding_hoofdadres_identificatie TEXT, "
        "openbare_ruimte_naam TEXT, huisnummer INTEGER, huisletter TEXT, toevoeging TEXT, "
        "postcode TEXT, woonplaats_naam TEXT, oppervlakte INTEGER, gebruiksdoel TEXT, "
        "status TEXT, bouwjaar INTEGER, pand_identificatie TEXT)"
    )
    connection.executemany(
        "INSERT INTO verblijfsobject VALUES (NULL, x'00', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1990,"
        " '0221100000000001')",
        rows,
    )
    connection.commit()
    connection.close()
    return path


def test_a_bag_geopackage_loads(
    app: Flask, runner: Any, tmp_path: Path, gm0221: Municipality
) -> None:
    gpkg = _geopackage(
        tmp_path / "bag-light.gpkg",
        [
            (vbo_id(1), num_id(1), "Dorpsstraat", 1, None, None, "1234AB", "Dorp", 80,
             "woonfunctie", "Verblijfsobject in gebruik"),
            (vbo_id(2), num_id(2), "Dorpsstraat", 2, "A", "1", "1234AB", "Gehucht", 120,
             "woonfunctie,logiesfunctie", "Verbouwing verblijfsobject"),
            (vbo_id(4), num_id(4), "Dorpsstraat", 4, None, None, None, "Dorp", 80,
             "woonfunctie", "Verblijfsobject in gebruik"),
            (vbo_id(5), num_id(5), "Dorpsstraat", 5, None, None, "1234AB", "Dorp", 80,
             "woonfunctie", "Verblijfsobject ingetrokken"),
        ],
    )  # fmt: skip
    result, rows = _import(runner, gpkg, tmp_path)
    assert result.exit_code == 0, result.output
    register = _register(app)
    assert set(register) == {num_id(1), num_id(2)}
    assert register[num_id(2)] == (
        vbo_id(2),
        "Dorpsstraat",
        2,
        "A",
        "1",
        "1234 AB",
        "Gehucht",
        "GM0221",
        120,
        "logiesfunctie,woonfunctie",
        "Verbouwing verblijfsobject",
    )
    assert _skipped(rows) == {vbo_id(4): "no_postcode", vbo_id(5): "status_not_existing"}
    again, _ = _import(runner, gpkg, tmp_path)
    assert "2 imported (0 new, 0 updated, 2 unchanged)" in again.output


def test_the_portal_csv_still_loads(app: Flask, runner: Any, tmp_path: Path) -> None:
    create_municipality(app)
    path = tmp_path / "bag.csv"
    path.write_text(
        "nummeraanduiding_identificatie,verblijfsobject_identificatie,openbare_ruimte_naam,"
        "huisnummer,huisletter,huisnummertoevoeging,postcode,woonplaats_naam,gemeentecode,"
        "oppervlakte,gebruiksdoelen,status\n"
        "0344200000000001,0344010000000001,Oudegracht,1,,,3511 AB,Utrecht,0344,85,woonfunctie,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["addresses", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "inserted 1, updated 0, unchanged 0, rejected 0" in result.output


def test_parallel_reading_gives_the_same_objects(tmp_path: Path) -> None:
    """The parts read in two forked processes give what one process reads."""
    from portal.services import bag_import

    path = _extract(tmp_path)
    day = date(2021, 2, 15)

    def read(workers: int) -> tuple[list[Any], Any, Any]:
        report = bag_import.BagImportReport(str(path), day)
        joined = sorted(
            bag_import.read_extract(path, day, report, None, workers=workers),
            key=lambda pair: pair[0].identificatie,
        )
        return joined, report.read, report.in_force

    serial = read(1)
    assert len(serial[0]) == 8
    assert read(2) == serial
