"""The nightly monthly statistics: occupancy in force (amendments and ends supersede), BRP share,
postcode areas, open flags, late filings; the CLI and the daily job refresh them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Address, Declaration, Flag, MonthlyStatistic, Municipality, User
from portal.services.declarations import amend_declaration, end_declaration, file_declaration
from portal.services.statistics import (
    organisations_across,
    refresh_month,
    regional_figures,
)

FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)


def _at(day: date) -> Any:
    return clock.freeze(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


@pytest.fixture
def world(
    app: Flask,
    make_municipality: Callable[..., Municipality],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
) -> dict[str, Any]:
    utrecht = make_municipality("GM0344", "Utrecht")
    amersfoort = make_municipality("GM0307", "Amersfoort")
    user = make_user("declarant")
    a1 = make_address("3511 AB", 1, municipality=utrecht, floor_area=200)
    a2 = make_address("3512 CD", 2, municipality=utrecht, floor_area=200)
    b1 = make_address("3811 AA", 3, municipality=amersfoort, floor_area=60)
    with app.app_context():
        filer = db.session.get(User, user.id)
        with _at(date(2026, 2, 10)):
            first = file_declaration(
                filer,
                DeclarationInput(6, date(2026, 2, 1), None, 4, True),
                address_id=a1.id,
            ).declaration
            second = file_declaration(
                filer, DeclarationInput(3, date(2026, 2, 9), None, None, True), address_id=a2.id
            ).declaration
            # 8 people on 60 m² with no permit: flagged. Filed 9 days after the start: late.
            file_declaration(
                filer, DeclarationInput(8, date(2026, 2, 1), None, 8, True), address_id=b1.id
            )
            db.session.commit()
        with _at(date(2026, 3, 2)):
            amend_declaration(filer, first, 2, date(2026, 3, 1))
            end_declaration(filer, second, date(2026, 2, 28), "returned_home")
            db.session.commit()
    return {"utrecht": utrecht, "amersfoort": amersfoort, "org": user.organisation_id}


def _row(municipality: Municipality, month: date, area: str = "") -> MonthlyStatistic:
    return db.session.execute(
        select(MonthlyStatistic).where(
            MonthlyStatistic.municipality_id == municipality.id,
            MonthlyStatistic.month == month,
            MonthlyStatistic.postcode_area == area,
        )
    ).scalar_one()


def test_february_counts_every_filing_in_force_on_its_last_day(
    ctx: Flask, world: dict[str, Any]
) -> None:
    refresh_month(FEB, date(2026, 3, 10))
    utrecht = _row(world["utrecht"], FEB)
    assert utrecht.as_of == date(2026, 2, 28)
    assert (utrecht.addresses_occupied, utrecht.occupants) == (2, 9)
    # BRP known only for the first filing: 4 of its 6.
    assert (utrecht.occupants_brp_known, utrecht.occupants_brp_registered) == (6, 4)
    assert utrecht.filings == 2
    assert (
        _row(world["utrecht"], FEB, "3511").occupants,
        _row(world["utrecht"], FEB, "3512").occupants,
    ) == (6, 3)
    amersfoort = _row(world["amersfoort"], FEB)
    assert (amersfoort.addresses_occupied, amersfoort.occupants) == (1, 8)
    assert amersfoort.late_filings == 1 and utrecht.late_filings == 1  # a1 filed 9 days late
    flags = (
        db.session.execute(select(Flag).where(Flag.municipality_id == world["amersfoort"].id))
        .scalars()
        .all()
    )
    assert len(flags) == 1 and amersfoort.open_flags == 1
    assert json.loads(amersfoort.open_flags_by_reason) == {r: 1 for r in flags[0].reason_list}


def test_march_sees_the_amendment_and_the_end(ctx: Flask, world: dict[str, Any]) -> None:
    refresh_month(MAR, date(2026, 3, 10))
    utrecht = _row(world["utrecht"], MAR)
    assert utrecht.as_of == date(2026, 3, 10)  # the running month: as of the refresh day
    assert (utrecht.addresses_occupied, utrecht.occupants) == (1, 2)
    assert utrecht.occupants_brp_known == 0  # the amendment states no BRP count
    assert utrecht.filings == 2  # the amendment and the end, filed in March


def test_a_refresh_replaces_the_month(ctx: Flask, world: dict[str, Any]) -> None:
    first = refresh_month(FEB, date(2026, 3, 10))
    again = refresh_month(FEB, date(2026, 3, 10))
    count = db.session.execute(
        select(db.func.count()).select_from(MonthlyStatistic).where(MonthlyStatistic.month == FEB)
    ).scalar_one()
    assert first == again == count


def test_regional_figures_sum_the_municipalities(ctx: Flask, world: dict[str, Any]) -> None:
    refresh_month(FEB, date(2026, 3, 10))
    towns = [
        db.session.get(Municipality, world["utrecht"].id),
        db.session.get(Municipality, world["amersfoort"].id),
    ]
    with _at(date(2026, 3, 10)):
        figures = regional_figures(towns, date(2026, 3, 10))
    feb = figures.months.index(FEB)
    assert figures.region[feb].occupants == 17
    assert figures.region[feb].addresses_occupied == 3
    assert figures.per_municipality[world["utrecht"].id][feb].brp_percent == 67


def test_organisations_across_the_region(ctx: Flask, world: dict[str, Any]) -> None:
    ids = [world["utrecht"].id, world["amersfoort"].id]
    [spread] = organisations_across(ids, date(2026, 2, 20))
    assert (spread.municipalities, spread.addresses, spread.occupants) == (2, 3, 17)
    assert spread.open_flags == 1
    assert organisations_across([world["utrecht"].id], date(2026, 3, 10))[0].occupants == 2


def test_cli_refresh_month_and_bad_month(runner: Any, world: dict[str, Any], app: Flask) -> None:
    with _at(date(2026, 3, 10)):
        result = runner.invoke(args=["statistics", "refresh", "--month", "2026-02"])
        assert result.exit_code == 0, result.output
        assert "statistics rows written: 5" in result.output
        bad = runner.invoke(args=["statistics", "refresh", "--month", "februari"])
        assert bad.exit_code != 0 and "YYYY-MM" in bad.output
    with app.app_context():
        assert (
            db.session.execute(select(db.func.count()).select_from(Declaration)).scalar_one() == 5
        )
