"""Receipt references, verification codes and the canonical snapshot (domain layer).

A receipt carries three identifiers (docs/rules.md §4.2): the declaration reference
(``MH-2026-000123``), a short verification code a person can type on the public verification
page, and the SHA-256 of the canonical JSON of what was filed. All three are pure functions here,
so the web pages, the API and the PDF agree on them byte for byte.

Verification code: 12 characters of Crockford's base32 alphabet (no I, L, O or U, so nothing
can be misread), 5 bits each = 60 random bits from ``secrets``, grouped ``XXXX-XXXX-XXXX``.
Typing mistakes that Crockford calls harmless (O for 0, I or L for 1, lower case, spaces, no
dashes) are forgiven when the code is read back.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final

from portal.domain.errors import InvalidValue

REFERENCE_PREFIX: Final = "MH"
# Six digits cover 999,999 filings a year; the number simply grows longer after that.
REFERENCE_MIN_DIGITS: Final = 6

# Crockford's base32 without I, L, O and U (https://www.crockford.com/base32.html).
CODE_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH: Final = 12
CODE_GROUP: Final = 4
BITS_PER_CHAR: Final = 5  # 32 symbols
CODE_BITS: Final = CODE_LENGTH * BITS_PER_CHAR  # 60 bits: guessing one live code is hopeless
# Letters people type for digits they read (Crockford's decoding rules).
_CONFUSABLES: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")


def format_reference(year: int, sequence: int) -> str:
    """``(2026, 123)`` → ``MH-2026-000123``; longer than 6 digits once the year passes 999,999."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    if sequence < 1:
        raise ValueError(f"sequence must be positive: {sequence}")
    return f"{REFERENCE_PREFIX}-{year:04d}-{sequence:0{REFERENCE_MIN_DIGITS}d}"


def _group(code: str) -> str:
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def new_verification_code(randbits: Callable[[int], int] = secrets.randbits) -> str:
    """A fresh code of 60 random bits, e.g. ``7QK3-M9XA-2HDT``."""
    value = randbits(CODE_BITS)
    if not 0 <= value < 1 << CODE_BITS:
        raise ValueError("randbits returned a value outside the requested range")
    chars = []
    for _ in range(CODE_LENGTH):
        value, index = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return _group("".join(reversed(chars)))


def normalise_verification_code(text: str) -> str:
    """What a person typed (``7qk3 m9xa 2hdt``, ``7QK3M9XA2HDO``) → ``7QK3-M9XA-2HD0``."""
    compact = _SEPARATORS.sub("", (text or "").upper()).translate(_CONFUSABLES)
    if len(compact) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in compact):
        raise InvalidValue("verification_code.format", text)
    return _group(compact)


def canonical_json(snapshot: Mapping[str, Any]) -> bytes:
    """The one byte form of a snapshot: UTF-8, keys sorted, no spaces, no NaN or Infinity."""
    return json.dumps(
        snapshot,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def snapshot_sha256(snapshot: Mapping[str, Any]) -> str:
    """Hex SHA-256 of ``canonical_json(snapshot)``: what the receipt and the verify page show."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()
