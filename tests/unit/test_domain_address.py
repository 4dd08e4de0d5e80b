"""Dutch address parts: postcode, house number, letter, addition, BAG ids, uses, floor area."""

from __future__ import annotations

import pytest

from portal.domain.address import (
    BAG_USES,
    is_residential,
    normalise_addition,
    normalise_house_letter,
    normalise_postcode,
    parse_floor_area,
    parse_house_number,
    parse_uses,
    validate_bag_id,
)
from portal.domain.errors import InvalidValue


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3511ab", "3511 AB"),
        ("3511 AB", "3511 AB"),
        ("3511AB", "3511 AB"),
        (" 3511  ab ", "3511 AB"),
        ("NL-2611ET", "2611 ET"),
        ("nl-2611et", "2611 ET"),
        ("NL2611ET", "2611 ET"),
        ("2611 et", "2611 ET"),
        ("9999 ZZ", "9999 ZZ"),
        ("1000 AA", "1000 AA"),
        ("3511 SB", "3511 SB"),  # only SA, SD and SS are reserved
    ],
)
def test_postcode_is_normalised_to_four_digits_space_two_capitals(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "postcode.required"),
        ("   ", "postcode.required"),
        ("0123 AB", "postcode.leading_zero"),
        ("0000AA", "postcode.leading_zero"),
        ("1234 SA", "postcode.reserved"),
        ("1234 sd", "postcode.reserved"),
        ("1234SS", "postcode.reserved"),
        ("12345", "postcode.format"),
        ("12345 AB", "postcode.format"),
        ("123 AB", "postcode.format"),
        ("1234 A", "postcode.format"),
        ("1234 ABC", "postcode.format"),
        ("AB 1234", "postcode.format"),
        ("1234-AB", "postcode.format"),
        ("1234 Ä B", "postcode.format"),
        ("BE-1000", "postcode.format"),
    ],
)
def test_invalid_postcode_is_refused_with_its_reason(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_postcode(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), ("12", 12), (" 250 ", 250), (7, 7), ("99999", 99999), ("007", 7)],
)
def test_house_number_is_a_whole_number_from_1_to_99999(raw: str | int, expected: int) -> None:
    assert parse_house_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "house_number.required"),
        ("  ", "house_number.required"),
        ("12A", "house_number.format"),
        ("-3", "house_number.format"),
        ("1.5", "house_number.format"),
        ("¹", "house_number.format"),  # str.isdigit() says yes, int() fails
        ("١٢", "house_number.format"),  # Arabic-Indic digits: int() would read 12
        ("twaalf", "house_number.format"),
        ("0", "house_number.range"),
        (0, "house_number.range"),
        ("100000", "house_number.range"),
    ],
)
def test_invalid_house_number_is_refused_with_its_reason(raw: str | int, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_house_number(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, ""), ("", ""), ("  ", ""), ("a", "A"), ("B", "B"), (" d ", "D"), ("z", "Z")],
)
def test_house_letter_is_one_capital_or_empty(raw: str | None, expected: str) -> None:
    assert normalise_house_letter(raw) == expected


@pytest.mark.parametrize("raw", ["AB", "1", "-", "é", "A1"])
def test_house_letter_other_than_one_letter_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_house_letter(raw)
    assert caught.value.code == "house_letter.format"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("1", "1"),
        ("bs", "BS"),
        ("h", "H"),
        ("II", "II"),
        (" 2hg ", "2HG"),
        ("A123", "A123"),
    ],
)
def test_addition_is_up_to_four_letters_or_digits_upper_cased(
    raw: str | None, expected: str
) -> None:
    assert normalise_addition(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "-1", "1-2", "a b", "ABCDE", "é"])
def test_addition_with_other_characters_or_too_long_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_addition(raw)
    assert caught.value.code == "addition.format"


@pytest.mark.parametrize(
    ("raw", "object_type", "expected"),
    [
        ("0344200000123456", "20", "0344200000123456"),
        (" 0344200000123456 ", "20", "0344200000123456"),
        ("1783010000000001", "01", "1783010000000001"),
    ],
)
def test_bag_id_of_the_right_object_type_is_accepted(
    raw: str, object_type: str, expected: str
) -> None:
    assert validate_bag_id(raw, object_type) == expected


@pytest.mark.parametrize(
    ("raw", "object_type", "code"),
    [
        ("", "20", "bag_id.format"),
        ("034420000012345", "20", "bag_id.format"),  # 15 digits
        ("03442000001234567", "20", "bag_id.format"),  # 17 digits
        ("0344-20-0000123456", "20", "bag_id.format"),
        ("034420000012345X", "20", "bag_id.format"),
        ("0344010000123456", "20", "bag_id.object_type"),  # a verblijfsobject, not an address
        ("0344200000123456", "01", "bag_id.object_type"),
        ("0344100000123456", "01", "bag_id.object_type"),  # a pand
    ],
)
def test_bag_id_of_wrong_shape_or_object_type_is_refused(
    raw: str, object_type: str, code: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_bag_id(raw, object_type)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ()),
        ("woonfunctie", ("woonfunctie",)),
        ("Woonfunctie ", ("woonfunctie",)),
        ("woonfunctie|logiesfunctie", ("logiesfunctie", "woonfunctie")),
        ("woonfunctie,winkelfunctie", ("winkelfunctie", "woonfunctie")),
        ("kantoorfunctie; woonfunctie", ("kantoorfunctie", "woonfunctie")),
        ("woonfunctie|woonfunctie", ("woonfunctie",)),
        ("overige gebruiksfunctie", ("overige gebruiksfunctie",)),
        ("woonfunctie||", ("woonfunctie",)),
    ],
)
def test_uses_are_split_on_comma_bar_or_semicolon_sorted_and_deduplicated(
    raw: str, expected: tuple[str, ...]
) -> None:
    assert parse_uses(raw) == expected


@pytest.mark.parametrize("raw", ["wonen", "woonfunctie|hotel", "woon functie"])
def test_unknown_use_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_uses(raw)
    assert caught.value.code == "uses.unknown"


def test_all_eleven_bag_uses_are_known() -> None:
    assert len(BAG_USES) == 11
    assert parse_uses("|".join(BAG_USES)) == tuple(sorted(BAG_USES))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", None), ("  ", None), ("1", 1), ("85", 85), (" 250 ", 250), ("100000", 100_000)],
)
def test_floor_area_is_whole_square_metres_or_unknown(raw: str, expected: int | None) -> None:
    assert parse_floor_area(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("85.5", "floor_area.format"),
        ("85 m2", "floor_area.format"),
        ("²", "floor_area.format"),
        ("-5", "floor_area.format"),
        ("0", "floor_area.range"),
        ("100001", "floor_area.range"),
    ],
)
def test_invalid_floor_area_is_refused_with_its_reason(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_floor_area(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        (("woonfunctie",), True),
        (("logiesfunctie",), True),
        (["kantoorfunctie", "woonfunctie"], True),
        (("kantoorfunctie",), False),
        (("industriefunctie", "winkelfunctie"), False),
        ((), False),
    ],
)
def test_address_is_residential_when_a_use_is_woon_or_logies(
    uses: tuple[str, ...] | list[str], expected: bool
) -> None:
    assert is_residential(uses) is expected
