"""A refused value, named by a code the interface layers translate (domain layer)."""

from __future__ import annotations

from dataclasses import dataclass


class InvalidValue(ValueError):
    """Raised by a normaliser when a value cannot be accepted; ``code`` says why."""

    def __init__(self, code: str, value: object = None) -> None:
        super().__init__(code)
        self.code = code
        self.value = value


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused: the field and a code such as ``postcode.reserved``."""

    field: str
    code: str
    detail: str = ""

    @classmethod
    def of(cls, field: str, exc: InvalidValue) -> Problem:
        """The problem of a refused value; it keeps the value where the message names it (the
        day of 'date.nonexistent': "31 February 2026 does not exist")."""
        return cls(field, exc.code, str(exc.value) if exc.code in NAMED_VALUES else "")


# Codes whose message names the refused value (``portal.messages.message``'s ``detail``).
NAMED_VALUES = frozenset({"date.nonexistent"})
