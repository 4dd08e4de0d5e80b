"""Every text of the portal has a Dutch translation (Dutch is the default language).

The messages are extracted from the source and templates the same way ``make extract-messages``
does, so a new untranslated text fails this test until the Dutch catalogue has it.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "portal" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
METHODS = [
    ("portal/**.py", "python"),
    ("portal/templates/**.html", "jinja2"),
    ("portal/templates/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str]:
    """Every msgid in the source; a plural is keyed by its singular, as in the catalogue."""
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=dict(KEYWORDS), options_map={}
    ):
        singular = message[0] if isinstance(message, tuple) else message
        if singular:
            found.add(singular)
    return found


def _catalogue() -> dict[str, Message]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="nl")
    return {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in catalog if m.id}


def _strings(entry: Message) -> tuple[str, ...]:
    return tuple(entry.string) if isinstance(entry.string, (tuple, list)) else (entry.string,)


def test_every_message_has_a_dutch_translation() -> None:
    catalogue = _catalogue()
    missing = [
        text
        for text in sorted(_source_messages())
        if text not in catalogue or catalogue[text].fuzzy or not all(_strings(catalogue[text]))
    ]
    assert missing == [], f"{len(missing)} texts lack a Dutch translation: {missing[:10]}"


def test_translations_keep_their_placeholders() -> None:
    wrong = [
        msgid
        for msgid, entry in _catalogue().items()
        for string in _strings(entry)
        if string and set(PLACEHOLDER.findall(string)) != set(PLACEHOLDER.findall(msgid))
    ]
    assert wrong == []
