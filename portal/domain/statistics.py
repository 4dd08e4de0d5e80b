"""Small-number protection for published statistics (domain layer).

DOMAIN.md §3.3: public statistics suppress counts below 5. Every count below ``THRESHOLD``
(zero included) is shown as "<5" (primary suppression). Hiding those alone is not enough when a
total is published: the total minus the shown cells gives the hidden one back. So within a group
of cells that add up to a published total, more cells are hidden (secondary suppression, shown as
"x") until no hidden cell has only one value consistent with everything that is shown; when the
group runs out of cells, the total is hidden too — or, for a breakdown whose total is published
elsewhere and must stay, the breakdown is not published at all.

What someone can tell about a hidden cell: a "<5" cell is one of 0…4, an "x" cell is at least 5,
and the hidden cells add up to the total minus the shown cells. ``feasible_ranges`` works out the
interval each hidden cell can still take; a cell is safe when that interval holds more than one
value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# DOMAIN.md §3.3 "suppress cells below 5 addresses/persons".
THRESHOLD = 5
BELOW = "<5"
HIDDEN = "x"


@dataclass(frozen=True)
class Cell:
    """A count as published: its value stays inside; ``shown`` is what leaves the portal."""

    value: int
    suppressed: bool = False

    @property
    def primary(self) -> bool:
        """Hidden because it is below the threshold itself."""
        return self.value < THRESHOLD

    @property
    def shown(self) -> int | str:
        """The number, "<5" for a small count, "x" for a count hidden to protect another."""
        if self.value < THRESHOLD:
            return BELOW
        return HIDDEN if self.suppressed else self.value

    @property
    def hidden(self) -> bool:
        return self.suppressed or self.value < THRESHOLD


@dataclass(frozen=True)
class Protected:
    """A group of cells and its total, after primary and secondary suppression."""

    cells: tuple[Cell, ...]
    total: Cell


def _range(cell: Cell, total: int | None) -> tuple[int, int | None]:
    if cell.primary:
        return (0, THRESHOLD - 1)
    return (THRESHOLD, total)


def feasible_ranges(cells: Sequence[Cell], total: int | None) -> list[tuple[int, int | None]]:
    """For each hidden cell (in order), the values it can take given the shown cells and total.

    ``total`` None means the total is not published: only the "<5" / "≥5" knowledge remains.
    An upper bound of None means unbounded.
    """
    hidden = [c for c in cells if c.hidden]
    if total is None:
        return [_range(c, None) for c in hidden]
    rest = total - sum(c.value for c in cells if not c.hidden)
    own = [(lo, rest if hi is None else hi) for lo, hi in (_range(c, rest) for c in hidden)]
    all_lo = sum(lo for lo, _hi in own)
    all_hi = sum(hi for _lo, hi in own)
    result: list[tuple[int, int | None]] = []
    for lo, hi in own:
        # The others together take between (all_lo - lo) and (all_hi - hi).
        result.append((max(lo, rest - (all_hi - hi)), min(hi, rest - (all_lo - lo))))
    return result


def recoverable(cells: Sequence[Cell], total: int | None) -> bool:
    """True when some hidden cell has exactly one possible value."""
    return any(hi is not None and lo >= hi for lo, hi in feasible_ranges(cells, total))


def protect(values: Sequence[int], total: int | None = None) -> Protected:
    """Suppress a group of counts that add up to ``total`` (their sum when not given).

    Hides every count below 5, then the smallest shown counts one by one while a hidden one can
    be recovered from the total; hides the total when nothing else is left.
    """
    grand = sum(values) if total is None else total
    cells = [Cell(v) for v in values]
    order = sorted(range(len(cells)), key=lambda i: (cells[i].value, i))
    while recoverable(cells, grand):
        candidates = [i for i in order if not cells[i].hidden]
        if not candidates:
            return Protected(tuple(cells), Cell(grand, suppressed=True))
        first = candidates[0]
        cells[first] = Cell(cells[first].value, suppressed=True)
    return Protected(tuple(cells), Cell(grand))


def protect_breakdown(values: Sequence[int], total: int) -> tuple[Cell, ...] | None:
    """A breakdown of a total that is published elsewhere: protected cells, or None when the
    breakdown cannot be published without revealing a small count (the total must stay)."""
    result = protect(values, total)
    if result.total.suppressed:
        return None
    return result.cells


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    if n % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
