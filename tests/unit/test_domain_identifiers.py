"""KvK numbers, municipality codes, SNF numbers and email addresses."""

from __future__ import annotations

import pytest

from portal.domain.errors import InvalidValue
from portal.domain.identifiers import (
    normalise_email,
    normalise_kvk,
    normalise_municipality_code,
    normalise_snf_number,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678", "12345678"),
        ("12 34 56 78", "12345678"),
        ("12.34.56.78", "12345678"),
        (" 01234567 ", "01234567"),
    ],
)
def test_kvk_number_is_eight_digits_without_spaces_or_dots(raw: str, expected: str) -> None:
    assert normalise_kvk(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "kvk.required"),
        ("  ", "kvk.required"),
        ("1234567", "kvk.format"),
        ("123456789", "kvk.format"),  # an RSIN, not a KvK number
        ("000012345678", "kvk.format"),  # a vestigingsnummer
        ("1234567A", "kvk.format"),
        ("12-34-56-78", "kvk.format"),
    ],
)
def test_invalid_kvk_number_is_refused_with_its_reason(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_kvk(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GM0344", "GM0344"),
        ("gm0344", "GM0344"),
        (" GM0344 ", "GM0344"),
        ("0344", "GM0344"),
        ("344", "GM0344"),
        ("14", "GM0014"),
        ("1783", "GM1783"),
    ],
)
def test_municipality_code_accepts_cbs_and_bag_forms(raw: str, expected: str) -> None:
    assert normalise_municipality_code(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "GM344", "GM03440", "12345", "PV26", "GM-0344", "Utrecht", "GM034A"]
)
def test_invalid_municipality_code_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_municipality_code(raw)
    assert caught.value.code == "municipality_code.format"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, ""), ("", ""), ("  ", ""), ("snf-10001", "SNF-10001"), (" ABC123 ", "ABC123")],
)
def test_snf_number_is_optional_and_upper_cased(raw: str | None, expected: str) -> None:
    assert normalise_snf_number(raw) == expected


@pytest.mark.parametrize("raw", ["SNF 10001", "SNF/10001", "A" * 21, "snf_1"])
def test_snf_number_with_other_characters_or_too_long_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_snf_number(raw)
    assert caught.value.code == "snf.format"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jan@example.nl", "jan@example.nl"),
        (" Jan.Jansen@Example.NL ", "jan.jansen@example.nl"),
        ("info+meld@gemeente-utrecht.nl", "info+meld@gemeente-utrecht.nl"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "email.required"),
        ("   ", "email.required"),
        ("jan", "email.format"),
        ("jan@", "email.format"),
        ("@example.nl", "email.format"),
        ("jan@@example.nl", "email.format"),
        ("jan @example.nl", "email.format"),
        ("jan@example", "email.format"),
        ("a" * 250 + "@example.nl", "email.format"),
    ],
)
def test_invalid_email_is_refused_with_its_reason(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_email(raw)
    assert caught.value.code == code
