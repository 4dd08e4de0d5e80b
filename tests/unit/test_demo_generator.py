"""The demo BAG generator: deterministic, unique, valid, and the shipped files match it."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from portal.demo.generate import (
    BAG_COLUMNS,
    DEMO_BAG_CSV,
    DEMO_MUNICIPALITIES,
    DEMO_MUNICIPALITIES_CSV,
    MunicipalityProfile,
    Town,
    generate_bag_rows,
    national_municipalities,
    synthetic_municipalities,
    write_bag_csv,
    write_municipalities_csv,
)
from portal.domain.address import (
    normalise_addition,
    normalise_house_letter,
    normalise_postcode,
    parse_floor_area,
    parse_house_number,
    parse_uses,
    validate_bag_id,
)
from portal.domain.identifiers import normalise_municipality_code
from portal.services.addresses import ADDRESS_COLUMNS

ROWS = list(generate_bag_rows(6000, seed=7))


def test_same_seed_gives_the_same_rows() -> None:
    assert list(generate_bag_rows(500, seed=7)) == ROWS[:500]
    assert list(generate_bag_rows(500, seed=7)) == list(generate_bag_rows(500, seed=7))


def test_other_seed_gives_other_rows() -> None:
    assert list(generate_bag_rows(500, seed=8)) != ROWS[:500]


def test_exactly_count_rows_are_generated() -> None:
    assert len(ROWS) == 6000
    assert len(list(generate_bag_rows(1, seed=1))) == 1
    assert list(generate_bag_rows(0)) == []


def test_rows_are_unique_on_nummeraanduiding_and_on_the_address() -> None:
    ids = Counter(r["nummeraanduiding_identificatie"] for r in ROWS)
    vbos = Counter(r["verblijfsobject_identificatie"] for r in ROWS)
    addresses = Counter(
        (r["postcode"], r["huisnummer"], r["huisletter"], r["huisnummertoevoeging"]) for r in ROWS
    )
    assert ids.most_common(1)[0][1] == 1
    assert vbos.most_common(1)[0][1] == 1
    assert addresses.most_common(1)[0][1] == 1


def test_every_generated_row_passes_the_domain_validators() -> None:
    codes = {m["code"] for m in DEMO_MUNICIPALITIES}
    for row in ROWS:
        assert tuple(row) == BAG_COLUMNS
        nid = validate_bag_id(row["nummeraanduiding_identificatie"], "20")
        vbo = validate_bag_id(row["verblijfsobject_identificatie"], "01")
        assert nid[:4] == vbo[:4] == row["gemeentecode"]
        assert normalise_postcode(row["postcode"]) == row["postcode"]
        assert 1 <= parse_house_number(row["huisnummer"]) <= 250
        assert normalise_house_letter(row["huisletter"]) == row["huisletter"]
        assert normalise_addition(row["huisnummertoevoeging"]) == row["huisnummertoevoeging"]
        area = parse_floor_area(row["oppervlakte"])
        assert area is None or 25 <= area <= 250
        uses = parse_uses(row["gebruiksdoelen"])
        assert "|".join(uses) == row["gebruiksdoelen"]
        assert normalise_municipality_code(row["gemeentecode"]) in codes
        assert row["openbare_ruimte_naam"].strip() == row["openbare_ruimte_naam"] != ""
        assert row["woonplaats_naam"] != ""
        assert row["status"].startswith(("Verblijfsobject", "Verbouwing"))


def test_rows_look_like_a_register() -> None:
    n = len(ROWS)
    uses = Counter(r["gebruiksdoelen"] for r in ROWS)
    lodging = sum(c for u, c in uses.items() if "logiesfunctie" in u)
    non_residential = sum(
        c for u, c in uses.items() if "woonfunctie" not in u and "logiesfunctie" not in u
    )
    assert uses["woonfunctie"] / n > 0.8
    assert 0.03 < lodging / n < 0.08
    assert 0.03 < non_residential / n < 0.08
    assert any("|" in u for u in uses)
    areas = [int(r["oppervlakte"]) for r in ROWS if r["oppervlakte"]]
    assert 0.01 < 1 - len(areas) / n < 0.08  # some unknown
    assert sum(60 <= a <= 120 for a in areas) / len(areas) > 0.5
    assert {r["huisletter"] for r in ROWS} == {"", "A", "B", "C", "D"}
    assert {r["huisnummertoevoeging"] for r in ROWS} == {"", "1", "2", "3", "BS", "H", "I", "II"}
    statuses = Counter(r["status"] for r in ROWS)
    assert statuses["Verblijfsobject in gebruik"] / n > 0.85
    assert statuses["Verbouwing verblijfsobject"] > 0
    assert statuses["Verblijfsobject buiten gebruik"] > 0
    per_postcode = Counter(r["postcode"] for r in ROWS)
    assert sum(per_postcode.values()) / len(per_postcode) > 4  # several addresses per postcode
    assert not {pc[-2:] for pc in per_postcode} & {"SA", "SD", "SS"}
    assert {r["gemeentecode"] for r in ROWS} == {"0344", "1783", "0983", "0599", "1507"}


@pytest.mark.parametrize(
    ("gemeentecode", "low", "high", "towns"),
    [
        ("0344", 3511, 3585, {"Utrecht"}),
        ("1783", 2671, 2695, {"Naaldwijk", "'s-Gravenzande", "Monster", "De Lier", "Wateringen",
                              "Poeldijk", "Honselersdijk"}),
        ("0983", 5911, 5941, {"Venlo", "Blerick", "Tegelen", "Belfeld"}),
        ("0599", 3011, 3089, {"Rotterdam"}),
        ("1507", 5961, 5975, {"Horst", "America", "Grubbenvorst", "Sevenum", "Meterik"}),
    ],
)  # fmt: skip
def test_postcodes_and_towns_belong_to_their_municipality(
    gemeentecode: str, low: int, high: int, towns: set[str]
) -> None:
    rows = [r for r in ROWS if r["gemeentecode"] == gemeentecode]
    assert all(low <= int(r["postcode"][:4]) <= high for r in rows)
    assert {r["woonplaats_naam"] for r in rows} == towns


def test_demo_municipalities_are_the_five_real_ones() -> None:
    assert DEMO_MUNICIPALITIES == [
        {"code": "GM0344", "name": "Utrecht", "province": "Utrecht", "region": ""},
        {"code": "GM1783", "name": "Westland", "province": "Zuid-Holland", "region": ""},
        {"code": "GM0983", "name": "Venlo", "province": "Limburg", "region": "Noord-Limburg"},
        {"code": "GM0599", "name": "Rotterdam", "province": "Zuid-Holland", "region": ""},
        {
            "code": "GM1507",
            "name": "Horst aan de Maas",
            "province": "Limburg",
            "region": "Noord-Limburg",
        },
    ]


def test_generator_header_is_what_the_importer_reads() -> None:
    assert BAG_COLUMNS == ADDRESS_COLUMNS


def test_shipped_bag_demo_csv_is_the_generator_output(tmp_path: Path) -> None:
    fresh = tmp_path / "bag-demo.csv"
    assert write_bag_csv(fresh, count=3000, seed=2026) == 3000
    assert DEMO_BAG_CSV.read_bytes() == fresh.read_bytes(), (
        "portal/demo/data/bag-demo.csv drifted from the generator; "
        "regenerate it with: python -m portal.demo.generate"
    )


def test_shipped_municipalities_csv_is_the_generator_output(tmp_path: Path) -> None:
    fresh = tmp_path / "municipalities.csv"
    assert write_municipalities_csv(fresh) == 5
    assert DEMO_MUNICIPALITIES_CSV.read_bytes() == fresh.read_bytes()


def test_written_csv_is_comma_separated_utf8_with_bar_joined_uses(tmp_path: Path) -> None:
    path = tmp_path / "bag.csv"
    write_bag_csv(path, count=2000, seed=3)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == list(generate_bag_rows(2000, seed=3))
    assert any("|" in r["gebruiksdoelen"] for r in rows)


def test_synthetic_municipalities_do_not_overlap_the_real_ones() -> None:
    national = national_municipalities(342)
    assert len(national) == 342
    assert len({p.code for p in national}) == 342
    areas = [
        area
        for p in national
        for town in p.towns
        for area in range(town.postcode_from, town.postcode_to + 1)
    ]
    assert len(areas) == len(set(areas))
    assert all(normalise_municipality_code(p.code) == p.code for p in national)
    assert synthetic_municipalities(0) == []


def test_generator_fills_synthetic_municipalities_with_unique_valid_rows() -> None:
    national = national_municipalities(342)
    rows = list(generate_bag_rows(20000, seed=11, municipalities=national))
    assert len({r["nummeraanduiding_identificatie"] for r in rows}) == 20000
    keys = {
        (r["postcode"], r["huisnummer"], r["huisletter"], r["huisnummertoevoeging"]) for r in rows
    }
    assert len(keys) == 20000
    assert len({r["gemeentecode"] for r in rows}) > 300
    for row in rows[:2000]:
        normalise_postcode(row["postcode"])
        validate_bag_id(row["nummeraanduiding_identificatie"], "20")


def test_generator_says_when_the_municipalities_are_full() -> None:
    small = [
        MunicipalityProfile(
            code="GM9999",
            name="Klein",
            province="Utrecht",
            region="",
            towns=(Town("Klein", 1234, 1234, ("Kerkstraat",)),),
        )
    ]
    rows = list(generate_bag_rows(100, seed=1, municipalities=small))
    assert len(rows) == 100
    with pytest.raises(ValueError, match="at most"):
        list(generate_bag_rows(10_000_000, seed=1, municipalities=small))
