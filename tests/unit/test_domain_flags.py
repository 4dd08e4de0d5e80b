"""The flag state machine (portal.domain.flags): every (current, target, outcome) has one answer."""

from __future__ import annotations

import itertools

import pytest

from portal.domain.errors import Problem
from portal.domain.flags import (
    CLOSED_STATUSES,
    FLAG_STATUSES,
    LEGACY_STATUSES,
    OPEN_STATUSES,
    OUTCOMES,
    TARGET_STATUSES,
    TRANSITIONS,
    from_legacy,
    is_closed,
    is_open,
    transition_problem,
)

UNKNOWN = "bogus"
CURRENTS = (*FLAG_STATUSES, UNKNOWN)
TARGETS = (*FLAG_STATUSES, UNKNOWN)
OUTCOME_VALUES = (*OUTCOMES, None, "", UNKNOWN)
# The outcomes an inspector may close with (written out: the table is the specification).
INSPECTOR_OUTCOMES = {"compliant", "warning", "enforcement_started", "unfounded"}

# (current, target) → the problem code whatever the outcome, or NEEDS_OUTCOME: allowed with an
# inspector's outcome, "flag.outcome_required" (on the outcome field) without one.
NEEDS_OUTCOME = "needs outcome"
ALLOWED = None
ANSWERS: dict[tuple[str, str], str | None] = {
    ("open", "open"): "flag.status_unknown",
    ("open", "in_progress"): ALLOWED,
    ("open", "resolved"): "flag.not_started",
    ("open", "dismissed"): "flag.not_started",
    ("open", UNKNOWN): "flag.status_unknown",
    ("in_progress", "open"): "flag.status_unknown",
    ("in_progress", "in_progress"): "flag.transition",
    ("in_progress", "resolved"): NEEDS_OUTCOME,
    ("in_progress", "dismissed"): NEEDS_OUTCOME,
    ("in_progress", UNKNOWN): "flag.status_unknown",
    ("resolved", "open"): "flag.status_unknown",
    ("resolved", "in_progress"): "flag.closed",
    ("resolved", "resolved"): "flag.closed",
    ("resolved", "dismissed"): "flag.closed",
    ("resolved", UNKNOWN): "flag.status_unknown",
    ("dismissed", "open"): "flag.status_unknown",
    ("dismissed", "in_progress"): "flag.closed",
    ("dismissed", "resolved"): "flag.closed",
    ("dismissed", "dismissed"): "flag.closed",
    ("dismissed", UNKNOWN): "flag.status_unknown",
    (UNKNOWN, "open"): "flag.status_unknown",
    (UNKNOWN, "in_progress"): "flag.transition",
    (UNKNOWN, "resolved"): "flag.transition",
    (UNKNOWN, "dismissed"): "flag.transition",
    (UNKNOWN, UNKNOWN): "flag.status_unknown",
}


def expected(current: str, target: str, outcome: str | None) -> Problem | None:
    answer = ANSWERS[current, target]
    if answer is ALLOWED:
        return None
    if answer == NEEDS_OUTCOME:
        return (
            None if outcome in INSPECTOR_OUTCOMES else Problem("outcome", "flag.outcome_required")
        )
    return Problem("to_status", answer)


def test_the_table_covers_every_pair() -> None:
    assert set(ANSWERS) == set(itertools.product(CURRENTS, TARGETS))


@pytest.mark.parametrize(
    ("current", "target", "outcome"),
    list(itertools.product(CURRENTS, TARGETS, OUTCOME_VALUES)),
    ids=lambda v: repr(v),
)
def test_transition_answer(current: str, target: str, outcome: str | None) -> None:
    assert transition_problem(current, target, outcome) == expected(current, target, outcome)


def test_no_longer_applies_is_not_an_inspectors_outcome() -> None:
    problem = transition_problem("in_progress", "resolved", "no_longer_applies")
    assert problem == Problem("outcome", "flag.outcome_required")


def test_the_statuses_split_into_open_and_closed() -> None:
    assert set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(FLAG_STATUSES)
    assert not set(OPEN_STATUSES) & set(CLOSED_STATUSES)
    assert set(TARGET_STATUSES) == set(FLAG_STATUSES) - {"open"}
    assert all(is_open(s) != is_closed(s) for s in FLAG_STATUSES)
    assert not is_open(UNKNOWN) and not is_closed(UNKNOWN)


def test_every_step_in_the_table_is_allowed_with_an_outcome() -> None:
    for current, targets in TRANSITIONS.items():
        for target in targets:
            assert transition_problem(current, target, "compliant") is None
    assert not set(TRANSITIONS) & set(CLOSED_STATUSES)  # a closed flag never moves


def test_the_old_dutch_values_map_to_the_english_ones() -> None:
    assert dict(LEGACY_STATUSES) == {
        "in_behandeling": "in_progress",
        "afgehandeld": "resolved",
        "geseponeerd": "dismissed",
    }
    assert [from_legacy(s) for s in ("open", "in_behandeling", "afgehandeld", "geseponeerd")] == [
        "open",
        "in_progress",
        "resolved",
        "dismissed",
    ]
    assert from_legacy(UNKNOWN) == UNKNOWN
    assert from_legacy("resolved") == "resolved"
    assert not set(LEGACY_STATUSES) & set(FLAG_STATUSES)
