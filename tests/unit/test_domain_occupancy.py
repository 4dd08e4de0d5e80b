"""Occupancy limits and findings for an address over time, summed over every organisation.

Days are written as offsets from TODAY (``+30`` = 30 days from today) so each table row reads as a
timeline. Default policy: 12 m² per person in a dwelling, 10 in lodging, 4 without a permit,
late after 3 days (docs/rules.md §1.8).
"""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date, timedelta
from typing import NamedTuple

import pytest

from portal.domain.occupancy import (
    RULE_AREA_DWELLING,
    RULE_AREA_LODGING,
    RULE_LATE,
    RULE_NO_PERMIT,
    RULE_PERMIT,
    SEVERITY,
    AddressFacts,
    DeclaredOccupancy,
    Evaluation,
    Finding,
    PermitFacts,
    evaluate,
    is_late,
    late_finding,
    limit_on,
    over_by,
    total_on,
)
from portal.domain.policy import OccupancyPolicy

TODAY = date(2026, 3, 2)
DEFAULT = OccupancyPolicy(12, 10, 4, 3)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def declared(
    occupants: int, org: int = 1, start: int = -30, end: int | None = None
) -> DeclaredOccupancy:
    return DeclaredOccupancy(org, occupants, day(start), None if end is None else day(end))


def permit(
    max_occupants: int, start: int = -365, until: int | None = None, *, lodging: bool = True
) -> PermitFacts:
    return PermitFacts(
        max_occupants, day(start), None if until is None else day(until), covers_lodging=lodging
    )


def policy_from(offset: int, m2_dwelling: int = 12, no_permit_max: int = 4) -> OccupancyPolicy:
    return OccupancyPolicy(m2_dwelling, 10, no_permit_max, 3, effective_from=day(offset))


DWELLING = AddressFacts(100, ("woonfunctie",))  # area limit 8 at 12 m²
LODGING = AddressFacts(100, ("logiesfunctie",))  # area limit 10 at 10 m²
WOON_AND_LOGIES = AddressFacts(100, ("logiesfunctie", "woonfunctie"))
LARGE_DWELLING = AddressFacts(200, ("woonfunctie",))  # area limit 16
UNKNOWN_AREA = AddressFacts(None, ("woonfunctie",))
OFFICE = AddressFacts(100, ("kantoorfunctie",))
UNKNOWN_USES = AddressFacts(100, ())
UNVERIFIED = AddressFacts(100, ("woonfunctie",), verified=False)


class F(NamedTuple):
    """A finding as a table row: code, start and end as day offsets, total, limit, rule."""

    code: str
    start: int
    end: int | None
    occupants: int | None
    limit: int | None
    rule: str | None


def rows(evaluation: Evaluation) -> list[F]:
    return [
        F(
            f.code,
            (f.start - TODAY).days,
            None if f.end is None else (f.end - TODAY).days,
            f.occupants,
            f.limit,
            f.rule,
        )
        for f in evaluation.findings
    ]


# --- limit on a day --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "permits", "policy", "value", "rule", "area_limit", "permit_max"),
    [
        pytest.param(DWELLING, [], DEFAULT, 4, RULE_NO_PERMIT, 8, None, id="no-permit-threshold"),
        pytest.param(DWELLING, [permit(6)], DEFAULT, 6, RULE_PERMIT, 8, 6, id="permit-below-area"),
        pytest.param(
            DWELLING, [permit(12)], DEFAULT, 8, RULE_AREA_DWELLING, 8, 12, id="permit-above-area"
        ),
        pytest.param(DWELLING, [permit(8)], DEFAULT, 8, RULE_PERMIT, 8, 8, id="tie-prefers-permit"),
        pytest.param(
            AddressFacts(48, ("woonfunctie",)),
            [],
            DEFAULT,
            4,
            RULE_AREA_DWELLING,
            4,
            None,
            id="tie-prefers-area-over-threshold",
        ),
        pytest.param(
            LODGING, [permit(20)], DEFAULT, 10, RULE_AREA_LODGING, 10, 20, id="lodging-10-m2"
        ),
        pytest.param(
            WOON_AND_LOGIES,
            [permit(20)],
            DEFAULT,
            8,
            RULE_AREA_DWELLING,
            8,
            20,
            id="woon-and-logies-uses-dwelling-12-m2",
        ),
        pytest.param(UNKNOWN_AREA, [], DEFAULT, 4, RULE_NO_PERMIT, None, None, id="unknown-area"),
        pytest.param(
            UNKNOWN_AREA, [permit(10)], DEFAULT, 10, RULE_PERMIT, None, 10, id="unknown-area-permit"
        ),
        pytest.param(
            DWELLING, [permit(6, until=-1)], DEFAULT, 4, RULE_NO_PERMIT, 8, None, id="expired"
        ),
        pytest.param(
            DWELLING, [permit(6, until=0)], DEFAULT, 6, RULE_PERMIT, 8, 6, id="valid-on-last-day"
        ),
        pytest.param(
            DWELLING, [permit(6), permit(7)], DEFAULT, 7, RULE_PERMIT, 8, 7, id="highest-of-two"
        ),
        pytest.param(
            DWELLING,
            [permit(20)],
            OccupancyPolicy(15, 12, 4, 3),
            6,
            RULE_AREA_DWELLING,
            6,
            20,
            id="municipal-15-m2",
        ),
    ],
)
def test_limit_is_the_lowest_that_applies_and_names_its_rule(
    address: AddressFacts,
    permits: list[PermitFacts],
    policy: OccupancyPolicy,
    value: int,
    rule: str,
    area_limit: int | None,
    permit_max: int | None,
) -> None:
    limit = limit_on(TODAY, address, permits, policy)
    assert (limit.value, limit.rule, limit.area_limit) == (value, rule, area_limit)
    assert (limit.permit.max_occupants if limit.permit else None) == permit_max
    assert limit.no_permit_threshold == policy.no_permit_max_occupants


# --- total on a day --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declarations", "offset", "expected"),
    [
        pytest.param([declared(6, org=1), declared(5, org=2)], 0, 11, id="sums-organisations"),
        pytest.param([declared(3, start=0)], 0, 3, id="counts-on-start-day"),
        pytest.param([declared(3, start=1)], 0, 0, id="not-before-start"),
        pytest.param([declared(3, end=0)], 0, 3, id="counts-on-end-day-inclusive"),
        pytest.param([declared(3, end=-1)], 0, 0, id="not-after-end"),
    ],
)
def test_total_sums_every_active_declaration(
    declarations: list[DeclaredOccupancy], offset: int, expected: int
) -> None:
    assert total_on(day(offset), declarations) == expected


# --- findings over the timeline from today --------------------------------------------------

OVER = "over_limit"
PERMIT_REQ = "permit_required"
NON_RES = "non_residential"
UNVERIF = "address_unverified"
NEAR = "near_limit"
EXPIRING = "permit_expiring"
AREA_UNK = "area_unknown"


@pytest.mark.parametrize(
    ("address", "declarations", "permits", "policies", "expected"),
    [
        # Several declarants: only the portal sees the sum.
        pytest.param(
            DWELLING,
            [declared(6, org=1), declared(5, org=2)],
            [],
            [],
            [
                F(OVER, 0, None, 11, 8, RULE_AREA_DWELLING),
                F(PERMIT_REQ, 0, None, 11, 4, RULE_NO_PERMIT),
            ],
            id="two-orgs-6+5-over-area-and-threshold",
        ),
        pytest.param(DWELLING, [declared(3)], [], [], [], id="below-everything-is-quiet"),
        # Boundaries of the no-permit threshold and of a permit.
        pytest.param(
            DWELLING,
            [declared(4)],
            [],
            [],
            [F(NEAR, 0, None, 4, 4, RULE_NO_PERMIT)],
            id="at-threshold-near-not-required",
        ),
        pytest.param(
            DWELLING,
            [declared(5)],
            [],
            [],
            [F(PERMIT_REQ, 0, None, 5, 4, RULE_NO_PERMIT)],
            id="one-over-threshold-permit-required",
        ),
        pytest.param(
            DWELLING,
            [declared(8)],
            [permit(8)],
            [],
            [F(NEAR, 0, None, 8, 8, RULE_PERMIT)],
            id="at-permit-limit-near-not-over",
        ),
        pytest.param(
            DWELLING,
            [declared(9)],
            [permit(8)],
            [],
            [F(OVER, 0, None, 9, 8, RULE_PERMIT)],
            id="one-over-permit-limit",
        ),
        pytest.param(
            LARGE_DWELLING,
            [declared(9)],
            [permit(10)],
            [],
            [F(NEAR, 0, None, 9, 10, RULE_PERMIT)],
            id="near-at-90-percent",
        ),
        pytest.param(
            LARGE_DWELLING, [declared(8)], [permit(10)], [], [], id="quiet-below-90-percent"
        ),
        # Permit against area.
        pytest.param(
            DWELLING,
            [declared(7)],
            [permit(6)],
            [],
            [F(OVER, 0, None, 7, 6, RULE_PERMIT)],
            id="permit-below-area-sets-limit",
        ),
        pytest.param(
            DWELLING,
            [declared(9)],
            [permit(12)],
            [],
            [F(OVER, 0, None, 9, 8, RULE_AREA_DWELLING)],
            id="permit-above-area-area-sets-limit",
        ),
        pytest.param(DWELLING, [declared(6)], [permit(12)], [], [], id="within-permit-and-area"),
        # Valid, expired, not yet valid permit.
        pytest.param(
            DWELLING,
            [declared(6)],
            [permit(8, until=-1)],
            [],
            [F(PERMIT_REQ, 0, None, 6, 4, RULE_NO_PERMIT)],
            id="expired-permit-counts-as-none",
        ),
        pytest.param(
            DWELLING,
            [declared(6)],
            [permit(8, start=30)],
            [],
            [F(PERMIT_REQ, 0, 29, 6, 4, RULE_NO_PERMIT)],
            id="future-permit-ends-permit-required",
        ),
        # Floor area unknown.
        pytest.param(
            UNKNOWN_AREA,
            [declared(3)],
            [],
            [],
            [F(AREA_UNK, 0, None, 3, None, None)],
            id="unknown-area-info",
        ),
        pytest.param(
            UNKNOWN_AREA,
            [declared(5)],
            [],
            [],
            [F(PERMIT_REQ, 0, None, 5, 4, RULE_NO_PERMIT), F(AREA_UNK, 0, None, 5, None, None)],
            id="unknown-area-threshold-is-not-over-limit",
        ),
        pytest.param(
            UNKNOWN_AREA,
            [declared(11)],
            [permit(10)],
            [],
            [F(OVER, 0, None, 11, 10, RULE_PERMIT), F(AREA_UNK, 0, None, 11, None, None)],
            id="unknown-area-over-permit",
        ),
        # Lodging 10 m² against dwelling 12 m²: the same 10 people.
        pytest.param(
            LODGING,
            [declared(10)],
            [permit(20)],
            [],
            [F(NEAR, 0, None, 10, 10, RULE_AREA_LODGING)],
            id="lodging-10-people-fit",
        ),
        pytest.param(
            DWELLING,
            [declared(10)],
            [permit(20)],
            [],
            [F(OVER, 0, None, 10, 8, RULE_AREA_DWELLING)],
            id="dwelling-10-people-over",
        ),
        # Use of the building.
        pytest.param(
            OFFICE,
            [declared(2)],
            [],
            [],
            [F(NON_RES, 0, None, 2, None, None)],
            id="non-residential-without-permit",
        ),
        pytest.param(
            OFFICE, [declared(2)], [permit(10)], [], [], id="non-residential-with-lodging-permit"
        ),
        pytest.param(
            OFFICE,
            [declared(2)],
            [permit(10, lodging=False)],
            [],
            [F(NON_RES, 0, None, 2, None, None)],
            id="non-residential-permit-not-for-lodging",
        ),
        pytest.param(
            OFFICE,
            [declared(2)],
            [permit(10, until=10)],
            [],
            [F(EXPIRING, 0, 10, 2, 10, RULE_PERMIT), F(NON_RES, 11, None, 2, None, None)],
            id="non-residential-once-lodging-permit-ends",
        ),
        pytest.param(UNKNOWN_USES, [declared(2)], [], [], [], id="unknown-uses-not-flagged"),
        # Address register.
        pytest.param(
            UNVERIFIED,
            [declared(2)],
            [],
            [],
            [F(UNVERIF, 0, None, 2, None, None)],
            id="unverified-address",
        ),
        pytest.param(
            AddressFacts(None, ("woonfunctie",), verified=False),
            [declared(5)],
            [],
            [],
            [
                F(PERMIT_REQ, 0, None, 5, 4, RULE_NO_PERMIT),
                F(UNVERIF, 0, None, 5, None, None),
                F(AREA_UNK, 0, None, 5, None, None),
            ],
            id="same-day-sorted-high-medium-info",
        ),
        # Nobody there: nothing to judge.
        pytest.param(UNVERIFIED, [], [], [], [], id="no-occupants-no-findings"),
        pytest.param(
            DWELLING, [declared(10, start=-60, end=-1)], [], [], [], id="past-declaration-ignored"
        ),
        # Permits expiring.
        pytest.param(
            DWELLING,
            [declared(3)],
            [permit(8, until=30)],
            [],
            [F(EXPIRING, 0, 30, 3, 8, RULE_PERMIT)],
            id="permit-expiring-within-90-days",
        ),
        pytest.param(
            DWELLING,
            [declared(3)],
            [permit(8, until=200)],
            [],
            [F(EXPIRING, 110, 200, 3, 8, RULE_PERMIT)],
            id="expiring-warning-starts-90-days-before",
        ),
        pytest.param(
            DWELLING,
            [declared(6)],
            [permit(8, until=30)],
            [],
            [
                F(EXPIRING, 0, 30, 6, 8, RULE_PERMIT),
                F(PERMIT_REQ, 31, None, 6, 4, RULE_NO_PERMIT),
            ],
            id="permit-required-from-day-after-valid-until",
        ),
        # Future dates.
        pytest.param(
            DWELLING,
            [declared(6, start=10)],
            [],
            [],
            [F(PERMIT_REQ, 10, None, 6, 4, RULE_NO_PERMIT)],
            id="future-start",
        ),
        pytest.param(
            DWELLING,
            [declared(3, org=1), declared(3, org=2, end=20)],
            [],
            [],
            [F(PERMIT_REQ, 0, 20, 6, 4, RULE_NO_PERMIT)],
            id="ends-when-a-declaration-ends",
        ),
        pytest.param(
            DWELLING,
            [declared(6, org=1), declared(3, org=2, start=10)],
            [],
            [],
            [
                F(PERMIT_REQ, 0, None, 9, 4, RULE_NO_PERMIT),
                F(OVER, 10, None, 9, 8, RULE_AREA_DWELLING),
            ],
            id="second-agency-later-merges-and-adds-over-limit",
        ),
        # Municipal policy changes from a date.
        pytest.param(
            DWELLING,
            [declared(7)],
            [permit(20)],
            [policy_from(60, m2_dwelling=15)],
            [F(OVER, 60, None, 7, 6, RULE_AREA_DWELLING)],
            id="15-m2-from-a-date",
        ),
        pytest.param(
            DWELLING,
            [declared(5)],
            [],
            [policy_from(30, no_permit_max=3)],
            [
                F(PERMIT_REQ, 0, 29, 5, 4, RULE_NO_PERMIT),
                F(PERMIT_REQ, 30, None, 5, 3, RULE_NO_PERMIT),
            ],
            id="new-threshold-splits-finding",
        ),
    ],
)
def test_findings_over_the_timeline(
    address: AddressFacts,
    declarations: list[DeclaredOccupancy],
    permits: list[PermitFacts],
    policies: list[OccupancyPolicy],
    expected: list[F],
) -> None:
    evaluation = evaluate(address, declarations, permits, policies, DEFAULT, TODAY)
    assert rows(evaluation) == expected
    assert all(f.severity == SEVERITY[f.code] for f in evaluation.findings)


def test_expiry_window_is_a_parameter() -> None:
    evaluation = evaluate(
        DWELLING, [declared(3)], [permit(8, until=60)], [], DEFAULT, TODAY, expiring_within_days=30
    )
    assert rows(evaluation) == [F(EXPIRING, 30, 60, 3, 8, RULE_PERMIT)]


def test_segments_follow_the_total_and_the_limit() -> None:
    evaluation = evaluate(
        DWELLING,
        [declared(3, org=1), declared(3, org=2, start=5, end=20)],
        [permit(6, start=10, until=40)],
        [],
        DEFAULT,
        TODAY,
    )
    assert [
        (
            (s.start - TODAY).days,
            None if s.end is None else (s.end - TODAY).days,
            s.occupants,
            s.limit.value,
            s.limit.rule,
        )
        for s in evaluation.segments
    ] == [
        (0, 4, 3, 4, RULE_NO_PERMIT),
        (5, 9, 6, 4, RULE_NO_PERMIT),
        (10, 20, 6, 6, RULE_PERMIT),
        (21, 40, 3, 6, RULE_PERMIT),
        (41, None, 3, 4, RULE_NO_PERMIT),
    ]


def test_a_handover_between_agencies_is_one_segment() -> None:
    evaluation = evaluate(
        DWELLING, [declared(3, org=1, end=9), declared(3, org=2, start=10)], [], [], DEFAULT, TODAY
    )
    assert [(s.start, s.end, s.occupants) for s in evaluation.segments] == [(TODAY, None, 3)]


def test_evaluation_lists_high_findings_and_codes() -> None:
    evaluation = evaluate(UNVERIFIED, [declared(6), declared(5, org=2)], [], [], DEFAULT, TODAY)
    assert [f.code for f in evaluation.high] == [OVER, PERMIT_REQ]
    assert evaluation.codes() == {OVER, PERMIT_REQ, UNVERIF}


def test_declarations_carry_only_counts_and_dates() -> None:
    """The rules cannot use anything about the people: there is nothing about them to use."""
    assert {f.name for f in fields(DeclaredOccupancy)} == {
        "organisation_id",
        "occupants",
        "start",
        "end",
    }


# --- late declarations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_after_days", "late"),
    [
        pytest.param(-5, False, id="filed-before-start"),
        pytest.param(0, False, id="same-day"),
        pytest.param(3, False, id="3-days-on-time"),
        pytest.param(4, True, id="4-days-late"),
        pytest.param(30, True, id="month-late"),
    ],
)
def test_late_after_the_policy_days(filed_after_days: int, late: bool) -> None:
    assert is_late(day(filed_after_days), TODAY, DEFAULT) is late


def test_late_finding_names_the_change_and_the_rule() -> None:
    assert late_finding(day(4), TODAY, 6, DEFAULT) == Finding(
        "late_declaration", "medium", TODAY, None, 6, None, RULE_LATE
    )
    assert late_finding(day(3), TODAY, 6, DEFAULT) is None


# --- ranking by how far over ----------------------------------------------------------------


def finding(occupants: int | None, limit: int | None, code: str = OVER) -> Finding:
    return Finding(code, SEVERITY[code], TODAY, None, occupants, limit, None)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        pytest.param(finding(11, 8), (3, 11 / 8), id="over-limit"),
        pytest.param(finding(11, 4, PERMIT_REQ), (7, 2.75), id="permit-required"),
        pytest.param(finding(8, 8, NEAR), None, id="at-limit-not-over"),
        pytest.param(finding(2, None, NON_RES), None, id="no-limit"),
        pytest.param(finding(2, 0), (2, math.inf), id="zero-limit-is-infinitely-over"),
    ],
)
def test_over_by(subject: Finding, expected: tuple[int, float] | None) -> None:
    assert over_by(subject) == expected
