"""The daily re-evaluation: flags open, escalate and resolve as dates pass, and only then.

A flag shows the high findings in force on the day it is judged for; a finding that starts later
is on the receipt at filing time and reaches the flag when ``reevaluate`` runs for its date.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Declaration,
    Flag,
    MunicipalPolicy,
    Organisation,
    Permit,
    User,
)
from portal.models.flag import OPEN_STATUSES
from portal.services import reevaluation
from portal.services.declarations import amend_declaration, end_declaration, file_declaration
from portal.services.reevaluation import ReevaluationReport, reevaluate

TODAY = date(2026, 3, 2)
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
        yield


@pytest.fixture
def place(
    ctx: Flask,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_address: Callable[..., Any],
) -> dict[str, Any]:
    return {
        "a": make_user("declarant", org=make_org(name="Flexwerk")),
        "b": make_user("declarant", org=make_org(name="Westland Personeel")),
        # 100 m² dwelling: area limit floor(100/12) = 8; without a permit at most 4
        "address": make_address("3511 AB", 12, floor_area=100),
    }


def _user(user: Any) -> User:
    return db.session.get(User, user.id)  # type: ignore[return-value]


def _file(user: Any, address: Any, occupants: int, start: date = TODAY, **kw: Any) -> Declaration:
    data = DeclarationInput(
        occupants=occupants,
        start_date=start,
        end_date=kw.get("end"),
        separate_contracts=True,
    )
    result = file_declaration(_user(user), data, address_id=address.id)
    db.session.commit()
    return result.declaration


def _permit(address: Any, maximum: int, until: date | None) -> None:
    db.session.add(
        Permit(
            address_id=address.id,
            municipality_id=address.municipality_id,
            permit_type="omzettingsvergunning",
            max_occupants=maximum,
            valid_from=TODAY - timedelta(days=100),
            valid_until=until,
        )
    )
    db.session.commit()


def _run(day: date, everything: bool = False) -> ReevaluationReport:
    report = reevaluate(day, everything=everything)
    db.session.commit()
    return report


def _changes(report: ReevaluationReport) -> tuple[int, int, int]:
    return (report.opened, report.updated, report.resolved)


def _open_flag(address: Any) -> Flag | None:
    return db.session.execute(
        select(Flag).where(Flag.address_id == address.id, Flag.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()


def test_declaration_starting_tomorrow_opens_the_flag_tomorrow_not_today(place: dict) -> None:
    address = place["address"]
    _permit(address, 10, None)  # the area (8) is the limit
    _file(place["a"], address, 5)
    filed = file_declaration(
        _user(place["b"]),
        DeclarationInput(occupants=4, start_date=TOMORROW, separate_contracts=True),
        address_id=address.id,
    )
    db.session.commit()
    # The declarant sees it on the receipt; nobody is over the limit yet, so no flag.
    over = next(f for f in filed.findings if f.code == "over_limit")
    assert (over.start, over.occupants, over.limit) == (TOMORROW, 9, 8)
    assert _open_flag(address) is None

    today = _run(TODAY)
    assert address.id in reevaluation.candidate_addresses(TOMORROW)
    assert _changes(today) == (0, 0, 0)
    assert _open_flag(address) is None

    tomorrow = _run(TOMORROW)
    assert _changes(tomorrow) == (1, 0, 0)
    assert tomorrow.changed_address_ids == [address.id]
    flag = _open_flag(address)
    assert flag is not None
    assert (flag.reasons, flag.occupants, flag.limit, flag.rule) == (
        "over_limit",
        9,
        8,
        "area_dwelling",
    )
    assert (flag.period_start, flag.over_by) == (TOMORROW, 1)


def test_an_over_limit_address_escalates_when_more_occupants_arrive(place: dict) -> None:
    address = place["address"]
    _permit(address, 10, None)
    _file(place["a"], address, 9)
    _file(place["b"], address, 3, start=TOMORROW)
    flag = _open_flag(address)
    assert flag is not None and flag.occupants == 9  # today's total, not next week's

    assert _changes(_run(TOMORROW)) == (0, 1, 0)
    db.session.refresh(flag)
    assert (flag.occupants, flag.over_by) == (12, 4)


def test_permit_ending_opens_a_flag_the_day_after_it_expires(place: dict) -> None:
    address = place["address"]
    until = TODAY + timedelta(days=20)
    _permit(address, 8, until)
    _file(place["a"], address, 6)  # fine with the permit; above the no-permit threshold of 4
    assert _open_flag(address) is None

    # 90 days before the end the permit_expiring warning starts: judged, nothing to flag.
    warning = _run(until - timedelta(days=90))
    assert warning.candidates == 1 and _changes(warning) == (0, 0, 0)

    assert _changes(_run(until)) == (0, 0, 0)
    assert _open_flag(address) is None
    report = _run(until + timedelta(days=1))
    assert _changes(report) == (1, 0, 0)
    flag = _open_flag(address)
    assert flag is not None
    assert (flag.reasons, flag.limit, flag.rule) == ("permit_required", 4, "no_permit_threshold")
    assert flag.period_start == until + timedelta(days=1)


def test_a_stricter_policy_opens_a_flag_on_the_date_it_takes_effect(place: dict) -> None:
    address = place["address"]
    _permit(address, 10, None)
    _file(place["a"], address, 7)  # 7 ≤ floor(100/12) = 8
    starts = TODAY + timedelta(days=10)
    db.session.add(
        MunicipalPolicy(
            municipality_id=address.municipality_id,
            effective_from=starts,
            m2_per_person_dwelling=15,  # SNF 2025 new-build norm: floor(100/15) = 6
            m2_per_person_lodging=10,
            no_permit_max_occupants=4,
            late_after_days=3,
        )
    )
    db.session.commit()

    assert _changes(_run(starts - timedelta(days=1))) == (0, 0, 0)
    report = _run(starts)
    assert (report.candidates, _changes(report)) == (1, (1, 0, 0))
    flag = _open_flag(address)
    assert flag is not None
    assert (flag.reasons, flag.occupants, flag.limit) == ("over_limit", 7, 6)


def test_a_policy_set_after_the_days_run_is_picked_up_the_next_day(place: dict) -> None:
    address = place["address"]
    _permit(address, 10, None)
    _file(place["a"], address, 7)
    assert _changes(_run(TODAY)) == (0, 0, 0)  # this morning's run
    db.session.add(  # later that day a municipal admin sets a policy from today
        MunicipalPolicy(
            municipality_id=address.municipality_id,
            effective_from=TODAY,
            m2_per_person_dwelling=15,
            m2_per_person_lodging=10,
            no_permit_max_occupants=4,
            late_after_days=3,
        )
    )
    db.session.commit()
    report = _run(TOMORROW)
    assert (report.candidates, _changes(report)) == (1, (1, 0, 0))


def test_an_ending_declaration_resolves_the_flag_once_its_last_day_has_passed(
    place: dict,
) -> None:
    address = place["address"]
    declaration = _file(place["a"], address, 9, start=TODAY - timedelta(days=2))
    assert _open_flag(address) is not None
    last_day = TODAY + timedelta(days=5)
    end_declaration(_user(place["a"]), declaration, last_day, "employment_ended")
    db.session.commit()
    flag = _open_flag(address)
    assert flag is not None and flag.period_end == last_day

    assert _changes(_run(last_day)) == (0, 0, 0)
    report = _run(last_day + timedelta(days=1))
    assert _changes(report) == (0, 0, 1)
    db.session.refresh(flag)
    assert (flag.status, flag.outcome) == ("resolved", "no_longer_applies")


def test_an_amendment_lowering_the_count_resolves_the_flag_from_its_date(place: dict) -> None:
    address = place["address"]
    declaration = _file(place["a"], address, 9)
    amend_declaration(_user(place["a"]), declaration, 3, TODAY + timedelta(days=3))
    db.session.commit()
    assert _open_flag(address) is not None  # 9 until the amendment takes over

    assert _changes(_run(TODAY + timedelta(days=2))) == (0, 0, 0)
    assert _changes(_run(TODAY + timedelta(days=3))) == (0, 0, 1)
    assert _open_flag(address) is None


def test_running_twice_for_the_same_day_changes_nothing(
    place: dict, make_address: Callable[..., Any]
) -> None:
    opening = place["address"]
    _permit(opening, 10, None)
    _file(place["a"], opening, 5)
    _file(place["b"], opening, 4, start=TOMORROW)
    escalating = make_address("3511 AC", 14, floor_area=100)
    _permit(escalating, 10, None)
    _file(place["a"], escalating, 9)
    _file(place["b"], escalating, 2, start=TOMORROW)
    resolving = make_address("3511 AD", 16, floor_area=100)
    _file(place["a"], resolving, 9, end=TODAY)

    first = _run(TOMORROW)
    assert _changes(first) == (1, 1, 1)
    audit_events = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    stamps = sorted((f.id, f.updated_at) for f in db.session.execute(select(Flag)).scalars())

    second = _run(TOMORROW)
    assert second.candidates == first.candidates
    assert _changes(second) == (0, 0, 0)
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == (
        audit_events
    )
    db.session.expire_all()
    assert sorted((f.id, f.updated_at) for f in db.session.execute(select(Flag)).scalars()) == (
        stamps
    )


def _declare_without_judging(address: Any, organisation: Any, occupants: int) -> None:
    """A declaration stored as an import might store it: no flag written at the time."""
    db.session.add(
        Declaration(
            reference=f"MH-2026-{address.id:07d}",
            kind="new",
            organisation_id=organisation.id,
            address_id=address.id,
            municipality_id=address.municipality_id,
            occupants=occupants,
            start_date=TODAY - timedelta(days=30),
            separate_contracts=True,
        )
    )
    db.session.commit()


def test_all_judges_every_address_with_occupancy_the_daily_run_skips_quiet_ones(
    place: dict, make_address: Callable[..., Any]
) -> None:
    organisation = db.session.get(Organisation, place["a"].organisation_id)
    quiet_over = place["address"]
    quiet_fine = make_address("3511 AC", 14, floor_area=100)
    _declare_without_judging(quiet_over, organisation, 9)
    _declare_without_judging(quiet_fine, organisation, 2)
    empty = make_address("3511 AD", 16, floor_area=100)

    daily = _run(TODAY)
    assert (daily.candidates, _changes(daily)) == (0, (0, 0, 0))

    everything = _run(TODAY, everything=True)
    assert (everything.candidates, everything.evaluated) == (2, 2)
    assert _changes(everything) == (1, 0, 0)
    assert _open_flag(quiet_over) is not None
    assert _open_flag(quiet_fine) is None and _open_flag(empty) is None
    assert _changes(_run(TODAY, everything=True)) == (0, 0, 0)


def test_a_filing_committed_during_the_run_is_not_overwritten(
    app: Flask, place: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The changing addresses are locked and judged again on fresh rows before writing.

    Sabotage (checked by hand): make ``_write`` sync on the first pass's evaluation and this
    run opens a flag for 9 occupants although the declarant had already lowered it to 6.
    """
    address = place["address"]
    _permit(address, 10, None)
    _file(place["a"], address, 5)
    later = _file(place["b"], address, 4, start=TOMORROW)
    original = reevaluation._write
    errors: list[BaseException] = []

    def amend_elsewhere() -> None:
        try:
            with app.app_context():
                amend_declaration(
                    _user(place["b"]), db.session.get(Declaration, later.id), 1, TOMORROW
                )
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    def write_after_a_concurrent_filing(*args: Any) -> None:
        thread = threading.Thread(target=amend_elsewhere)
        thread.start()
        thread.join(timeout=30)
        original(*args)

    monkeypatch.setattr(reevaluation, "_write", write_after_a_concurrent_filing)
    report = _run(TOMORROW)
    assert errors == []
    assert _changes(report) == (0, 0, 0)
    assert _open_flag(address) is None


def test_cli_reevaluates_the_given_date_and_commits(app: Flask, runner: Any, place: dict) -> None:
    address = place["address"]
    _permit(address, 10, None)
    _file(place["a"], address, 5)
    _file(place["b"], address, 4, start=TOMORROW)

    result = runner.invoke(args=["flags", "reevaluate"])  # today (the frozen clock's)
    assert result.exit_code == 0, result.output
    assert "re-evaluated 2026-03-02 (changing addresses): 1 candidates, 1 evaluated" in (
        result.output
    )
    assert "flags opened 0, updated 0, resolved 0" in result.output

    result = runner.invoke(args=["flags", "reevaluate", "--date", TOMORROW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "re-evaluated 2026-03-03 (changing addresses)" in result.output
    assert "flags opened 1, updated 0, resolved 0" in result.output
    with app.app_context():  # committed by the command: another session sees it
        assert db.session.execute(select(Flag.address_id)).scalars().all() == [address.id]

    result = runner.invoke(args=["flags", "reevaluate", "--date", TOMORROW.isoformat(), "--all"])
    assert result.exit_code == 0, result.output
    assert "(all addresses): 1 candidates, 1 evaluated; flags opened 0, updated 0" in (
        result.output
    )


def test_the_job_and_a_filing_agree_on_the_flag(place: dict) -> None:
    """Re-evaluating right after a filing finds nothing to change: one rule, one set of inputs."""
    address = place["address"]
    _file(place["a"], address, 6, start=TODAY - timedelta(days=10))
    _file(place["b"], address, 5, end=TODAY + timedelta(days=30))
    assert _open_flag(address) is not None
    assert _changes(_run(TODAY, everything=True)) == (0, 0, 0)
