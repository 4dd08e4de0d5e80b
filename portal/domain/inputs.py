"""What a typed number and a typed text may hold, wherever they come in (domain layer: pure).

One rule each, used by the web forms, the API and the CSV parsers alike:

- ``parse_whole_number``: ASCII digits 0–9 only. Python's ``int`` (and so WTForms'
  ``IntegerField``) also reads "٣" (Arabic-Indic), "３" (full width), "1_000", "+5" and
  surrounding spaces of any kind, and ``\\d`` in a pattern matches every Unicode digit; a number
  field that took them would store a value the person never saw typed.
- ``clean_text``: NFC (a precomposed "é" whether typed as one character or as "e" + accent), and
  no format characters (Unicode category Cf: the bidirectional controls such as U+202E RIGHT-TO-LEFT
  OVERRIDE, the zero-width space, joiner and non-joiner, the byte-order mark, the soft hyphen).
  They are invisible, so a street "Dorpsstraat" could hide a second spelling of itself, and a
  direction override shows "Dorpsstraat 12" as something else. Control characters other than
  whitespace, and lone surrogates (a JSON ``"\\ud800"``, which no database can store), are refused
  too.
"""

from __future__ import annotations

import re
import unicodedata

from portal.domain.errors import InvalidValue

_WHOLE_NUMBER = re.compile(r"(-?)([0-9]+)")


def parse_whole_number(
    raw: str, code: str = "number.format", *, signed: bool = False, max_digits: int = 9
) -> int:
    """The number written in ``raw`` (spaces around it ignored): ASCII digits, at most
    ``max_digits``, a leading ``-`` only when ``signed``; else InvalidValue(``code``)."""
    match = _WHOLE_NUMBER.fullmatch(raw.strip())
    if match is None or (match[1] and not signed) or len(match[2]) > max_digits:
        raise InvalidValue(code, raw)
    return int(match[0])


def clean_text(raw: str) -> str:
    """``raw`` in NFC; InvalidValue('text.invisible') when it holds a format character (Cf),
    'field.control_character' for a control character that is not whitespace or a lone
    surrogate."""
    text = unicodedata.normalize("NFC", raw)
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":
            raise InvalidValue("text.invisible", raw)
        if category == "Cs" or (category == "Cc" and not char.isspace()):
            raise InvalidValue("field.control_character", raw)
    return text


DISPLAY_NAME_MAX_LENGTH = 120  # users.display_name


def display_name(raw: str | None) -> str | None:
    """A person's name as pages show it: clean text (``clean_text``) with its whitespace
    collapsed; None when nothing is left (the pages then show the email address);
    InvalidValue('display_name.too_long') beyond 120 characters."""
    text = " ".join(clean_text(raw or "").split())
    if not text:
        return None
    if len(text) > DISPLAY_NAME_MAX_LENGTH:
        raise InvalidValue("display_name.too_long", raw)
    return text
