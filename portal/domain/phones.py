"""An organisation's phone number, checked loosely (domain layer).

Inspectors call the organisations that house people at an address, so the number must be
dialable, but the portal does not police its layout: spaces, dashes, dots, a slash and brackets
may be typed anywhere. Accepted (docs/rules.md §2.6):

- a Dutch number: 10 digits starting with 0 (``030 123 4567``, ``06-12345678``), or a service
  number 0800/0900/0906/0909 with 8 to 11 digits;
- an international number: ``+`` or ``00`` and then 8 to 15 digits (E.164 allows 15).

Stored as typed, with runs of spaces made one and the ends trimmed.
"""

from __future__ import annotations

import re

from portal.domain.errors import InvalidValue
from portal.domain.inputs import clean_text

MAX_LENGTH = 30
_LAYOUT = re.compile(r"[\s\-./()]")
_SERVICE = ("0800", "0900", "0906", "0909")


def normalise_phone(raw: str) -> str:
    """The phone number to store, or ``""`` for none; ``InvalidValue("phone.format")`` when it
    is no phone number."""
    text = " ".join(clean_text(raw or "").split())
    if not text:
        return ""
    if len(text) > MAX_LENGTH:
        raise InvalidValue("phone.format", raw)
    bare = _LAYOUT.sub("", text)
    if bare.startswith("+"):
        digits = bare[1:]
        ok = digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 15
    elif bare.startswith("00"):
        digits = bare[2:]
        ok = digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 15
    elif bare.startswith(_SERVICE):
        ok = bare.isdigit() and bare.isascii() and 8 <= len(bare) <= 11
    else:
        ok = bare.isdigit() and bare.isascii() and bare.startswith("0") and len(bare) == 10
    if not ok:
        raise InvalidValue("phone.format", raw)
    return text
