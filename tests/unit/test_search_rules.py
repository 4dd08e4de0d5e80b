"""The search box's reading rules (portal.domain.search) and the phone check
(portal.domain.phones), table-driven."""

from __future__ import annotations

import pytest

from portal.domain.errors import InvalidValue
from portal.domain.phones import normalise_phone
from portal.domain.search import Query, fold, postcode_shape, prefix_end, read_query, street_key


@pytest.mark.parametrize(
    ("street", "key"),
    [
        ("Oudegracht", "oudegracht"),
        ("OUDEGRACHT", "oudegracht"),
        ("St. Jacobsstraat", "sint jacobsstraat"),
        ("St.Jacobsstraat", "sint jacobsstraat"),
        ("Sint Jacobsstraat", "sint jacobsstraat"),
        ("Sint-Jacobsstraat", "sint jacobsstraat"),
        ("St Jacobsstraat", "sint jacobsstraat"),
        ("st", "st"),  # the start of "Stationsstraat" being typed
        ("Stationsstraat", "stationsstraat"),
        ("Van Oldenbarneveltlaan", "van oldenbarneveltlaan"),
        ("'s-Gravenweg", "s gravenweg"),
        ("Één Straat", "een straat"),
        ("Čapekstraat", "capekstraat"),
        ("IJsselkade", "ijsselkade"),
        ("Ĳsselkade", "ijsselkade"),
        ("Weg  naar   Zee", "weg naar zee"),
        ("", ""),
    ],
)
def test_street_key(street: str, key: str) -> None:
    assert street_key(street) == key


def test_fold_drops_accents_and_case() -> None:
    assert fold("Crème Brûlée") == "creme brulee"


def test_prefix_end_bounds_every_continuation() -> None:
    end = prefix_end("oudegr")
    assert "oudegr" < "oudegracht" < end and end < "oudegs"


@pytest.mark.parametrize(
    ("raw", "shaped"),
    [("3511AB", "3511 AB"), ("3511 ab", "3511 AB"), ("0511AB", None), ("3511A", None)],
)
def test_postcode_shape(raw: str, shaped: str | None) -> None:
    assert postcode_shape(raw) == shaped


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("   ", {}),
        ("oudegr", {"street_prefix": "oudegr", "name": "oudegr"}),
        ("oudegr 13", {"street_prefix": "oudegr", "house_number": 13, "name": "oudegr 13"}),
        (
            "Oudegracht 13a",
            {
                "street_prefix": "oudegracht",
                "house_number": 13,
                "house_letter": "A",
                "name": "oudegracht 13a",
            },
        ),
        ("St. Jans", {"street_prefix": "sint jans", "name": "st. jans"}),
        ("ou", {}),  # too short for a street or a name
        ("3511AB", {"postcode": "3511 AB"}),
        ("3511 ab", {"postcode": "3511 AB"}),
        ("3511AB 13", {"postcode": "3511 AB", "house_number": 13}),
        ("3511 AB 13 a", {"postcode": "3511 AB", "house_number": 13, "house_letter": "A"}),
        ("0344200000000556", {"bag_id": "0344200000000556"}),
        ("90000011", {"kvk": "90000011"}),
        ("9000 0011", {"kvk": "90000011"}),
        ("12", {"flag_id": 12}),
        ("#12", {"flag_id": 12}),
        # also a street "Signaal…" with number 12: every reading is searched
        (
            "signaal 12",
            {"flag_id": 12, "name": "signaal 12", "street_prefix": "signaal", "house_number": 12},
        ),
        ("MH-2026-000123", {"reference": "MH-2026-000123"}),
        ("mh-2026-123", {"reference": "MH-2026-000123"}),
        ("MH2026000123", {"reference": "MH-2026-000123"}),
        ("Flexwerk", {"street_prefix": "flexwerk", "name": "flexwerk"}),
    ],
)
def test_read_query(raw: str, expected: dict[str, object]) -> None:
    query = read_query(raw)
    values = {
        name: getattr(query, name)
        for name in Query.__dataclass_fields__
        if name != "text" and getattr(query, name) not in (None, "")
    }
    assert values == expected


def test_a_long_query_is_cut() -> None:
    assert len(read_query("a" * 500).text) == 100


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("030 123 4567", "030 123 4567"),
        ("030-1234567", "030-1234567"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("(030) 123 45 67", "(030) 123 45 67"),
        ("+31 30 123 4567", "+31 30 123 4567"),
        ("+31 (0)30 123 4567", "+31 (0)30 123 4567"),
        ("0031 30 123 4567", "0031 30 123 4567"),
        ("+48 22 123 45 67", "+48 22 123 45 67"),
        ("0800 1234", "0800 1234"),
        ("0900-1234567", "0900-1234567"),
        ("  030   123 4567 ", "030 123 4567"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_phone_accepted(raw: str, stored: str) -> None:
    assert normalise_phone(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "030 123 456",  # 9 digits
        "0301234567890",  # 13 digits without +
        "301234567",  # no leading 0
        "+31",
        "+31 30 123 4567 8901 2",  # more than 15 digits
        "bel mij",
        "030 123 4567 ext 2",
        "０３０１２３４５６７",  # full-width digits
        "+" + "1" * 40,
    ],
)
def test_phone_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_phone(raw)
    assert caught.value.code == "phone.format"


def test_an_invisible_character_in_a_phone_number_is_named() -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_phone("030\u200b1234567")
    assert caught.value.code == "text.invisible"
