"""When an alert goes at once, to the digest or not at all (portal.domain.alerts) —
table-driven: per recipient at most one immediate alert per address per 24 hours, unless the
severity level rises or a new reason appears (docs/rules.md §1.9)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain.alerts import (
    ALERT_WINDOW,
    LastAlert,
    Situation,
    decide,
    reason_set,
    severity_level,
)

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
OVER = frozenset({"over_limit"})
BOTH = frozenset({"over_limit", "permit_required"})
SENT = LastAlert(at=T0, severity=1, reasons=OVER, occupants=6)


def _new(
    after: timedelta,
    severity: int = 1,
    reasons: frozenset[str] = OVER,
    occupants: int = 7,
    change: str = "escalated",
) -> Situation:
    return Situation(T0 + after, severity, reasons, occupants, change)


MINUTE = timedelta(minutes=1)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(
    ("last", "new", "expected"),
    [
        # never alerted about this address: a worsening alerts now, an improvement is no news
        (None, _new(MINUTE, change="opened"), "immediate"),
        (None, _new(MINUTE, change="reopened"), "immediate"),
        (None, _new(MINUTE, change="escalated"), "immediate"),
        (None, _new(MINUTE, change="updated"), "nothing"),
        # within 24 hours, same level and reasons, more people: the digest (the flood)
        (SENT, _new(MINUTE), "digest"),
        (SENT, _new(DAY - MINUTE, occupants=40), "digest"),
        (SENT, _new(MINUTE, change="reopened", occupants=7), "digest"),
        (SENT, _new(MINUTE, change="reopened", occupants=5), "digest"),
        # … at 24 hours or later: at once again
        (SENT, _new(DAY), "immediate"),
        (SENT, _new(3 * DAY, change="reopened", occupants=6), "immediate"),
        # the severity level rises: at once, within the 24 hours too
        (SENT, _new(MINUTE, severity=2), "immediate"),
        (SENT, _new(MINUTE, severity=3, change="updated", occupants=6), "immediate"),
        (LastAlert(T0, 2, OVER, 9), _new(MINUTE, severity=3, occupants=12), "immediate"),
        # a new reason: at once
        (SENT, _new(MINUTE, reasons=BOTH), "immediate"),
        (SENT, _new(MINUTE, reasons=frozenset({"non_residential"}), occupants=6), "immediate"),
        (SENT, _new(MINUTE, reasons=BOTH, change="updated", occupants=6), "immediate"),
        # fewer reasons or a lower level is no news by itself
        (LastAlert(T0, 2, BOTH, 9), _new(MINUTE, severity=1, reasons=OVER, occupants=9), "nothing"),
        (LastAlert(T0, 2, BOTH, 9), _new(MINUTE, severity=1, occupants=10), "digest"),
        # the same judgement again (the same evaluation run twice): nothing
        (SENT, _new(MINUTE, occupants=6), "nothing"),
        (SENT, _new(timedelta(0), occupants=6, change="opened"), "nothing"),
        (SENT, _new(DAY - MINUTE, occupants=6, change="reopened"), "nothing"),
        # a total that dropped and climbs back, not above the last alert: nothing
        (LastAlert(T0, 1, OVER, 9), _new(MINUTE, occupants=8), "nothing"),
        (LastAlert(T0, 1, OVER, 9), _new(2 * DAY, occupants=8), "nothing"),
        # an update (fewer people, a reason gone) never alerts on its own
        (SENT, _new(MINUTE, change="updated", occupants=5), "nothing"),
        (SENT, _new(2 * DAY, change="updated", occupants=9), "nothing"),
    ],
)
def test_decide(last: LastAlert | None, new: Situation, expected: str) -> None:
    assert decide(last, new) == expected


def test_the_window_is_24_hours_and_can_be_given() -> None:
    assert timedelta(hours=24) == ALERT_WINDOW
    assert decide(SENT, _new(timedelta(hours=2)), window=timedelta(hours=1)) == "immediate"
    assert decide(SENT, _new(timedelta(hours=2)), window=timedelta(hours=3)) == "digest"


@pytest.mark.parametrize(
    ("ratio", "level"),
    [
        (0.0, 1),  # a high finding without a limit passed (non_residential, permit_required)
        (1.01, 1),
        (1.49, 1),
        (1.5, 2),
        (1.99, 2),
        (2.0, 3),
        (12.5, 3),
        (math.inf, 3),  # a limit of 0
        (math.nan, 1),
    ],
)
def test_severity_level(ratio: float, level: int) -> None:
    assert severity_level(ratio) == level


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ("over_limit,permit_required", BOTH),
        ("permit_required,over_limit", BOTH),
        ("", frozenset()),
        (["over_limit", " over_limit "], OVER),
    ],
)
def test_reason_set(reasons: str | list[str], expected: frozenset[str]) -> None:
    assert reason_set(reasons) == expected
