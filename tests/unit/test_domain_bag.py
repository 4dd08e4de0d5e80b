"""The BAG extract's rules on a reference date (portal/domain/bag.py), table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain import bag
from portal.domain.bag import Nummeraanduiding, Relation, Skipped, Street, Voorkomen

DAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (Voorkomen(date(2020, 1, 1)), True),  # open-ended, begun earlier
        (Voorkomen(DAY), True),  # begins on the day
        (Voorkomen(date(2026, 6, 2)), False),  # a version dated in the future
        (Voorkomen(date(2020, 1, 1), date(2026, 6, 1)), False),  # ended on the day
        (Voorkomen(date(2020, 1, 1), date(2026, 5, 31)), False),  # ended before
        (Voorkomen(date(2020, 1, 1), date(2026, 6, 2)), True),  # ends later
        (Voorkomen(date(2020, 1, 1), None, inactive=True), False),  # withdrawn
        (Voorkomen(date(2020, 1, 1), date(2030, 1, 1), inactive=True), False),
    ],
)
def test_version_in_force_on_the_day(version: Voorkomen, expected: bool) -> None:
    assert bag.in_force(version, DAY) is expected
    # The same rule on the extract's texts (what the reader uses).
    end = version.end.isoformat() if version.end else None
    begin = version.begin.isoformat() + "Z"  # an xs:date may carry a time zone
    assert bag.in_force_text(begin, end, version.inactive, DAY.isoformat()) is expected


@pytest.mark.parametrize(
    ("candidate", "held", "expected"),
    [
        (Voorkomen(date(2020, 1, 1)), None, True),
        (Voorkomen(date(2021, 1, 1)), Voorkomen(date(2020, 1, 1)), True),
        (Voorkomen(date(2019, 1, 1)), Voorkomen(date(2020, 1, 1)), False),
    ],
)
def test_the_later_version_wins(
    candidate: Voorkomen, held: Voorkomen | None, expected: bool
) -> None:
    assert bag.newer(candidate, held) is expected


@pytest.mark.parametrize(
    ("status", "exists"),
    [
        ("Verblijfsobject gevormd", True),
        ("Verblijfsobject in gebruik", True),
        ("Verblijfsobject in gebruik (niet ingemeten)", True),
        ("Verbouwing verblijfsobject", True),  # under renovation: still an address
        ("Verblijfsobject buiten gebruik", True),
        ("Niet gerealiseerd verblijfsobject", False),
        ("Verblijfsobject ingetrokken", False),
        ("Verblijfsobject ten onrechte opgevoerd", False),
    ],
)
def test_status_filter(status: str, exists: bool) -> None:
    assert bag.address_exists(status) is exists


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-06-01", date(2020, 6, 1)),
        ("2020-06-01Z", date(2020, 6, 1)),
        ("2020-06-01T10:11:12.000", date(2020, 6, 1)),
    ],
)
def test_parse_date(raw: str, expected: date) -> None:
    assert bag.parse_date(raw) == expected


@pytest.mark.parametrize(
    ("own", "street", "expected"),
    [("1001", "1002", "1001"), (None, "1002", "1002"), ("", "1002", "1002"), (None, None, None)],
)
def test_woonplaats_own_ligt_in_first(own: str | None, street: str | None, expected: str) -> None:
    assert bag.woonplaats_of(own, street) == expected


RELATIONS = [
    Relation("1001", "0100", date(2000, 1, 1), date(2026, 1, 1)),  # closed period
    Relation("1001", "0200", date(2026, 1, 1)),  # open period: merged into 0200
    Relation("1002", "0300", date(2027, 1, 1)),  # not yet
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 31), {"1001": "GM0100"}),
        (date(2026, 1, 1), {"1001": "GM0200"}),
        (date(2027, 1, 1), {"1001": "GM0200", "1002": "GM0300"}),
    ],
)
def test_municipality_relation_on_the_day(day: date, expected: dict[str, str]) -> None:
    assert bag.municipalities_on(RELATIONS, day) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1234AB", "1234 AB"), ("1234 ab", "1234 AB"), ("", None), (None, None)],
)
def test_postcode_text(raw: str | None, expected: str | None) -> None:
    assert bag.postcode_text(raw) == expected


def test_uses_are_all_kept_sorted() -> None:
    assert bag.uses_text(["woonfunctie", "logiesfunctie", "woonfunctie"]) == (
        "logiesfunctie,woonfunctie"
    )


NUMS = {
    "0100200000000001": Nummeraanduiding(1, "", "", "1234 AB", "0100300000000001"),
    "0100200000000002": Nummeraanduiding(2, "A", "1", "1234 AB", "0100300000000001", "1002"),
    "0100200000000003": Nummeraanduiding(3, "", "", None, "0100300000000001"),
    "0100200000000004": Nummeraanduiding(4, "", "", "1234 AB", "0100300000000099"),
    "0100200000000005": Nummeraanduiding(5, "", "", "1234 AB", "0100300000000002"),
}
STREETS = {
    "0100300000000001": Street("Dorpsstraat", "1001"),
    "0100300000000002": Street("Nergensweg", "1003"),
}
TOWNS = {"1001": "Dorp", "1002": "Gehucht", "1003": "Nergens"}
MUNICIPALITIES = {"1001": "GM0100", "1002": "GM0200"}


@pytest.mark.parametrize(
    ("num", "expected"),
    [
        ("0100200000000001", ("Dorpsstraat", 1, "1234 AB", "Dorp", "GM0100")),
        ("0100200000000002", ("Dorpsstraat", 2, "1234 AB", "Gehucht", "GM0200")),  # ligtIn
        ("0100200000000003", bag.SKIP_NO_POSTCODE),
        ("0100200000000004", bag.SKIP_DANGLING),  # street missing
        ("0100200000000005", bag.SKIP_DANGLING),  # woonplaats without a municipality
        ("0100200000000009", bag.SKIP_DANGLING),  # address missing
    ],
)
def test_join_main_address(num: str, expected: object) -> None:
    joined = bag.join_main_address(num, NUMS, STREETS, TOWNS, MUNICIPALITIES)
    if isinstance(expected, str):
        assert isinstance(joined, Skipped)
        assert joined.reason == expected
    else:
        assert not isinstance(joined, Skipped)
        assert (
            joined.street,
            joined.house_number,
            joined.postcode,
            joined.town,
            joined.municipality_code,
        ) == expected
