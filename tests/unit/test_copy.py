"""Copy review (issue 23, item 5): known mistakes in the portal's texts stay out.

One register ("u hebt", never "u heeft"), plain headings and field messages after the NL Design
System and GOV.UK guidance, one term for the municipal decision's reference. Checked over every
Dutch translation (the msgstrs of messages.po, continuation lines joined) and every template,
e-mails included (raw text, whitespace collapsed, so a phrase broken over two lines is found too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "portal" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ROOT / "portal" / "templates"

# (pattern, why it is refused) — case-insensitive, over Dutch texts and templates.
FORBIDDEN: list[tuple[str, str]] = [
    (r"\bu heeft\b", 'the register is "u hebt"'),
    (r"\bde gemeente antwoorden\b", 'wrong grammar: "Antwoord aan de gemeente"'),
    (r"\buit de lijst\b", 'radio buttons and check boxes are no list: "Kies …"'),
    (r"\?\s*:", "a question followed by a colon"),
    (r"\bbesluitnummer", 'one term for the decision: "kenmerk van het besluit"'),
    (r"\btyp de datum als\b", "a date picker is not typed as text"),
    (r"\bpeel en maas\b", "a municipality is no source of a national default"),
    (r"\btoezichthouder", 'one term for the role: "inspecteur" (docs/glossary.md)'),
]
# The same mistakes in the English msgids.
FORBIDDEN_ENGLISH: list[tuple[str, str]] = [
    (r"\bfrom the list\b", 'radio buttons and check boxes are no list: "Choose …"'),
    (r"\?\s*:", "a question followed by a colon"),
    (r"\bdecision number\b", 'one term: "decision reference"'),
    (r"\bpeel en maas\b", "a municipality is no source of a national default"),
]


def _strings(value: object) -> list[str]:
    if isinstance(value, (tuple, list)):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def dutch_texts() -> dict[str, str]:
    """Every msgstr of messages.po (named by its msgid) and every template (named by its path)."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    texts = {}
    for entry in catalog:
        for n, text in enumerate(_strings(entry.string)):
            texts[f"msgstr of {entry.id!r} [{n}]"] = text
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".txt"):
            texts[str(path.relative_to(ROOT))] = re.sub(r"\s+", " ", path.read_text("utf-8"))
    return texts


def english_texts() -> dict[str, str]:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    return {
        f"msgid {n}": text for entry in catalog for n, text in enumerate(_strings(entry.id)) if text
    }


def offenders(texts: dict[str, str], pattern: str) -> list[str]:
    """``where: 'phrase'`` for each text the pattern finds something in."""
    found = re.compile(pattern, re.IGNORECASE)
    return [
        f"{where}: {match[0]!r}"
        for where, text in texts.items()
        if (match := found.search(text)) is not None
    ]


def test_the_texts_are_read() -> None:
    texts = dutch_texts()
    assert sum(k.startswith("msgstr") for k in texts) > 1000
    assert "portal/templates/base.html" in texts
    assert "portal/templates/email/permit_reminder.txt" in texts
    # A phrase split over two lines of messages.po is joined.
    assert any("u hebt gevraagd dit portaal te gebruiken" in t for t in texts.values())


@pytest.mark.parametrize(("pattern", "why"), FORBIDDEN, ids=[p for p, _ in FORBIDDEN])
def test_no_known_mistake_in_dutch(pattern: str, why: str) -> None:
    assert offenders(dutch_texts(), pattern) == [], why


@pytest.mark.parametrize(
    ("pattern", "why"), FORBIDDEN_ENGLISH, ids=[p for p, _ in FORBIDDEN_ENGLISH]
)
def test_no_known_mistake_in_english(pattern: str, why: str) -> None:
    assert offenders(english_texts(), pattern) == [], why


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Meld het aan de gemeente die u heeft gevraagd", FORBIDDEN[0][0]),
        ("De gemeente antwoorden", FORBIDDEN[1][0]),
        ("Kies een status uit de lijst.", FORBIDDEN[2][0]),
        ("Zijn het aparte documenten?: Kies ja of nee.", FORBIDDEN[3][0]),
        ("Besluitnummer:", FORBIDDEN[4][0]),
        ("Typ de datum als dag-maand-jaar", FORBIDDEN[5][0]),
        ("3 dagen (meldtermijn van Peel en Maas)", FORBIDDEN[6][0]),
        ("Kies een toezichthouder van uw eigen gemeente.", FORBIDDEN[7][0]),
    ],
)
def test_each_pattern_catches_its_mistake(text: str, pattern: str) -> None:
    assert len(offenders({"example": text}, pattern)) == 1


def test_the_register_pattern_leaves_other_words_alone() -> None:
    assert offenders({"x": "Uw gemeente heeft al een vergunning; u hebt"}, FORBIDDEN[0][0]) == []


def test_plurals_that_differ_in_dutch_are_plural() -> None:
    """Each plural msgstr[1] of these differs from msgstr[0] ("gebeurtenis" was used for both)."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    for singular in ("%(num)s event", "%(count)s event"):
        entry = catalog[singular]
        assert entry is not None, singular
        one, many = entry.string
        assert (one.split()[-1], many.split()[-1]) == ("gebeurtenis", "gebeurtenissen"), singular
