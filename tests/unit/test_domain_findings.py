"""What a finding means for a receipt and for a flag (portal.domain.findings), table by table.

Days are offsets from D0 (``+5`` = five days later), so each row reads as a timeline.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest

from portal.domain.findings import flag_findings, flag_values, overlaps, receipt_findings
from portal.domain.occupancy import RULE_NO_PERMIT, Evaluation, Finding, Limit, Segment

D0 = date(2026, 3, 2)


def day(offset: int | None) -> date | None:
    return None if offset is None else D0 + timedelta(days=offset)


def finding(
    code: str = "over_limit",
    start: int = 0,
    end: int | None = None,
    occupants: int | None = 6,
    limit: int | None = 4,
    severity: str = "high",
    rule: str | None = "area_dwelling",
) -> Finding:
    return Finding(code, severity, day(start), day(end), occupants, limit, rule)  # type: ignore[arg-type]


def segment(start: int, end: int | None, occupants: int) -> Segment:
    return Segment(day(start), day(end), occupants, Limit(4, RULE_NO_PERMIT, None, None, 4))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("finding_days", "period", "expected"),
    [
        ((0, None), (5, None), True),  # open-ended finding, later period
        ((0, 4), (5, None), False),  # finding ended the day before
        ((0, 5), (5, 9), True),  # they share one day
        ((10, None), (5, 9), False),  # finding starts after the period
        ((9, 12), (5, 9), True),  # finding starts on the last day
        ((10, 12), (5, None), True),  # open-ended period
    ],
)
def test_overlaps(
    finding_days: tuple[int, int | None], period: tuple[int, int | None], expected: bool
) -> None:
    f = finding(start=finding_days[0], end=finding_days[1])
    assert overlaps(f, day(period[0]), day(period[1])) is expected  # type: ignore[arg-type]


LATE = finding("late_declaration", 0, None, 3, None, "info", "late")


@pytest.mark.parametrize(
    ("findings", "period", "late", "expected"),
    [
        ([], (0, None), None, []),
        ([], (0, None), LATE, [LATE]),
        (
            [finding(start=0, end=3), finding("near_limit", 5, None, severity="low")],
            (4, None),
            LATE,
            [finding("near_limit", 5, None, severity="low"), LATE],
        ),
        ([finding(start=20)], (0, 10), None, []),  # after the filed period
    ],
)
def test_receipt_findings(
    findings: list[Finding],
    period: tuple[int, int | None],
    late: Finding | None,
    expected: list[Finding],
) -> None:
    assert receipt_findings(findings, day(period[0]), day(period[1]), late) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("findings", "segments", "on", "expected"),
    [
        # nothing high: no flag
        ([finding("near_limit", severity="low")], [segment(0, None, 6)], 0, []),
        # in force on the day, with that day's total
        ([finding(start=0, occupants=9)], [segment(0, 2, 9), segment(3, None, 7)], 3,
         [finding(start=0, occupants=7)]),
        # starts later: on the receipt, not yet on the flag
        ([finding(start=5)], [segment(0, None, 6)], 0, []),
        # ended the day before
        ([finding(start=0, end=2)], [segment(0, None, 6)], 3, []),
        # no segment on the day: the finding's own total stays
        ([finding(start=0, occupants=8)], [], 1, [finding(start=0, occupants=8)]),
    ],
)  # fmt: skip
def test_flag_findings(
    findings: list[Finding], segments: list[Segment], on: int, expected: list[Finding]
) -> None:
    evaluation = Evaluation(tuple(segments), tuple(findings))
    assert flag_findings(evaluation, day(on)) == expected  # type: ignore[arg-type]


PERMIT = finding("permit_required", 0, 30, 5, 4, rule="no_permit")


@pytest.mark.parametrize(
    ("high", "expected"),
    [
        (
            [finding(start=0, end=None, occupants=6, limit=4)],
            {"reasons": "over_limit", "period_start": day(0), "period_end": None, "occupants": 6,
             "limit": 4, "rule": "area_dwelling", "over_by": 2, "over_ratio": 1.5},
        ),
        # over_limit leads even when listed second; the period spans both; the end is the latest
        (
            [PERMIT, finding(start=3, end=40, occupants=7, limit=5)],
            {"reasons": "over_limit,permit_required", "period_start": day(0),
             "period_end": day(40), "occupants": 7, "limit": 5, "rule": "area_dwelling",
             "over_by": 2, "over_ratio": 1.4},
        ),
        # only permit_required: its limit and rule, over by one
        (
            [PERMIT],
            {"reasons": "permit_required", "period_start": day(0), "period_end": day(30),
             "occupants": 5, "limit": 4, "rule": "no_permit", "over_by": 1, "over_ratio": 1.25},
        ),
        # another high finding without numbers: the first one leads, nothing over
        (
            [finding("unverified_address", 2, None, None, None, rule=None)],
            {"reasons": "unverified_address", "period_start": day(2), "period_end": None,
             "occupants": 0, "limit": None, "rule": None, "over_by": 0, "over_ratio": 0.0},
        ),
        # a limit of 0: infinitely over
        (
            [finding(occupants=2, limit=0)],
            {"reasons": "over_limit", "period_start": day(0), "period_end": None, "occupants": 2,
             "limit": 0, "rule": "area_dwelling", "over_by": 2, "over_ratio": math.inf},
        ),
    ],
)  # fmt: skip
def test_flag_values(high: list[Finding], expected: dict[str, Any]) -> None:
    assert flag_values(high) == expected
