"""The one address resolution (domain.address.resolve_unit), table-driven: which unit at a house
number the input names, with a letter or addition not given (None) or given as none ("")."""

from __future__ import annotations

import pytest

from portal.domain.address import UnitMatch, resolve_unit

PLAIN, A, B, A1 = ("", ""), ("A", ""), ("B", ""), ("A", "1")


@pytest.mark.parametrize(
    ("units", "letter", "addition", "expected"),
    [
        # Neither given: the input leaves the unit open.
        ([PLAIN, A], None, None, UnitMatch("choose")),
        ([A], None, None, UnitMatch("found", 0)),
        ([A, A], None, None, UnitMatch("found", 0)),  # a repeated unit is still one unit
        ([], None, None, UnitMatch("not_found")),
        # Given (as none, or a value): exactly that unit, or not found — never a guess.
        ([PLAIN, A], "", "", UnitMatch("found", 0)),
        ([A, PLAIN], "", None, UnitMatch("found", 1)),
        ([A, PLAIN], None, "", UnitMatch("found", 1)),
        ([A, B], "", "", UnitMatch("not_found")),
        ([A], "", "", UnitMatch("not_found")),
        ([PLAIN, A], "A", "", UnitMatch("found", 1)),
        ([PLAIN, A, A1], "A", None, UnitMatch("found", 1)),
        ([PLAIN, A, A1], "A", "1", UnitMatch("found", 2)),
        ([PLAIN, A], "B", None, UnitMatch("not_found")),
        ([PLAIN, A, PLAIN], "", "", UnitMatch("found", 0)),  # the first (preferred) of repeats
        ([], "", "", UnitMatch("not_found")),
    ],
)
def test_resolve_unit(
    units: list[tuple[str, str]], letter: str | None, addition: str | None, expected: UnitMatch
) -> None:
    assert resolve_unit(units, letter, addition) == expected
