"""Which municipal occupancy policy governs a day."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain.policy import OccupancyPolicy, policy_in_force

DEFAULT = OccupancyPolicy(12, 10, 4, 3)
JAN = OccupancyPolicy(13, 11, 5, 3, effective_from=date(2026, 1, 1))
JUL = OccupancyPolicy(15, 12, 4, 2, effective_from=date(2026, 7, 1))
NOV = OccupancyPolicy(16, 12, 3, 1, effective_from=date(2026, 11, 1))
UNDATED = OccupancyPolicy(99, 99, 1, 0)


@pytest.mark.parametrize(
    ("policies", "day", "expected"),
    [
        pytest.param([], date(2026, 5, 1), DEFAULT, id="no-policy-gives-default"),
        pytest.param([JUL], date(2026, 6, 30), DEFAULT, id="before-first-start-gives-default"),
        pytest.param([JUL], date(2026, 7, 1), JUL, id="applies-on-its-start-date"),
        pytest.param([JUL], date(2030, 1, 1), JUL, id="stays-in-force-later"),
        pytest.param([JAN, JUL], date(2026, 6, 30), JAN, id="old-one-before-new-start"),
        pytest.param([JAN, JUL], date(2026, 7, 1), JUL, id="new-one-from-its-start"),
        pytest.param([JUL, JAN], date(2026, 8, 1), JUL, id="order-of-rows-does-not-matter"),
        pytest.param([NOV, JAN, JUL], date(2026, 10, 31), JUL, id="middle-one-between-dates"),
        pytest.param([NOV, JAN, JUL], date(2026, 11, 1), NOV, id="newest-one-from-its-start"),
        pytest.param([UNDATED], date(2026, 5, 1), DEFAULT, id="undated-row-is-ignored"),
        pytest.param([UNDATED, JAN], date(2026, 5, 1), JAN, id="undated-row-never-wins"),
    ],
)
def test_policy_in_force_is_the_latest_that_started_on_or_before_the_day(
    policies: list[OccupancyPolicy], day: date, expected: OccupancyPolicy
) -> None:
    assert policy_in_force(policies, day, DEFAULT) == expected


def test_policy_in_force_accepts_any_iterable() -> None:
    assert policy_in_force(iter([JAN, JUL]), date(2026, 3, 1), DEFAULT) == JAN
