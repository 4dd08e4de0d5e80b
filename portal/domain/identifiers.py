"""Organisation and municipality identifiers (domain layer).

KvK number: 8 digits, no check digit (docs/rules.md §2.4). Municipality: CBS code ``GM`` + 4 digits;
BAG's ``gemeentecode`` is the same four digits (docs/rules.md §2.3).
"""

from __future__ import annotations

import re

from portal.domain.errors import InvalidValue
from portal.domain.inputs import clean_text

_KVK = re.compile(r"^[0-9]{8}$")
_GM = re.compile(r"^GM[0-9]{4}$")
_GEMEENTECODE = re.compile(r"^[0-9]{1,4}$")
_SNF = re.compile(r"^[A-Za-z0-9-]{1,20}$")


def normalise_kvk(raw: str) -> str:
    """``12 34 56 78`` or ``12.34.56.78`` → ``12345678`` (ASCII digits; an invisible character
    is named as such, ``inputs.clean_text``)."""
    text = re.sub(r"[\s.]", "", clean_text(raw or ""))
    if not text:
        raise InvalidValue("kvk.required", raw)
    if not _KVK.match(text):
        raise InvalidValue("kvk.format", raw)
    return text


def normalise_municipality_code(raw: str) -> str:
    """``GM0344``, ``gm0344``, ``0344`` or ``344`` → ``GM0344``."""
    text = (raw or "").strip().upper()
    if _GEMEENTECODE.match(text):
        text = "GM" + text.zfill(4)
    if not _GM.match(text):
        raise InvalidValue("municipality_code.format", raw)
    return text


def normalise_snf_number(raw: str | None) -> str:
    """Optional SNF registration number: letters, digits and dashes, at most 20."""
    text = (raw or "").strip()
    if not text:
        return ""
    if not _SNF.match(text):
        raise InvalidValue("snf.format", raw)
    return text.upper()


def normalise_email(raw: str) -> str:
    """A syntactically valid address, normalised and lower-cased (no DNS look-up)."""
    from email_validator import EmailNotValidError, validate_email

    text = (raw or "").strip()
    if not text:
        raise InvalidValue("email.required", raw)
    if len(text) > 254:
        raise InvalidValue("email.format", raw)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue("email.format", raw) from exc
    return str(result.normalized).lower()
