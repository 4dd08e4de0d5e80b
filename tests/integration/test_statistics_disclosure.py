"""The open statistics against an outsider who knows everything that is published.

The attacker of docs/statistics-disclosure.md: every published table (per municipality for every
final month, per postcode area), their totals, that every listed area has at least one occupied
address and one occupant, that occupants are at least the occupied addresses (and none without
any), and that "<5" means 0…4 ("1…4" for a listed area) and "x" means 5 or more. The attack is an
integer program over all of it (scipy.optimize.milp, HiGHS), written from the published output
alone: for every hidden cell it asks the least and the greatest value consistent with all of it.
A cell is *pinned* when both are the same; a *single address's total* is out when the occupants
of a unit are known exactly while its occupied addresses can only be 1.

On a generated data set with the rules on, the attack pins nothing; with the rules off
(``RULES_OFF``: no minimum of addresses, "<5" of a listed area taken as 0…4) it does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from flask import Flask
from scipy.optimize import Bounds, LinearConstraint, milp

from portal import clock
from portal.domain.statistics import RULES_OFF, DisclosureRules
from portal.extensions import db
from portal.models import MonthlyStatistic, Municipality
from portal.services.statistics import (
    AREA_MEASURES,
    OPEN_MEASURES,
    OpenStatistics,
    open_statistics,
)

MONTHS = [date(2026, 1, 1), date(2026, 2, 1)]
PUBLISHED_ON = datetime(2026, 5, 10, 10, tzinfo=UTC)
BIG = 100_000


# Two municipalities shaped as the review found them: a big area beside a one-address area
# (5 + 1 addresses: "x" + "<5" = 6 leaves only 5 + 1 once a listed "<5" is known to be ≥ 1), and
# a single address with 9 occupants.
SHAPED = [[(5, 11), (1, 2)], [(1, 9)]]


def _generate(rng: random.Random, municipalities: list[Municipality]) -> list[dict[str, Any]]:
    """Monthly rows: per municipality 0–5 postcode areas, each with 1–7 occupied addresses of
    1–6 occupants (many small areas, some empty municipalities), and the municipality rows as
    their sums, with a few open flags and late filings; the first municipalities as ``SHAPED``."""
    rows: list[dict[str, Any]] = []
    for month in MONTHS:
        for number, municipality in enumerate(municipalities):
            if number < len(SHAPED):
                plan = SHAPED[number]
            else:
                plan = []
                for _a in range(rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 5])):
                    addresses = rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 7])
                    plan.append((addresses, sum(rng.randint(1, 6) for _ in range(addresses))))
            whole = {"addresses_occupied": 0, "occupants": 0}
            for a, (addresses, occupants) in enumerate(plan):
                whole["addresses_occupied"] += addresses
                whole["occupants"] += occupants
                rows.append(
                    _stat(municipality, month, f"{1000 + 10 * number + a}", addresses, occupants)
                )
            flags = rng.randint(0, min(9, whole["addresses_occupied"]))
            late = rng.randint(0, 8)
            rows.append(
                _stat(
                    municipality,
                    month,
                    "",
                    whole["addresses_occupied"],
                    whole["occupants"],
                    open_flags=flags,
                    late_filings=late,
                )
            )
    return rows


def _stat(
    municipality: Municipality, month: date, area: str, addresses: int, occupants: int, **more: int
) -> dict[str, Any]:
    return {
        "municipality_id": municipality.id,
        "month": month,
        "postcode_area": area,
        "as_of": month,
        "addresses_occupied": addresses,
        "occupants": occupants,
        "occupants_brp_known": 0,
        "occupants_brp_registered": 0,
        "open_flags": more.get("open_flags", 0),
        "open_flags_by_reason": "{}",
        "flags_closed": 0,
        "median_days_to_close": None,
        "filings": 0,
        "late_filings": more.get("late_filings", 0),
        "refreshed_at": PUBLISHED_ON,
    }


@dataclass
class Attack:
    """An integer program over everything published: one variable per figure."""

    index: dict[tuple[Any, ...], int] = field(default_factory=dict)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rows: list[dict[int, float]] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    hidden: list[tuple[Any, ...]] = field(default_factory=list)
    exact_occupants: list[tuple[Any, ...]] = field(default_factory=list)

    def figure(self, key: tuple[Any, ...], shown: object, floor: int) -> int:
        """A published figure: a number is itself, "<5" is floor…4, "x" is 5 or more."""
        if key in self.index:
            raise AssertionError(f"{key} published twice")
        self.index[key] = len(self.lower)
        if shown == "<5":
            bounds = (floor, 4)
        elif shown == "x":
            bounds = (5, BIG)
        else:
            value = int(str(shown))
            bounds = (value, value)
        if bounds[0] != bounds[1]:
            self.hidden.append(key)
        self.lower.append(bounds[0])
        self.upper.append(bounds[1])
        return self.index[key]

    def constrain(self, terms: dict[int, float], low: float, high: float) -> None:
        self.rows.append(terms)
        self.row_lower.append(low)
        self.row_upper.append(high)

    def at_least_as_many_occupants(self, unit: tuple[Any, ...]) -> None:
        """Occupants ≥ occupied addresses, and no occupants without an occupied address."""
        addresses, occupants = (
            self.index[(*unit, "addresses_occupied")],
            self.index[(*unit, "occupants")],
        )
        self.constrain({occupants: 1, addresses: -1}, 0, np.inf)
        self.constrain({occupants: 1, addresses: -BIG}, -np.inf, 0)

    def extreme(self, key: tuple[Any, ...], sign: int) -> int:
        n = len(self.lower)
        matrix = np.zeros((len(self.rows), n))
        for r, terms in enumerate(self.rows):
            for column, coefficient in terms.items():
                matrix[r, column] = coefficient
        cost = np.zeros(n)
        cost[self.index[key]] = sign
        result = milp(
            cost,
            integrality=np.ones(n),
            bounds=Bounds(self.lower, self.upper),
            constraints=[LinearConstraint(matrix, self.row_lower, self.row_upper)],
        )
        assert result.status == 0, (key, result.message)  # the truth is always feasible
        return round(sign * result.fun)


def build_attack(published: list[OpenStatistics]) -> Attack:
    """The integer program of an outsider holding every published table."""
    attack = Attack()
    for table in published:
        level = table.level
        for total in table.totals:
            for measure in OPEN_MEASURES:
                key = ("total", total["month"], measure)
                if key not in attack.index:
                    attack.figure(key, total[measure], 0)
        for row in table.rows:
            if level == "municipality":
                unit = ("m", row["month"], row["municipality_code"])
                for measure in OPEN_MEASURES:
                    attack.figure((*unit, measure), row[measure], 0)
                attack.at_least_as_many_occupants(unit)
            else:
                unit = ("a", row["month"], row["municipality_code"], row["postcode_area"])
                for measure in AREA_MEASURES:
                    # A listed area has occupancy: a "<5" there is 1…4.
                    attack.figure((*unit, measure), row[measure], 1)
                attack.at_least_as_many_occupants(unit)
    # The municipalities add up to the totals; the listed areas of a municipality to its row.
    for key, column in list(attack.index.items()):
        if key[0] == "total":
            _kind, month, measure = key
            parts = {
                c: 1.0
                for k, c in attack.index.items()
                if k[0] == "m" and k[1:2] == (month,) and k[3] == measure
            }
            attack.constrain({**parts, column: -1.0}, 0, 0)
    for key, column in list(attack.index.items()):
        if key[0] == "m" and key[3] in AREA_MEASURES:
            _kind, month, code, measure = key
            parts = {
                c: 1.0
                for k, c in attack.index.items()
                if k[0] == "a" and k[1] == month and k[2] == code and k[4] == measure
            }
            if parts:  # a municipality's areas are listed all or none
                attack.constrain({**parts, column: -1.0}, 0, 0)
    for key in attack.index:
        if key[-1] == "occupants" and key[0] in ("m", "a"):
            attack.exact_occupants.append(key[:-1])
    return attack


@dataclass(frozen=True)
class Outcome:
    hidden: int
    pinned: list[tuple[Any, ...]]
    single_address_totals: list[tuple[Any, ...]]


def run_attack(published: list[OpenStatistics], truth: dict[tuple[Any, ...], int]) -> Outcome:
    """``truth``: the real number of occupied addresses of each unit (the attacker does not
    have it; it tells which exactly known occupants are one address's)."""
    attack = build_attack(published)
    pinned = []
    for key in attack.hidden:
        if attack.extreme(key, 1) == attack.extreme(key, -1):
            pinned.append(key)
    single = []
    for unit in attack.exact_occupants:
        occupants = (*unit, "occupants")
        known = occupants not in attack.hidden or occupants in pinned
        if known and truth[unit] == 1:
            single.append(unit)
    return Outcome(len(attack.hidden), pinned, single)


Publish = Callable[[DisclosureRules], tuple[list[OpenStatistics], dict[tuple[Any, ...], int]]]


@pytest.fixture
def published_data(app: Flask, make_municipality: Callable[..., Municipality]) -> Publish:
    municipalities = [make_municipality(f"GM{9000 + n:04d}", f"Gemeente {n}") for n in range(14)]
    rows = _generate(random.Random(2026), municipalities)
    codes = {m.id: m.code for m in municipalities}
    truth: dict[tuple[Any, ...], int] = {}
    for row in rows:
        month, code = row["month"].strftime("%Y-%m"), codes[row["municipality_id"]]
        unit = (
            ("a", month, code, row["postcode_area"]) if row["postcode_area"] else ("m", month, code)
        )
        truth[unit] = row["addresses_occupied"]
    with app.app_context():
        db.session.execute(MonthlyStatistic.__table__.insert(), rows)
        db.session.commit()

    def publish(rules: DisclosureRules) -> tuple[list[OpenStatistics], dict[tuple[Any, ...], int]]:
        with app.app_context(), clock.freeze(PUBLISHED_ON):
            tables = [open_statistics(MONTHS, "municipality", rules)]
            tables += [open_statistics([month], "postcode", rules) for month in MONTHS]
            return tables, truth

    return publish


def test_the_attack_pins_nothing_with_the_rules_on(published_data: Publish) -> None:
    tables, truth = published_data(DisclosureRules())
    assert any(t.level == "postcode" and t.rows for t in tables), "no area is published at all"
    outcome = run_attack(tables, truth)
    print(f"\nrules on: {outcome.hidden} hidden cells, {len(outcome.pinned)} pinned")
    assert outcome.hidden > 50
    assert outcome.pinned == []
    assert outcome.single_address_totals == []


def test_the_attack_pins_cells_with_the_rules_off(published_data: Publish) -> None:
    outcome = run_attack(*published_data(RULES_OFF))
    print(
        f"\nrules off: {outcome.hidden} hidden cells, {len(outcome.pinned)} pinned, "
        f"{len(outcome.single_address_totals)} single-address totals"
    )
    assert outcome.pinned, "the attack is too weak to show anything"
    assert outcome.single_address_totals
