"""Small-number protection for published statistics (domain layer).

docs/rules.md §3.3: public statistics suppress counts below 5. Every count below ``THRESHOLD``
(zero included) is shown as "<5" (primary suppression). A count can also be *sensitive* whatever
its size: the occupants of an area with fewer than three occupied addresses could be one
address's total, so they are hidden too (shown "x" when 5 or more). Hiding those alone is not
enough when a total is published: the total minus the shown cells gives the hidden one back. So
within a group of cells that add up to a published total, more cells are hidden (secondary
suppression, shown as "x") until no hidden cell has only one value consistent with everything
that is shown; when the group runs out of cells, the total is hidden too — or, for a breakdown
whose total is published elsewhere and must stay, the breakdown is not published at all.

What someone can tell about a hidden cell: a "<5" cell is one of ``floor``…4, an "x" cell is at
least 5, and the hidden cells add up to the total minus the shown cells. ``floor`` is 0 for a
table that lists every unit (every municipality), but 1 for a table that lists only the units
with occupancy (the postcode areas): there a "<5" is 1…4; the addresses of a unit whose
occupants are 5 or more are at least 1 too. Addresses and occupants of one unit are hidden
together (``protect_together``): occupants are at least the addresses, so a shown one would
bound the hidden other. ``feasible_ranges`` works out the interval each hidden cell can still
take; a cell is safe when that interval holds more than one value. docs/statistics-disclosure.md
writes the whole model down, and tests/integration/test_statistics_disclosure.py attacks it with
an integer program over every published table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

# docs/rules.md §3.3: suppress counts below 5.
THRESHOLD = 5
BELOW = "<5"
HIDDEN = "x"


@dataclass(frozen=True)
class DisclosureRules:
    """The rules beyond "nothing below 5" (docs/statistics-disclosure.md).

    ``min_addresses``: an area or municipality with fewer occupied addresses than this has its
    occupants hidden (they could be one address's total). ``listed_floor``: what an outsider
    knows of a "<5" in a table that lists only units with occupancy (at least 1), and of the
    addresses of a unit with 5 or more occupants. ``together``: a unit's addresses and
    occupants are hidden together. ``RULES_OFF`` is the rule set without any of them (the
    protection before issue 21), kept to show in tests what they prevent."""

    min_addresses: int = 3
    listed_floor: int = 1
    together: bool = True

    def few_addresses(self, addresses: int) -> bool:
        return addresses < self.min_addresses


RULES_OFF = DisclosureRules(min_addresses=0, listed_floor=0, together=False)


@dataclass(frozen=True)
class Cell:
    """A count as published: its value stays inside; ``shown`` is what leaves the portal.

    ``sensitive``: hidden whatever its size (it may be one address's figure); ``suppressed``:
    hidden to protect another cell; ``floor``: the least value an outsider knows it has (1 for a
    listed area, or for the addresses of a unit whose occupants are known to be there)."""

    value: int
    suppressed: bool = False
    sensitive: bool = False
    floor: int = 0

    @property
    def primary(self) -> bool:
        """Hidden for its own sake: below the threshold, or sensitive."""
        return self.value < THRESHOLD or self.sensitive

    @property
    def shown(self) -> int | str:
        """The number, "<5" for a small count, "x" for a count of 5 or more that is hidden
        (sensitive, or to protect another)."""
        if self.value < THRESHOLD:
            return BELOW
        return HIDDEN if self.hidden else self.value

    @property
    def hidden(self) -> bool:
        return self.suppressed or self.primary


@dataclass(frozen=True)
class Protected:
    """A group of cells and its total, after primary and secondary suppression."""

    cells: tuple[Cell, ...]
    total: Cell

    @property
    def hidden(self) -> set[int]:
        return {i for i, cell in enumerate(self.cells) if cell.hidden}


def _range(cell: Cell, total: int | None) -> tuple[int, int | None]:
    """What its symbol tells about a hidden cell: "<5" is ``floor``…4, "x" is 5 or more."""
    if cell.value < THRESHOLD:
        return (cell.floor, THRESHOLD - 1)
    return (max(THRESHOLD, cell.floor), total)


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


def protect(
    values: Sequence[int],
    total: int | None = None,
    *,
    floors: Sequence[int] = (),
    sensitive: Sequence[bool] = (),
) -> Protected:
    """Suppress a group of counts that add up to ``total`` (their sum when not given).

    Hides every count below 5 and every sensitive one, then the smallest shown counts one by one
    while a hidden one can be recovered from the total (knowing each cell is at least its
    ``floors`` entry, 0 when not given); hides the total when nothing else is left.
    """
    grand = sum(values) if total is None else total
    flags = list(sensitive) or [False] * len(values)
    least = list(floors) or [0] * len(values)
    cells = [Cell(v, sensitive=s, floor=f) for v, s, f in zip(values, flags, least, strict=True)]
    order = sorted(range(len(cells)), key=lambda i: (cells[i].value, i))
    while recoverable(cells, grand):
        candidates = [i for i in order if not cells[i].hidden]
        if not candidates:
            return Protected(tuple(cells), Cell(grand, suppressed=True))
        first = candidates[0]
        cells[first] = replace(cells[first], suppressed=True)
    return Protected(tuple(cells), Cell(grand))


def protect_together(
    values: Mapping[str, Sequence[int]],
    totals: Mapping[str, int | None],
    *,
    floors: Mapping[str, Sequence[int]],
    sensitive: Mapping[str, Sequence[bool]],
) -> dict[str, Protected]:
    """Protect linked measures of the same units (addresses and their occupants) so that a unit
    hides both or neither: a shown figure beside a hidden one bounds it (occupants are at least
    the addresses). Each measure is protected on its own, then every unit hidden in one measure
    is made sensitive in all, until nothing changes (hiding more cells of a sum never narrows
    what the others can be)."""
    forced: set[int] = set()
    while True:
        result = {
            measure: protect(
                numbers,
                totals[measure],
                floors=floors[measure],
                sensitive=[s or i in forced for i, s in enumerate(sensitive[measure])],
            )
            for measure, numbers in values.items()
        }
        hidden = set().union(*(p.hidden for p in result.values()))
        if hidden <= forced:
            return result
        forced |= hidden


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
