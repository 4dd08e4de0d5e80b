"""Importing a BAG-shaped CSV into the address register (services/addresses.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.demo.generate import DEMO_BAG_CSV, DEMO_MUNICIPALITIES_CSV, write_bag_csv
from portal.domain.errors import Problem
from portal.extensions import db
from portal.models import Address, Municipality
from portal.services.addresses import ADDRESS_COLUMNS, BATCH_SIZE, import_addresses
from portal.services.errors import Refused
from portal.services.imports import ImportReport
from portal.services.municipalities import import_municipalities

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)


def load_demo_municipalities() -> None:
    report = import_municipalities(DEMO_MUNICIPALITIES_CSV)
    assert report.inserted + report.unchanged == 5, report


@pytest.fixture
def demo_ctx(ctx: Flask) -> Flask:
    """An app context with the five demo municipalities committed."""
    load_demo_municipalities()
    db.session.commit()
    return ctx


def bag_row(n: int = 1, **values: str) -> dict[str, str]:
    """One valid Utrecht address, numbered ``n``; keyword arguments replace columns."""
    row = {
        "nummeraanduiding_identificatie": f"0344200000{n:06d}",
        "verblijfsobject_identificatie": f"0344010000{n:06d}",
        "openbare_ruimte_naam": "Oudegracht",
        "huisnummer": str(n),
        "huisletter": "",
        "huisnummertoevoeging": "",
        "postcode": "3511 AB",
        "woonplaats_naam": "Utrecht",
        "gemeentecode": "0344",
        "oppervlakte": "85",
        "gebruiksdoelen": "woonfunctie",
        "status": "Verblijfsobject in gebruik",
    }
    row.update(values)
    return row


def to_csv(
    rows: Iterable[dict[str, str]],
    delimiter: str = ",",
    columns: Iterable[str] = ADDRESS_COLUMNS,
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    columns = list(columns)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def count_addresses() -> int:
    return db.session.execute(select(func.count()).select_from(Address)).scalar_one()


def address(nummeraanduiding: str) -> Address:
    return db.session.execute(
        select(Address).where(Address.nummeraanduiding_id == nummeraanduiding)
    ).scalar_one()


def rejected(report: ImportReport) -> list[tuple[int, str]]:
    return [(r.line, r.code) for r in report.rejected]


def test_demo_file_imported_twice_is_unchanged_the_second_time(demo_ctx: Flask) -> None:
    with clock.freeze(T0):
        first = import_addresses(DEMO_BAG_CSV)
    db.session.commit()
    assert (first.inserted, first.updated, first.unchanged, first.rejected) == (3000, 0, 0, [])
    assert count_addresses() == 3000
    sample = address("1783200000000001")
    assert sample.updated_at == T0

    with clock.freeze(T1):
        second = import_addresses(DEMO_BAG_CSV)
    db.session.commit()
    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 0, 3000, [])
    assert count_addresses() == 3000
    db.session.expire_all()
    assert address("1783200000000001").updated_at == T0


def test_imported_row_is_normalised_and_marked_verified(demo_ctx: Flask) -> None:
    text = to_csv(
        [
            bag_row(
                1,
                postcode="3511ab",
                huisletter="b",
                huisnummertoevoeging="bs",
                gemeentecode="GM0344",
                gebruiksdoelen="woonfunctie|logiesfunctie",
                oppervlakte="",
                openbare_ruimte_naam="  Oudegracht ",
            ),
            bag_row(2, gemeentecode="344", gebruiksdoelen="woonfunctie;winkelfunctie"),
        ]
    )
    with clock.freeze(T0):
        report = import_addresses(text)
    assert (report.inserted, report.rejected) == (2, [])
    utrecht = db.session.execute(select(Municipality).filter_by(code="GM0344")).scalar_one()
    first = address("0344200000000001")
    assert first.postcode == "3511 AB"
    assert first.street == "Oudegracht"
    assert (first.house_number, first.house_letter, first.house_number_addition) == (1, "B", "BS")
    assert first.municipality_id == utrecht.id
    assert first.floor_area_m2 is None
    assert first.uses == "logiesfunctie,woonfunctie"
    assert first.verblijfsobject_id == "0344010000000001"
    assert first.bag_status == "Verblijfsobject in gebruik"
    assert first.verified is True
    assert first.created_at == first.updated_at == T0
    second = address("0344200000000002")
    assert second.municipality_id == utrecht.id
    assert second.uses == "winkelfunctie,woonfunctie"
    assert second.floor_area_m2 == 85


def test_each_bad_line_is_named_with_its_number_and_reason_and_good_lines_are_imported(
    demo_ctx: Flask,
) -> None:
    rows = [
        bag_row(1),  # line 2: good
        bag_row(2, postcode="0123 AB"),
        bag_row(3, postcode="3511 SA"),
        bag_row(4, postcode="12345"),
        bag_row(5, huisnummer="5a"),
        bag_row(6, huisnummer="0"),
        bag_row(7, huisletter="AB"),
        bag_row(8, huisnummertoevoeging="12345"),
        bag_row(9, nummeraanduiding_identificatie="034420000000009"),
        bag_row(10, verblijfsobject_identificatie="0344200000000010"),
        bag_row(11, gebruiksdoelen="wonen"),
        bag_row(12, oppervlakte="85.5"),
        bag_row(13, oppervlakte="0"),
        bag_row(14, openbare_ruimte_naam=" "),
        bag_row(15, woonplaats_naam=""),
        bag_row(16, nummeraanduiding_identificatie=""),
        bag_row(17, gemeentecode="GM34X"),
        bag_row(18, gemeentecode=""),
        bag_row(19, openbare_ruimte_naam="x" * 121),
        bag_row(20),  # line 21: good
    ]
    report = import_addresses(to_csv(rows))
    assert rejected(report) == [
        (3, "postcode.leading_zero"),
        (4, "postcode.reserved"),
        (5, "postcode.format"),
        (6, "house_number.format"),
        (7, "house_number.range"),
        (8, "house_letter.format"),
        (9, "addition.format"),
        (10, "bag_id.format"),
        (11, "bag_id.object_type"),
        (12, "uses.unknown"),
        (13, "floor_area.format"),
        (14, "floor_area.range"),
        (15, "street.required"),
        (16, "town.required"),
        (17, "field.required"),
        (18, "municipality_code.format"),
        (19, "municipality.required"),
        (20, "field.too_long"),
    ]
    assert report.rejected[0].detail == "postcode '0123 AB'"
    assert (report.inserted, report.updated, report.unchanged) == (2, 0, 0)
    assert count_addresses() == 2
    assert address("0344200000000020").house_number == 20


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(demo_ctx: Flask) -> None:
    header, good = to_csv([bag_row(1)]).splitlines()
    bad = to_csv([bag_row(2, postcode="12")]).splitlines()[1]
    multi = to_csv([bag_row(3, openbare_ruimte_naam="Oude\ngracht", huisnummer="x")])
    text = "\n".join([header, good, "", multi.split("\n", 1)[1].rstrip("\n"), bad]) + "\n"
    report = import_addresses(text)
    # line 1 header, 2 good, 3 blank, 4–5 one record over two lines, 6 bad postcode
    assert rejected(report) == [(4, "house_number.format"), (6, "postcode.format")]
    assert report.inserted == 1


def test_semicolon_delimiter_bom_and_free_column_order_are_accepted(demo_ctx: Flask) -> None:
    columns = ["postcode", "huisnummer", "opmerking"] + [
        c for c in reversed(ADDRESS_COLUMNS) if c not in ("postcode", "huisnummer")
    ]
    rows = [
        bag_row(1, gebruiksdoelen="woonfunctie,logiesfunctie", opmerking="genegeerd"),
        bag_row(2, openbare_ruimte_naam="Thomas à Kempisweg"),
    ]
    text = to_csv(rows, delimiter=";", columns=columns)
    header, rest = text.split("\n", 1)
    header = ";".join(f" {name.upper()} " for name in header.split(";"))
    data = ("\ufeff" + header + "\n" + rest).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    report = import_addresses(data)
    assert (report.inserted, report.rejected) == (2, [])
    assert address("0344200000000001").uses == "logiesfunctie,woonfunctie"
    assert address("0344200000000002").street == "Thomas à Kempisweg"


def test_comma_file_may_quote_several_uses_in_one_field(demo_ctx: Flask) -> None:
    text = to_csv([bag_row(1, gebruiksdoelen="woonfunctie,kantoorfunctie")])
    assert '"woonfunctie,kantoorfunctie"' in text
    report = import_addresses(text)
    assert (report.inserted, report.rejected) == (1, [])
    assert address("0344200000000001").uses == "kantoorfunctie,woonfunctie"


def test_file_path_bytes_and_text_are_all_accepted(demo_ctx: Flask, tmp_path: Path) -> None:
    path = tmp_path / "bag.csv"
    path.write_text(to_csv([bag_row(1)]), encoding="utf-8")
    assert import_addresses(path).inserted == 1
    assert import_addresses(to_csv([bag_row(2)]).encode()).inserted == 1
    assert import_addresses(to_csv([bag_row(3)])).inserted == 1
    assert count_addresses() == 3


def test_file_that_is_not_utf8_is_refused_and_nothing_is_stored(demo_ctx: Flask) -> None:
    text = to_csv([bag_row(1), bag_row(2, openbare_ruimte_naam="Thomas à Kempisweg")])
    with pytest.raises(Refused) as caught:
        import_addresses(text.encode("latin-1"))
    assert caught.value.problems == [Problem("file", "file.encoding")]
    assert count_addresses() == 0


def test_file_missing_a_column_is_refused_and_nothing_is_stored(demo_ctx: Flask) -> None:
    columns = [c for c in ADDRESS_COLUMNS if c != "gemeentecode"]
    with pytest.raises(Refused) as caught:
        import_addresses(to_csv([bag_row(1)], columns=columns))
    assert caught.value.problems == [Problem("file", "columns.missing", "gemeentecode")]
    assert count_addresses() == 0


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", "\n\n"])
def test_empty_file_is_refused_for_missing_columns(demo_ctx: Flask, content: Any) -> None:
    with pytest.raises(Refused) as caught:
        import_addresses(content)
    assert caught.value.problems == [Problem("file", "columns.missing", ", ".join(ADDRESS_COLUMNS))]


def test_changed_floor_area_counts_as_updated_and_sets_updated_at(demo_ctx: Flask) -> None:
    rows = [bag_row(n) for n in range(1, 6)]
    with clock.freeze(T0):
        import_addresses(to_csv(rows))
    db.session.commit()

    rows[2]["oppervlakte"] = "120"
    rows[4]["status"] = "Verbouwing verblijfsobject"
    with clock.freeze(T1):
        report = import_addresses(to_csv(rows))
    db.session.commit()
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 3)
    changed = address("0344200000000003")
    assert changed.floor_area_m2 == 120
    assert (changed.created_at, changed.updated_at) == (T0, T1)
    assert address("0344200000000005").bag_status == "Verbouwing verblijfsobject"
    assert address("0344200000000001").updated_at == T0
    assert count_addresses() == 5


def test_register_row_loaded_before_an_import_shows_the_new_values(demo_ctx: Flask) -> None:
    import_addresses(to_csv([bag_row(1)]))
    held = address("0344200000000001")
    assert held.floor_area_m2 == 85
    import_addresses(to_csv([bag_row(1, oppervlakte="99")]))
    assert held.floor_area_m2 == 99


def test_line_with_unknown_municipality_is_rejected(demo_ctx: Flask) -> None:
    report = import_addresses(to_csv([bag_row(1), bag_row(2, gemeentecode="0363")]))
    assert rejected(report) == [(3, "municipality.unknown")]
    assert report.rejected[0].detail == "gemeentecode GM0363"
    assert report.inserted == 1


def test_nummeraanduiding_twice_in_the_file_rejects_the_second(demo_ctx: Flask) -> None:
    twin = bag_row(1, huisnummer="99", oppervlakte="40")
    report = import_addresses(to_csv([bag_row(1), bag_row(2), twin]))
    assert rejected(report) == [(4, "duplicate_in_file")]
    assert "line 2" in report.rejected[0].detail
    assert address("0344200000000001").house_number == 1


def test_same_address_under_two_nummeraanduidingen_rejects_the_later(demo_ctx: Flask) -> None:
    rows = [
        bag_row(1, huisletter="A"),
        bag_row(2),
        bag_row(3, huisnummer="1", huisletter="a"),  # 1A again
        bag_row(4, huisnummer="1", huisletter="A", huisnummertoevoeging="2"),  # 1A-2: distinct
    ]
    report = import_addresses(to_csv(rows))
    assert rejected(report) == [(4, "duplicate_in_file")]
    assert report.inserted == 3


def test_a_rejected_line_does_not_block_a_later_good_line_with_its_id(demo_ctx: Flask) -> None:
    report = import_addresses(to_csv([bag_row(1, postcode="0000 AA"), bag_row(1)]))
    assert rejected(report) == [(2, "postcode.leading_zero")]
    assert report.inserted == 1


# More than two full write batches and a partial one: every flush path of the importer. The
# national file (150,000 addresses) goes through the same importer in `make bench`
# (bench/generate.py), where its time is measured instead of spent in every test run.
SEVERAL_BATCHES = 2 * BATCH_SIZE + 2_345


def test_generated_addresses_over_several_batches_import_completely_on_sqlite(
    demo_ctx: Flask, tmp_path: Path
) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the several-batch import runs on SQLite only, to keep CI short")
    path = tmp_path / "bag-generated.csv"
    write_bag_csv(path, count=SEVERAL_BATCHES, seed=2026)

    report = import_addresses(path)
    db.session.commit()

    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (
        SEVERAL_BATCHES,
        0,
        0,
        [],
    )
    assert count_addresses() == SEVERAL_BATCHES

    again = import_addresses(path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, SEVERAL_BATCHES)


def test_same_bad_value_on_several_lines_rejects_each_of_them(demo_ctx: Flask) -> None:
    rows = [bag_row(n, postcode="3511 SS", gemeentecode="0363") for n in range(1, 4)]
    rows += [bag_row(n, gemeentecode="0363") for n in range(4, 6)]
    report = import_addresses(to_csv(rows))
    assert rejected(report) == [
        (2, "postcode.reserved"),
        (3, "postcode.reserved"),
        (4, "postcode.reserved"),
        (5, "municipality.unknown"),
        (6, "municipality.unknown"),
    ]
    assert report.rejected[2].detail == "postcode '3511 SS'"
