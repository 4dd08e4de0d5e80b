"""The flag state machine (portal.domain.flags): every (current, target, outcome) has one answer."""

from __future__ import annotations

import itertools

import pytest

from portal.domain.errors import Problem
from portal.domain.flags import (
    CLOSED_STATUSES,
    FLAG_STATUSES,
    OPEN_STATUSES,
    OUTCOMES,
    TARGET_STATUSES,
    TRANSITIONS,
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
    ("open", "in_behandeling"): ALLOWED,
    ("open", "afgehandeld"): "flag.not_started",
    ("open", "geseponeerd"): "flag.not_started",
    ("open", UNKNOWN): "flag.status_unknown",
    ("in_behandeling", "open"): "flag.status_unknown",
    ("in_behandeling", "in_behandeling"): "flag.transition",
    ("in_behandeling", "afgehandeld"): NEEDS_OUTCOME,
    ("in_behandeling", "geseponeerd"): NEEDS_OUTCOME,
    ("in_behandeling", UNKNOWN): "flag.status_unknown",
    ("afgehandeld", "open"): "flag.status_unknown",
    ("afgehandeld", "in_behandeling"): "flag.closed",
    ("afgehandeld", "afgehandeld"): "flag.closed",
    ("afgehandeld", "geseponeerd"): "flag.closed",
    ("afgehandeld", UNKNOWN): "flag.status_unknown",
    ("geseponeerd", "open"): "flag.status_unknown",
    ("geseponeerd", "in_behandeling"): "flag.closed",
    ("geseponeerd", "afgehandeld"): "flag.closed",
    ("geseponeerd", "geseponeerd"): "flag.closed",
    ("geseponeerd", UNKNOWN): "flag.status_unknown",
    (UNKNOWN, "open"): "flag.status_unknown",
    (UNKNOWN, "in_behandeling"): "flag.transition",
    (UNKNOWN, "afgehandeld"): "flag.transition",
    (UNKNOWN, "geseponeerd"): "flag.transition",
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
    problem = transition_problem("in_behandeling", "afgehandeld", "no_longer_applies")
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
