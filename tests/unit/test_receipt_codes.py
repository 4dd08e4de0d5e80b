"""Receipt references, verification codes and the canonical snapshot JSON (domain, no app)."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Callable

import pytest

from portal.domain.errors import InvalidValue
from portal.domain.receipt_codes import (
    CODE_ALPHABET,
    CODE_BITS,
    canonical_json,
    format_reference,
    new_verification_code,
    normalise_verification_code,
    snapshot_sha256,
)

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


# --- references -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "sequence", "expected"),
    [
        (2026, 1, "MH-2026-000001"),
        (2026, 123, "MH-2026-000123"),
        (2026, 999_999, "MH-2026-999999"),
        (2026, 1_000_000, "MH-2026-1000000"),
        (2027, 12_345_678, "MH-2027-12345678"),
    ],
)
def test_reference_has_six_digits_or_more(year: int, sequence: int, expected: str) -> None:
    assert format_reference(year, sequence) == expected


@pytest.mark.parametrize(("year", "sequence"), [(999, 1), (10_000, 1), (2026, 0), (2026, -5)])
def test_format_reference_refuses_impossible_numbers(year: int, sequence: int) -> None:
    with pytest.raises(ValueError):
        format_reference(year, sequence)


# --- verification codes -----------------------------------------------------------------------


def test_alphabet_is_crockford_base32_without_confusable_letters() -> None:
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 32
    assert not set("ILOU") & set(CODE_ALPHABET)
    assert CODE_ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_code_carries_at_least_50_bits_of_entropy() -> None:
    asked: list[int] = []

    def spy(bits: int) -> int:
        asked.append(bits)
        return secrets.randbits(bits)

    code = new_verification_code(spy)
    symbols = code.replace("-", "")
    assert asked == [CODE_BITS]
    assert len(symbols) * math.log2(len(CODE_ALPHABET)) >= 50
    assert CODE_BITS == 60


def _fixed(value: int) -> Callable[[int], int]:
    return lambda _bits: value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0000-0000-0000"),
        (1, "0000-0000-0001"),
        (31, "0000-0000-000Z"),
        (32, "0000-0000-0010"),
        ((1 << 60) - 1, "ZZZZ-ZZZZ-ZZZZ"),
        (sum(i * 32 ** (11 - i) for i in range(12)), "0123-4567-89AB"),
    ],
)
def test_code_is_the_random_number_in_base32_grouped_by_four(value: int, expected: str) -> None:
    assert new_verification_code(_fixed(value)) == expected


def test_code_refuses_a_random_source_that_returns_too_many_bits() -> None:
    with pytest.raises(ValueError):
        new_verification_code(_fixed(1 << 60))


def test_real_codes_are_grouped_from_the_alphabet_and_do_not_repeat() -> None:
    codes = [new_verification_code() for _ in range(2000)]
    assert all(GROUPED.match(code) for code in codes), codes[:5]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7QK3-M9XA-2HD0", "7QK3-M9XA-2HD0"),
        ("7qk3-m9xa-2hd0", "7QK3-M9XA-2HD0"),
        ("7QK3M9XA2HD0", "7QK3-M9XA-2HD0"),
        (" 7QK3 M9XA 2HD0 ", "7QK3-M9XA-2HD0"),
        ("7QK3–M9XA–2HD0", "7QK3-M9XA-2HD0"),  # en dashes from a word processor
        ("7QK3-M9XA-2HDO", "7QK3-M9XA-2HD0"),  # letter O read as zero
        ("7QK3-M9XA-2HDo", "7QK3-M9XA-2HD0"),
        ("IQK3-M9XA-2HD0", "1QK3-M9XA-2HD0"),  # I read as one
        ("lQK3-M9XA-2HD0", "1QK3-M9XA-2HD0"),  # l read as one
        ("LQK3-M9XA-2HD0", "1QK3-M9XA-2HD0"),
    ],
)
def test_typed_code_is_forgiven_case_spacing_and_confusable_letters(
    typed: str, expected: str
) -> None:
    assert normalise_verification_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "7QK3-M9XA-2HD",  # 11 symbols
        "7QK3-M9XA-2HD00",  # 13 symbols
        "7QK3-M9XA-2HDU",  # U is not in the alphabet
        "7QK3-M9XA-2HD!",
        "7QK3-M9XA-2HDÄ",
    ],
)
def test_malformed_code_is_refused_with_a_code(typed: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_verification_code(typed)
    assert caught.value.code == "verification_code.format"


def test_every_generated_code_survives_normalisation() -> None:
    for _ in range(200):
        code = new_verification_code()
        assert normalise_verification_code(code) == code
        assert normalise_verification_code(code.lower().replace("-", " ")) == code


# --- canonical JSON ---------------------------------------------------------------------------

KNOWN = {"b": [1, 2, {"c": None}], "a": "é"}
KNOWN_JSON = '{"a":"é","b":[1,2,{"c":null}]}'.encode()
# sha256 of KNOWN_JSON, computed outside Python: printf '{"a":"\xc3\xa9",...}' | sha256sum
KNOWN_SHA256 = "4ab4f9324242a5eb4191c3e8db6a4a6e93dc70d4fd8fa879838d84f7b44f070a"


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        ({}, b"{}"),
        (KNOWN, KNOWN_JSON),
        ({"z": 1, "a": {"y": 2, "b": 3}}, b'{"a":{"b":3,"y":2},"z":1}'),
        ({"name": "Łódź ăâîșț 👷"}, '{"name":"Łódź ăâîșț 👷"}'.encode()),
        ({"html": "<script>&</script>"}, b'{"html":"<script>&</script>"}'),
        ({"n": 1.5, "t": True, "f": False}, b'{"f":false,"n":1.5,"t":true}'),
    ],
)
def test_canonical_json_is_sorted_compact_utf8(
    snapshot: dict[str, object], expected: bytes
) -> None:
    assert canonical_json(snapshot) == expected


def test_canonical_json_does_not_depend_on_key_order() -> None:
    forward = {"kind": "new", "address": {"street": "Oudegracht", "town": "Utrecht"}, "n": 6}
    backward = {"n": 6, "address": {"town": "Utrecht", "street": "Oudegracht"}, "kind": "new"}
    assert canonical_json(forward) == canonical_json(backward)
    assert snapshot_sha256(forward) == snapshot_sha256(backward)


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_sha256_of_a_known_snapshot() -> None:
    assert snapshot_sha256(KNOWN) == KNOWN_SHA256
    assert snapshot_sha256(KNOWN) == hashlib.sha256(KNOWN_JSON).hexdigest()


def test_sha256_changes_when_one_value_changes() -> None:
    assert snapshot_sha256({"occupants": 6}) != snapshot_sha256({"occupants": 7})
