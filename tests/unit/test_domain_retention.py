"""Retention periods (portal.domain.retention): the cut-off day, sealed months, the settings."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain.retention import (
    RetentionPeriods,
    cutoff_day,
    month_is_sealed,
    problems,
)
from portal.settings import ConfigError, load_settings

TODAY = date(2026, 11, 28)
D = date


@pytest.mark.parametrize(
    ("days", "cutoff"),
    [
        (730, D(2024, 11, 28)),  # a record that ended that day is still inside its period
        (1, D(2026, 11, 27)),
        (2557, D(2019, 11, 28)),
    ],
)
def test_cutoff_day(days: int, cutoff: date) -> None:
    assert cutoff_day(TODAY, days) == cutoff


PERIODS = RetentionPeriods(730, 2557, 730, 365, 30, 30, 90, 180, 1)


@pytest.mark.parametrize(
    ("month", "sealed"),
    [
        (D(2026, 11, 1), False),
        (D(2024, 12, 1), False),
        (D(2024, 11, 1), True),  # its first days may be purged already
        (D(2020, 1, 1), True),
    ],
)
def test_month_is_sealed(month: date, sealed: bool) -> None:
    assert month_is_sealed(month, TODAY, PERIODS) is sealed


def test_defaults_are_usable_and_the_audit_floor_is_refused() -> None:
    settings = load_settings(environ={})
    assert problems(settings) == []
    assert RetentionPeriods.from_settings(settings).audit_event == 365
    assert any("at least 365" in p for p in problems({**settings, "RETENTION_AUDIT_DAYS": 364}))
    assert problems({**settings, "RETENTION_SESSION_DAYS": 0})
    with pytest.raises(ConfigError, match="RETENTION_AUDIT_DAYS"):
        load_settings(environ={"PORTAL_RETENTION_AUDIT_DAYS": "100"})
    with pytest.raises(ConfigError, match="RETENTION_FLAG_DAYS"):
        load_settings({"RETENTION_FLAG_DAYS": -1}, environ={})
