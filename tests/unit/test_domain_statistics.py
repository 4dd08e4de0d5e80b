"""Small-number protection: primary and secondary suppression of published counts."""

from __future__ import annotations

import itertools

import pytest

from portal.domain.statistics import (
    BELOW,
    HIDDEN,
    Cell,
    feasible_ranges,
    median,
    protect,
    protect_together,
    recoverable,
)


def attack(shown: list[int | str], total: int | str) -> dict[int, set[int]]:
    """What an outsider can tell: for each hidden position, every value consistent with the
    published cells and total ("<5" is 0…4, "x" is 5 or more). Brute force, independent of the
    code under test."""
    if not isinstance(total, int):
        return {i: set(range(0, 100)) for i, s in enumerate(shown) if not isinstance(s, int)}
    hidden = [i for i, s in enumerate(shown) if not isinstance(s, int)]
    rest = total - sum(s for s in shown if isinstance(s, int))
    choices = [range(0, 5) if shown[i] == BELOW else range(5, rest + 1) for i in hidden]
    possible: dict[int, set[int]] = {i: set() for i in hidden}
    for combo in itertools.product(*choices):
        if sum(combo) == rest:
            for i, v in zip(hidden, combo, strict=True):
                possible[i].add(v)
    return possible


GROUPS = [
    pytest.param([3, 10, 12], id="one-small-cell-needs-a-partner"),
    pytest.param([0, 7, 9], id="zero-is-small-too"),
    pytest.param([4, 4, 20], id="two-fours-are-recoverable-together"),
    pytest.param([1, 2, 30, 40], id="two-small-cells-protect-each-other"),
    pytest.param([2, 6], id="two-cells-one-small"),
    pytest.param([3], id="single-small-cell-hides-the-total"),
    pytest.param([4, 4], id="two-fours-alone-hide-the-total"),
    pytest.param([0, 0, 0], id="all-zero"),
    pytest.param([5, 6, 7], id="nothing-small"),
    pytest.param([2, 5, 5, 5], id="ties-in-the-smallest-shown"),
    pytest.param([1, 1, 1, 1, 100], id="many-small-cells"),
]


@pytest.mark.parametrize("values", GROUPS)
def test_no_hidden_cell_can_be_recovered_from_the_total(values: list[int]) -> None:
    result = protect(values)
    shown = [c.shown for c in result.cells]
    assert all(s in (BELOW, HIDDEN) or (isinstance(s, int) and s >= 5) for s in shown)
    for i, possible in attack(shown, result.total.shown).items():
        assert values[i] in possible
        assert len(possible) > 1, f"cell {i} recovered: {shown} total {result.total.shown}"


@pytest.mark.parametrize("values", GROUPS)
def test_no_published_number_is_below_five(values: list[int]) -> None:
    result = protect(values)
    for cell in (*result.cells, result.total):
        assert cell.shown == BELOW or cell.shown == HIDDEN or int(cell.shown) >= 5


def test_primary_suppression_alone_would_let_the_attack_succeed() -> None:
    # The attack is real: hiding only the small cell, the total gives it back.
    naive = [BELOW, 10, 12]
    assert attack(naive, 25) == {0: {3}}
    assert recoverable([Cell(3), Cell(10), Cell(12)], 25)


@pytest.mark.parametrize(
    ("values", "shown", "total"),
    [
        pytest.param([3, 10, 12], [BELOW, HIDDEN, 12], 25, id="partner-is-the-smallest-shown"),
        pytest.param([1, 2, 30, 40], [BELOW, BELOW, 30, 40], 73, id="no-partner-needed"),
        pytest.param([5, 6, 7], [5, 6, 7], 18, id="untouched"),
        pytest.param([3], [BELOW], BELOW, id="small-total-is-below-five"),
        pytest.param([4, 4], [BELOW, BELOW], HIDDEN, id="total-hidden-for-two-fours"),
    ],
)
def test_what_is_published(values: list[int], shown: list[object], total: object) -> None:
    result = protect(values)
    assert [c.shown for c in result.cells] == shown
    assert result.total.shown == total


def test_feasible_ranges_of_a_hidden_pair() -> None:
    cells = [Cell(3), Cell(10, suppressed=True), Cell(12)]
    assert feasible_ranges(cells, 25) == [(0, 4), (9, 13)]
    assert feasible_ranges(cells, None) == [(0, 4), (5, None)]


def test_a_group_whose_total_must_stay_can_be_withheld_instead() -> None:
    assert protect([4, 4], 8).total.suppressed
    assert not protect([3, 9], 12).total.suppressed
    assert [c.shown for c in protect([3, 9, 20], 32).cells] == [BELOW, HIDDEN, 20]


@pytest.mark.parametrize(
    ("values", "floors", "shown"),
    [
        # Anyone may be 0…4: the "<5" of 2 has 0…1 left beside the hidden 5 — safe.
        pytest.param([5, 1], [0, 0], None, id="floor-0-a-pair-is-safe"),
        # A listed area has at least 1: "x" + "<5" = 6 leaves only 5 + 1 — no breakdown.
        pytest.param([5, 1], [1, 1], "total hidden", id="floor-1-the-pair-is-pinned"),
        pytest.param([5, 2, 9], [1, 1, 1], [HIDDEN, BELOW, 9], id="floor-1-room-to-spare"),
    ],
)
def test_what_an_outsider_knows_of_a_listed_cell(
    values: list[int], floors: list[int], shown: object
) -> None:
    result = protect(values, sum(values), floors=floors)
    if shown == "total hidden":
        assert result.total.suppressed
    elif shown is None:
        assert not result.total.suppressed
    else:
        assert [c.shown for c in result.cells] == shown
    for lo, hi in feasible_ranges(result.cells, None if result.total.suppressed else sum(values)):
        assert hi is None or lo < hi


def test_sensitive_cells_are_hidden_whatever_their_size() -> None:
    result = protect([9, 30, 40], sensitive=[True, False, False])
    assert [c.shown for c in result.cells] == [HIDDEN, HIDDEN, 40]


def test_linked_measures_hide_a_unit_in_both_or_neither() -> None:
    """Addresses 1 and 6 with occupants 9 and 20: the occupants of the one-address unit are
    sensitive; its addresses are hidden anyway (<5), and the other unit's figures follow so
    that neither can be worked out from the totals."""
    result = protect_together(
        {"addresses": [1, 6], "occupants": [9, 20]},
        {"addresses": 7, "occupants": 29},
        floors={"addresses": [1, 1], "occupants": [0, 0]},
        sensitive={"addresses": [False, False], "occupants": [True, False]},
    )
    hidden = {measure: p.hidden for measure, p in result.items()}
    assert hidden["addresses"] == hidden["occupants"]
    assert all(
        p.total.suppressed or not recoverable(p.cells, p.total.value) for p in result.values()
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([3.0], 3.0), ([1.0, 9.0], 5.0), ([7.0, 1.0, 3.0], 3.0)],
)
def test_median(values: list[float], expected: float | None) -> None:
    assert median(values) == expected
