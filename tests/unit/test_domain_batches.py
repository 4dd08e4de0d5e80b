"""The CSV batch file shape and row rules (portal.domain.batches), table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain import batches as rules
from portal.domain.errors import InvalidValue

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"postcode;huisnummer", "postcode;huisnummer"),
        (b"\xef\xbb\xbfpostcode", "postcode"),  # UTF-8 BOM dropped
        ("café".encode(), "café"),  # UTF-8
        (b"caf\xe9", "café"),  # Windows-1252 (Dutch Excel "CSV (;-gescheiden)")
        (b"\x80 5", "€ 5"),  # the euro sign is 0x80 in Windows-1252
    ],
)
def test_decode(raw: bytes, expected: str) -> None:
    assert rules.decode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfep\x00",  # UTF-16 LE with BOM ("Unicode text")
        b"\xfe\xff\x00p",
        b"p\x00o\x00",  # UTF-16 without BOM: NULs
        b"\x89PNG\r\n\x1a\n\x00",
        b"\x81\x8d",  # undefined in Windows-1252
    ],
)
def test_decode_refuses_what_is_not_text(raw: bytes) -> None:
    with pytest.raises(InvalidValue) as refused:
        rules.decode(raw)
    assert refused.value.code == "batch.encoding"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("postcode;huisnummer;aantal_bewoners", ";"),
        ("postcode,huisnummer,aantal_bewoners", ","),
        ("postcode;huisnummer,x;y", ";"),
        ("postcode", ";"),
    ],
)
def test_sniff_delimiter(line: str, expected: str) -> None:
    assert rules.sniff_delimiter(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-12-2026", date(2026, 12, 1)),
        ("01-12-2026", date(2026, 12, 1)),
        ("1/12/2026", date(2026, 12, 1)),
        ("1.12.2026", date(2026, 12, 1)),
        ("2026-12-01", date(2026, 12, 1)),
        (" 2026-1-2 ", date(2026, 1, 2)),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: date | None) -> None:
    assert rules.parse_date(text) == expected


@pytest.mark.parametrize("text", ["12-2026", "2026/12/01", "1 december 2026", "46000", 3])
def test_parse_date_refuses(text: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        rules.parse_date(text)
    assert refused.value.code == "date.format"


def test_parse_date_names_a_day_that_does_not_exist() -> None:
    with pytest.raises(InvalidValue) as refused:
        rules.parse_date("31-02-2026")
    assert (refused.value.code, refused.value.value) == ("date.nonexistent", "2026-02-31")


@pytest.mark.parametrize(
    ("value", "expected", "code"),
    [
        ("6", 6, None),
        (" 12 ", 12, None),
        ("-1", -1, None),
        (7, 7, None),
        ("", None, None),
        ("zes", None, "number.format"),
        ("6,0", None, "number.format"),
        (6.0, None, "number.format"),
        (True, None, "number.format"),
    ],
)
def test_parse_whole_number(value: object, expected: int | None, code: str | None) -> None:
    if code is None:
        assert rules.parse_whole_number(value) == expected
    else:
        with pytest.raises(InvalidValue) as refused:
            rules.parse_whole_number(value)
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ja", True),
        ("Ja", True),
        ("j", True),
        ("yes", True),
        ("1", True),
        (True, True),
        ("nee", False),
        ("N", False),
        ("no", False),
        ("0", False),
        (False, False),
        ("", None),
    ],
)
def test_parse_yes_no(value: object, expected: bool | None) -> None:
    assert rules.parse_yes_no(value) is expected


def test_parse_yes_no_refuses_anything_else() -> None:
    with pytest.raises(InvalidValue) as refused:
        rules.parse_yes_no("misschien")
    assert refused.value.code == "yes_no.format"


@pytest.mark.parametrize(
    ("value", "expected", "code"),
    [
        ("0344200000123456", "0344200000123456", None),
        ("0344010000123456", "0344010000123456", None),
        ("344200000123456", "0344200000123456", None),  # Excel dropped the leading zero
        ("", None, None),
        ("0344300000123456", None, "bag_id.object_type"),
        ("3,44E+14", None, "bag_id.format"),
        ("12345", None, "bag_id.format"),
    ],
)
def test_parse_bag_id(value: str, expected: str | None, code: str | None) -> None:
    if code is None:
        assert rules.parse_bag_id(value) == expected
    else:
        with pytest.raises(InvalidValue) as refused:
            rules.parse_bag_id(value)
        assert refused.value.code == code


def test_header_fields_accepts_dutch_english_and_ignores_unknown_columns() -> None:
    fields = rules.header_fields(
        [" Postcode ", "Huisnummer", "occupants", "START_DATE", "aparte contracten", "fout"]
    )
    assert fields == {
        "postcode": 0,
        "house_number": 1,
        "occupants": 2,
        "start_date": 3,
        "separate_contracts": 4,
    }
    assert rules.missing_columns(fields) == []


@pytest.mark.parametrize(
    ("names", "missing"),
    [
        (list(rules.COLUMNS), []),
        (["bag_id", "aantal_bewoners", "startdatum", "aparte_contracten"], []),
        (["postcode", "aantal_bewoners", "startdatum", "aparte_contracten"], ["huisnummer"]),
        (["x"], ["postcode", "huisnummer", "aantal_bewoners", "startdatum", "aparte_contracten"]),
    ],
)
def test_missing_columns(names: list[str], missing: list[str]) -> None:
    assert rules.missing_columns(rules.header_fields(names)) == missing


VALID = {
    "postcode": "3511ab",
    "house_number": "12",
    "house_letter": "a",
    "house_number_addition": "",
    "bag_id": "",
    "occupants": "6",
    "occupants_registered_brp": "",
    "start_date": "1-12-2026",
    "end_date": "",
    "separate_contracts": "ja",
    "declared_for_kvk": "12 34 56 78",
}


def test_validate_row_normalises_a_good_row() -> None:
    row, problems = rules.validate_row(VALID, TODAY)
    assert problems == []
    assert row == rules.RowValues(
        bag_id=None,
        address=rules.AddressKey("3511 AB", 12, "A", ""),
        occupants=6,
        occupants_registered_brp=None,
        start_date=date(2026, 12, 1),
        end_date=None,
        separate_contracts=True,
        declared_for_kvk="12345678",
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"occupants": ""}, {("occupants", "occupants.required")}),
        ({"occupants": "zes"}, {("occupants", "number.format")}),  # not also "required"
        ({"occupants": "501"}, {("occupants", "occupants.range")}),
        (
            {"occupants_registered_brp": "7"},
            {("occupants_registered_brp", "brp.more_than_occupants")},
        ),
        ({"start_date": "1-1-2020"}, {("start_date", "date.too_early")}),
        ({"start_date": "1-13-2026"}, {("start_date", "date.format")}),
        ({"end_date": "1-11-2026"}, {("end_date", "end_date.before_start")}),
        ({"separate_contracts": ""}, {("separate_contracts", "separate_contracts.required")}),
        ({"separate_contracts": "?"}, {("separate_contracts", "yes_no.format")}),
        ({"postcode": "0123 AB"}, {("postcode", "postcode.leading_zero")}),
        (
            {"postcode": "", "house_number": ""},
            {("postcode", "postcode.required"), ("house_number", "house_number.required")},
        ),
        ({"house_letter": "AB"}, {("house_letter", "house_letter.format")}),
        ({"declared_for_kvk": "123"}, {("declared_for_kvk", "kvk.format")}),
        ({"bag_id": "1"}, {("bag_id", "bag_id.format")}),
        # str.isdigit() says yes to these, int() says no (or reads another script's digit)
        ({"house_number": "\u00b9"}, {("house_number", "house_number.format")}),
        ({"house_number": "\u0663"}, {("house_number", "house_number.format")}),
        ({"occupants": "\u0666"}, {("occupants", "number.format")}),
        ({"start_date": "\u0661-12-2026"}, {("start_date", "date.format")}),
    ],
)
def test_validate_row_problems(changes: dict[str, str], expected: set[tuple[str, str]]) -> None:
    row, problems = rules.validate_row({**VALID, **changes}, TODAY)
    assert row is None
    assert {(p.field, p.code) for p in problems} == expected


def test_a_bag_id_wins_over_the_address_parts() -> None:
    row, problems = rules.validate_row(
        {**VALID, "postcode": "", "bag_id": "0344200000123456"}, TODAY
    )
    assert problems == []
    assert row is not None and row.bag_id == "0344200000123456" and row.address is None
    assert row.address_field() == "bag_id"
