"""Entries of an unregistered address (domain layer): when do two organisations disagree?

An address the register lacks is entered by hand, by every organisation that declares there. The
portal keeps one address row per postcode and number (+ letter, addition); the street, town and
municipality each organisation typed are kept as entered. Two entries agree when they name the
same municipality and the same street and town, read without differences of case, accents or
spacing only ("Oude  gracht" is "oude gracht"); otherwise a municipal admin decides.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """What an entry says the address is: its street, town and municipality (id)."""

    street: str
    town: str
    municipality_id: int


def _key(name: str) -> str:
    """A place name as compared: case, spacing and accents ignored."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def disagree(first: Place, other: Place) -> bool:
    """Whether ``other`` names another street, town or municipality than ``first``."""
    return bool(differences(first, other))


def differences(first: Place, other: Place) -> tuple[str, ...]:
    """Which of ``street``, ``town``, ``municipality`` differ (for the queue and the audit)."""
    found = []
    if _key(first.street) != _key(other.street):
        found.append("street")
    if _key(first.town) != _key(other.town):
        found.append("town")
    if first.municipality_id != other.municipality_id:
        found.append("municipality")
    return tuple(found)
