"""The two input rules (portal.domain.inputs), table-driven: ASCII digits for numbers, NFC and no
invisible or direction-reversing characters for text."""

from __future__ import annotations

import pytest

from portal.domain.errors import InvalidValue
from portal.domain.inputs import clean_text, parse_whole_number


@pytest.mark.parametrize(
    ("raw", "signed", "expected"),
    [
        ("6", False, 6),
        (" 12 ", False, 12),
        ("007", False, 7),
        ("-3", True, -3),
        ("999999999", False, 999_999_999),
        ("٣", False, None),  # Arabic-Indic three: int() reads 3
        ("３", False, None),  # full-width three: int() reads 3
        ("³", False, None),  # superscript three: str.isdigit() says yes, int() fails
        ("১২", False, None),  # Bengali digits
        ("1_000", False, None),  # int() reads 1000
        ("+5", False, None),  # int() reads 5
        ("-3", False, None),
        ("--3", True, None),
        ("3\u200b", False, None),
        ("1 2", False, None),
        ("1e3", False, None),
        ("", False, None),
        ("-", True, None),
        ("1234567890", False, None),  # more than max_digits
        ("9" * 5000, False, None),  # int() refuses over 4300 digits with a ValueError of its own
    ],
)
def test_parse_whole_number(raw: str, signed: bool, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(InvalidValue) as refused:
            parse_whole_number(raw, "x.format", signed=signed)
        assert refused.value.code == "x.format"
    else:
        assert parse_whole_number(raw, "x.format", signed=signed) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dorpsstraat", "Dorpsstraat"),
        ("Cafe\u0301straat", "Caféstraat"),  # decomposed é → one character (NFC)
        ("’s-Hertogenbosch", "’s-Hertogenbosch"),
        ("Ĳsselstein", "Ĳsselstein"),  # NFC keeps the Dutch IJ ligature (NFKC would not)
        ("Straße 1\n2", "Straße 1\n2"),  # whitespace is the caller's to collapse
        ("Dorpsstraat\u202e", "text.invisible"),  # RIGHT-TO-LEFT OVERRIDE
        ("\u202bDorp", "text.invisible"),  # RIGHT-TO-LEFT EMBEDDING
        ("Dorp\u2067", "text.invisible"),  # RIGHT-TO-LEFT ISOLATE
        ("Dorp\u200f", "text.invisible"),  # RIGHT-TO-LEFT MARK
        ("Dorp\u061c", "text.invisible"),  # ARABIC LETTER MARK
        ("Dorps\u200bstraat", "text.invisible"),  # ZERO WIDTH SPACE
        ("Dorps\u200dstraat", "text.invisible"),  # ZERO WIDTH JOINER
        ("Dorps\u2060straat", "text.invisible"),  # WORD JOINER
        ("\ufeffDorp", "text.invisible"),  # BYTE ORDER MARK
        ("Dorps\u00adstraat", "text.invisible"),  # SOFT HYPHEN
        ("Dorp\x07", "field.control_character"),
        ("Dorp\x00", "field.control_character"),
        ("Dorp\ud800", "field.control_character"),  # a lone surrogate (JSON "\ud800")
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    if expected in ("text.invisible", "field.control_character"):
        with pytest.raises(InvalidValue) as refused:
            clean_text(raw)
        assert refused.value.code == expected
    else:
        assert clean_text(raw) == expected
