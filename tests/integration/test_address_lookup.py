"""Looking an address up by postcode and house number (services/addresses.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from portal.domain.errors import Problem
from portal.models import Address, Municipality
from portal.services.addresses import LookupResult, lookup_address

MakeAddress = Callable[..., Address]


def labels(result: LookupResult) -> list[str]:
    return [a.number_label for a in result.choices]


def test_single_address_at_the_number_is_found(ctx: Flask, make_address: MakeAddress) -> None:
    made = make_address("3511 AB", 12)
    make_address("3511 AB", 14)
    result = lookup_address("3511ab", "12")
    assert result.status == "found"
    assert result.address is not None
    assert result.address.id == made.id
    assert result.choices == []
    assert result.problems == []


def test_number_may_be_given_as_int(ctx: Flask, make_address: MakeAddress) -> None:
    made = make_address("3511 AB", 12)
    result = lookup_address("NL-3511 AB", 12)
    assert result.status == "found"
    assert result.address is not None and result.address.id == made.id


@pytest.mark.parametrize(
    ("letter", "addition", "expected"),
    [
        ("a", None, "12A"),
        ("B", "", "12B"),
        (None, "2", "12-2"),
        ("", "h", "12-H"),
        ("A", "1", "12A-1"),
    ],
)
def test_letter_and_addition_matching_exactly_are_found(
    ctx: Flask,
    make_address: MakeAddress,
    letter: str | None,
    addition: str | None,
    expected: str,
) -> None:
    for unit_letter, unit_addition in [("", ""), ("A", ""), ("B", ""), ("", "2"), ("", "H")]:
        make_address("3511 AB", 12, letter=unit_letter, addition=unit_addition)
    make_address("3511 AB", 12, letter="A", addition="1")
    result = lookup_address("3511 AB", "12", letter, addition)
    assert result.status == "found"
    assert result.address is not None
    assert result.address.number_label == expected


def test_several_addresses_at_the_number_ask_the_user_to_choose(
    ctx: Flask, make_address: MakeAddress
) -> None:
    for letter in ("B", "", "A"):
        make_address("3511 AB", 12, letter=letter)
    result = lookup_address("3511 AB", "12")
    assert result.status == "choose"
    assert result.address is None
    assert labels(result) == ["12", "12A", "12B"]


def test_choices_list_additions_in_a_natural_order(ctx: Flask, make_address: MakeAddress) -> None:
    for addition in ("II", "10", "H", "2", "1", "I", "BS"):
        make_address("2671 AA", 20, addition=addition)
    result = lookup_address("2671 AA", "20")
    assert result.status == "choose"
    assert labels(result) == ["20-1", "20-2", "20-10", "20-BS", "20-H", "20-I", "20-II"]


def test_letter_that_does_not_exist_at_the_number_is_not_found_and_names_the_ones_that_do(
    ctx: Flask, make_address: MakeAddress
) -> None:
    # A named unit the register lacks is never swapped for another (domain.address.resolve_unit);
    # the addresses at the number come along so the page can offer them.
    make_address("3511 AB", 12, letter="A")
    make_address("3511 AB", 12, letter="B")
    result = lookup_address("3511 AB", "12", letter="C")
    assert result.status == "not_found"
    assert result.address is None
    assert labels(result) == ["12A", "12B"]


def test_addition_given_where_only_one_plain_address_exists_is_not_found(
    ctx: Flask, make_address: MakeAddress
) -> None:
    make_address("3511 AB", 12)
    result = lookup_address("3511 AB", "12", addition="3")
    assert result.status == "not_found"
    assert labels(result) == ["12"]


def test_letter_and_addition_given_as_none_name_the_plain_number(
    ctx: Flask, make_address: MakeAddress
) -> None:
    plain = make_address("3511 AB", 12)
    make_address("3511 AB", 12, letter="A")
    assert lookup_address("3511 AB", "12").status == "choose"  # not given: the user picks
    result = lookup_address("3511 AB", "12", "", "")  # given as none: the plain number
    assert result.status == "found"
    assert result.address is not None and result.address.id == plain.id
    assert lookup_address("3511 AB", "12", "", None).status == "found"


def test_unknown_postcode_and_number_is_not_found(ctx: Flask, make_address: MakeAddress) -> None:
    make_address("3511 AB", 12)
    make_address("3511 AC", 13)
    for postcode, number in [("3511 AB", "13"), ("3511 AC", "12"), ("9999 ZZ", "1")]:
        result = lookup_address(postcode, number)
        assert result.status == "not_found"
        assert (result.address, result.choices, result.problems) == (None, [], [])


def test_invalid_input_names_every_field_that_is_wrong(ctx: Flask) -> None:
    result = lookup_address("0123 AB", "12a", letter="AB", addition="-1")
    assert result.status == "invalid"
    assert result.address is None
    assert result.problems == [
        Problem("postcode", "postcode.leading_zero"),
        Problem("house_number", "house_number.format"),
        Problem("house_letter", "house_letter.format"),
        Problem("house_number_addition", "addition.format"),
    ]


@pytest.mark.parametrize(
    ("postcode", "number", "problem"),
    [
        ("", "12", Problem("postcode", "postcode.required")),
        ("3511 SA", "12", Problem("postcode", "postcode.reserved")),
        ("12345", "12", Problem("postcode", "postcode.format")),
        ("3511 AB", "", Problem("house_number", "house_number.required")),
        ("3511 AB", "0", Problem("house_number", "house_number.range")),
    ],
)
def test_one_invalid_field_is_named_alone(
    ctx: Flask, make_address: MakeAddress, postcode: str, number: str, problem: Problem
) -> None:
    make_address("3511 AB", 12)
    result = lookup_address(postcode, number)
    assert result.status == "invalid"
    assert result.problems == [problem]


def test_lookup_covers_the_whole_register_across_municipalities(
    ctx: Flask,
    make_address: MakeAddress,
    make_municipality: Callable[..., Municipality],
) -> None:
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    make_address("3511 AB", 12)
    make_address("2671 AA", 3, municipality=westland, town="Naaldwijk", street="Havenstraat")
    found = lookup_address("2671AA", "3")
    assert found.status == "found"
    assert found.address is not None
    assert found.address.municipality_id == westland.id
    assert found.address.one_line == "Havenstraat 3, 2671 AA Naaldwijk"
    assert lookup_address("3511AB", "12").status == "found"
