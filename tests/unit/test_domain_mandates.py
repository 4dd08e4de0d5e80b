"""The mandate rule (portal.domain.mandates): in force on a day, its status, and the checks of a
grant — table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain.errors import Problem
from portal.domain.mandates import MandatePeriod, grant_problems, in_force, status

DAY = date(2026, 12, 8)
BEFORE = date(2026, 12, 7)
AFTER = date(2026, 12, 9)


@pytest.mark.parametrize(
    ("mandate", "day", "expected"),
    [
        # start
        (MandatePeriod(DAY), DAY, True),  # from today
        (MandatePeriod(BEFORE), DAY, True),  # started yesterday, no end
        (MandatePeriod(AFTER), DAY, False),  # starts tomorrow
        # end
        (MandatePeriod(BEFORE, end_on=DAY), DAY, True),  # the end day itself counts
        (MandatePeriod(BEFORE, end_on=AFTER), DAY, True),
        (MandatePeriod(date(2026, 1, 1), end_on=BEFORE), DAY, False),  # ended yesterday
        (MandatePeriod(DAY, end_on=DAY), DAY, True),  # a one-day mandate
        (MandatePeriod(DAY, end_on=DAY), AFTER, False),
        # revocation: at once, for the whole day it is made
        (MandatePeriod(BEFORE, revoked_on=DAY), DAY, False),
        (MandatePeriod(BEFORE, revoked_on=BEFORE), DAY, False),
        (MandatePeriod(BEFORE, revoked_on=AFTER), DAY, True),  # a later revocation: not yet
        (MandatePeriod(date(2026, 1, 1), revoked_on=DAY), BEFORE, True),  # the past stays
        (MandatePeriod(BEFORE, end_on=AFTER, revoked_on=DAY), DAY, False),
        (MandatePeriod(AFTER, revoked_on=BEFORE), AFTER, False),
    ],
)
def test_in_force(mandate: MandatePeriod, day: date, expected: bool) -> None:
    assert in_force(mandate, day) is expected


@pytest.mark.parametrize(
    ("mandate", "expected"),
    [
        (MandatePeriod(BEFORE), "in_force"),
        (MandatePeriod(DAY, end_on=DAY), "in_force"),
        (MandatePeriod(AFTER), "future"),
        (MandatePeriod(date(2026, 1, 1), end_on=BEFORE), "ended"),
        (MandatePeriod(BEFORE, revoked_on=DAY), "revoked"),
        (MandatePeriod(date(2026, 1, 1), end_on=BEFORE, revoked_on=date(2026, 2, 1)), "revoked"),
        (MandatePeriod(AFTER, revoked_on=DAY), "revoked"),
    ],
)
def test_status(mandate: MandatePeriod, expected: str) -> None:
    assert status(mandate, DAY) == expected


@pytest.mark.parametrize(
    ("grantee", "start", "end", "expected"),
    [
        ("90000022", DAY, None, []),
        ("90000022", BEFORE, AFTER, []),
        ("90000022", AFTER, AFTER, []),
        ("90000022", date(2025, 12, 7), None, []),  # 366 days back: allowed
        ("90000022", date(2025, 12, 6), None, [Problem("start_on", "date.too_early")]),
        ("90000011", DAY, None, [Problem("kvk", "mandate.self")]),
        ("90000022", None, None, [Problem("start_on", "start_date.required")]),
        ("90000022", AFTER, DAY, [Problem("end_on", "end_date.before_start")]),
        ("90000022", date(2026, 1, 1), BEFORE, [Problem("end_on", "mandate.end_in_past")]),
        (
            "90000011",
            None,
            BEFORE,
            [
                Problem("kvk", "mandate.self"),
                Problem("start_on", "start_date.required"),
                Problem("end_on", "mandate.end_in_past"),
            ],
        ),
    ],
)
def test_grant_problems(
    grantee: str, start: date | None, end: date | None, expected: list[Problem]
) -> None:
    assert grant_problems("90000011", grantee, start, end, DAY) == expected
