"""The inspectors' search box: how a typed query is read (domain layer).

Pure functions, no database. ``street_key`` is the normalised form of a street name the register
stores beside the name (``addresses.street_key``, filled by every import and by migration 0012),
so a prefix search is one index range on PostgreSQL and SQLite alike, without ``unaccent`` or
``lower()`` in SQL: accents dropped, lower case, punctuation as spaces, and the abbreviation
"St." (or a lone "st" before another word) written out as "sint" (docs/rules.md §2.6). The query
goes through the same function, so "Sint Jansstraat", "St. Jansstraat" and "st jans" meet.

``read_query`` splits a query into the things it may mean — a postcode with or without a house
number, a BAG id, a KvK number, a declaration reference, a flag number, a street prefix with or
without a trailing house number, and words of an organisation name — and the service searches
each of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A Dutch postcode: 4 digits (not starting with 0) and 2 letters, with or without a space.
_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
_POSTCODE_NUMBER = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})\s+([0-9]{1,5})\s*([A-Za-z]?)$")
# A street followed by a house number (and an optional letter): "oudegr 13", "Oudegracht 13a".
_STREET_NUMBER = re.compile(r"^(.*?\D)\s+([0-9]{1,5})\s*([A-Za-z]?)$")
_BAG_ID = re.compile(r"^[0-9]{16}$")
_KVK = re.compile(r"^[0-9]{8}$")
# A receipt's reference, e.g. MH-2026-000123 (portal.domain.receipt_codes); lower case is fine.
_REFERENCE = re.compile(r"^MH-?[0-9]{4}-?[0-9]{1,9}$", re.IGNORECASE)
# A flag number: digits, with or without "#" or the word signaal/signal before it.
_FLAG = re.compile(r"^(?:#|signaal\s*|signal\s*)?([0-9]{1,9})$", re.IGNORECASE)
_ST_DOT = re.compile(r"\bst\.\s*")
_NOT_WORD = re.compile(r"[^0-9a-z]+")

# Shortest street prefix searched: one or two letters would match half a town.
MIN_STREET_PREFIX = 3
# Longest query read; anything longer is cut (a search box, not a document).
MAX_QUERY_LENGTH = 100


def fold(text: str) -> str:
    """Lower case without accents: ``"Één Ĳsselstraße"`` → ``"een ijsselstrasse"``."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold()


def street_key(street: str) -> str:
    """The stored, searchable form of a street name (and of a typed street).

    ``"St. Jacobsstraat"`` → ``"sint jacobsstraat"``; ``"Sint-Jacobsstraat"`` → the same;
    ``"'s-Gravenweg"`` → ``"s gravenweg"``; ``"Oudegracht"`` → ``"oudegracht"``.
    """
    text = _ST_DOT.sub("sint ", fold(street))
    words = _NOT_WORD.sub(" ", text).split()
    # A lone "st" before another word is the abbreviation too ("St Jansstraat"); as the last
    # word it may be the start of a longer word being typed ("st" → Stationsstraat), so it stays.
    words = ["sint" if w == "st" and i < len(words) - 1 else w for i, w in enumerate(words)]
    return " ".join(words)


def prefix_end(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix`` (for a range scan
    ``prefix <= key < prefix_end``); ``prefix`` is a non-empty ``street_key``."""
    return prefix + "\U0010ffff"


def postcode_shape(raw: str) -> str | None:
    """``"3511ab"`` or ``"3511 AB"`` → ``"3511 AB"`` (the register's form); None when not a
    postcode."""
    match = _POSTCODE.match((raw or "").strip())
    return f"{match.group(1)} {match.group(2).upper()}" if match else None


@dataclass(frozen=True)
class Query:
    """What a search box query may mean; every field that is set is searched."""

    text: str
    postcode: str | None = None  # "3511 AB"
    house_number: int | None = None  # with a postcode or a street
    house_letter: str = ""  # "A", with a house number
    street_prefix: str = ""  # a street_key prefix
    bag_id: str | None = None  # 16 digits: nummeraanduiding or verblijfsobject
    kvk: str | None = None  # 8 digits
    reference: str | None = None  # "MH-2026-000123"
    flag_id: int | None = None
    name: str = ""  # words of an organisation name, folded

    @property
    def empty(self) -> bool:
        return not self.text


def _reference(raw: str) -> str | None:
    compact = raw.replace(" ", "")
    if not _REFERENCE.match(compact):
        return None
    digits = re.sub(r"[^0-9]", "", compact)
    year, number = digits[:4], digits[4:]
    return f"MH-{year}-{number.zfill(6)}"


def read_query(raw: str) -> Query:
    """Read a typed query (table-driven tests: tests/unit/test_search_rules.py).

    - ``"3511AB"``, ``"3511 ab"``: a postcode; ``"3511AB 13"``: postcode and house number;
    - ``"oudegr"``: a street prefix (at least 3 letters); ``"oudegr 13"``: street and number;
    - 16 digits: a BAG id; 8 digits: a KvK number (and an organisation); other digits: a flag
      number (also ``"#12"``, ``"signaal 12"``);
    - ``"MH-2026-000123"`` (case, dashes and leading zeros free): a declaration reference;
    - anything with letters is also an organisation name to look for.
    """
    text = " ".join(unicodedata.normalize("NFC", raw or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        return Query(text="")
    values: dict[str, object] = {}
    postcode = postcode_shape(text)
    with_number = _POSTCODE_NUMBER.match(text)
    if postcode is not None:
        values["postcode"] = postcode
    elif with_number:
        values["postcode"] = f"{with_number.group(1)} {with_number.group(2).upper()}"
        values["house_number"] = int(with_number.group(3))
        values["house_letter"] = with_number.group(4).upper()
    compact = text.replace(" ", "")
    if _BAG_ID.match(compact):
        values["bag_id"] = compact
    elif _KVK.match(compact):
        values["kvk"] = compact
    else:
        flag = _FLAG.match(text)
        if flag:
            values["flag_id"] = int(flag.group(1))
    reference = _reference(text)
    if reference is not None:
        values["reference"] = reference
    if "postcode" not in values and reference is None and re.search(r"[^\W\d_]", text):
        street_part, number, letter = text, None, ""
        split = _STREET_NUMBER.match(text)
        if split:
            street_part, number, letter = split.group(1), int(split.group(2)), split.group(3)
        key = street_key(street_part)
        if len(key.replace(" ", "")) >= MIN_STREET_PREFIX:
            values["street_prefix"] = key
            if number is not None:
                values["house_number"] = number
                values["house_letter"] = letter.upper()
        name = fold(text)
        if len(name) >= MIN_STREET_PREFIX:
            values["name"] = name
    return Query(text=text, **values)  # type: ignore[arg-type]
