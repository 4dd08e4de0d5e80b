"""Retention rules (portal.domain.retention): which record is past its period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.domain.retention import (
    ChainMember,
    RetentionPeriods,
    chain_ended_on,
    chain_is_past,
    is_past,
    month_is_sealed,
    outbox_ended_at,
    permit_ended_on,
    problems,
    session_ended_at,
    token_ended_at,
)
from portal.settings import ConfigError, load_settings

TODAY = date(2026, 11, 28)
D = date


@pytest.mark.parametrize(
    ("ended_on", "days", "past"),
    [
        (None, 730, False),
        (D(2024, 11, 28), 730, False),  # exactly 730 days: still inside
        (D(2024, 11, 27), 730, True),
        (D(2026, 11, 27), 1, False),
        (D(2026, 11, 26), 1, True),
        (D(2019, 11, 28), 2557, False),
        (D(2019, 11, 27), 2557, True),
    ],
)
def test_is_past(ended_on: date | None, days: int, past: bool) -> None:
    assert is_past(ended_on, TODAY, days) is past


def M(end: date | None, filed: date, superseded: bool = False) -> ChainMember:
    return ChainMember(end, filed, superseded)


@pytest.mark.parametrize(
    ("members", "ended", "past"),
    [
        # a single filing without an end runs on
        ([M(None, D(2020, 1, 1))], None, False),
        # a single filing with an end, filed long before
        ([M(D(2024, 1, 1), D(2023, 1, 1))], D(2024, 1, 1), True),
        # an end filed late: the period runs from the filing day
        ([M(D(2024, 1, 1), D(2025, 6, 1))], D(2025, 6, 1), False),
        # original open-ended, superseded by an end: the end counts
        ([M(None, D(2022, 1, 1), True), M(D(2024, 11, 1), D(2024, 11, 2))], D(2024, 11, 2), True),
        # amended and the amendment still runs: the whole chain stays
        ([M(D(2023, 1, 1), D(2022, 1, 1), True), M(None, D(2022, 6, 1))], None, False),
        # the last filing ended inside the period: nothing goes, not even the old original
        (
            [M(D(2020, 1, 1), D(2019, 1, 1), True), M(D(2025, 1, 1), D(2024, 12, 1))],
            D(2025, 1, 1),
            False,
        ),
    ],
)
def test_chain(members: list[ChainMember], ended: date | None, past: bool) -> None:
    assert chain_ended_on(members) == ended
    assert chain_is_past(members, TODAY, 730) is past


@pytest.mark.parametrize(
    ("valid_until", "revoked_on", "created_on", "ended"),
    [
        (None, None, D(2010, 1, 1), None),
        (D(2018, 1, 1), None, D(2010, 1, 1), D(2018, 1, 1)),
        (None, D(2017, 3, 1), D(2010, 1, 1), D(2017, 3, 1)),
        (D(2019, 1, 1), D(2017, 3, 1), D(2010, 1, 1), D(2017, 3, 1)),  # revoked before its end
        (D(2015, 1, 1), None, D(2026, 1, 1), D(2026, 1, 1)),  # imported late
    ],
)
def test_permit_ended_on(
    valid_until: date | None, revoked_on: date | None, created_on: date, ended: date | None
) -> None:
    assert permit_ended_on(valid_until, revoked_on, created_on) == ended


T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("created", "seen", "revoked", "ended"),
    [
        (T0, T0 + H, None, T0 + H + timedelta(minutes=30)),  # idle
        (T0, T0 + 12 * H, None, T0 + 12 * H),  # absolute limit reached while active
        (T0, T0 + H, T0 + H, T0 + H),  # logged out
    ],
)
def test_session_ended_at(
    created: datetime, seen: datetime, revoked: datetime | None, ended: datetime
) -> None:
    assert session_ended_at(created, seen, revoked, timedelta(minutes=30), 12 * H) == ended


@pytest.mark.parametrize(
    ("expires", "used", "ended"),
    [(T0 + H, None, T0 + H), (T0 + H, T0, T0), (T0, T0 + H, T0)],
)
def test_token_ended_at(expires: datetime, used: datetime | None, ended: datetime) -> None:
    assert token_ended_at(expires, used) == ended


@pytest.mark.parametrize(
    ("status", "sent", "ended"),
    [("pending", None, None), ("sent", T0 + H, T0 + H), ("failed", None, T0)],
)
def test_outbox_ended_at(status: str, sent: datetime | None, ended: datetime | None) -> None:
    assert outbox_ended_at(status, sent, T0) == ended


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
