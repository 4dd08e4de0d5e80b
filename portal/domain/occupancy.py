"""Occupancy limits and findings for one address over time (domain layer).

The rule (docs/rules.md §1.1): on each day the occupants of an address are the sum of
every active declaration **from all organisations**, and the limit is the lowest of the area
limit (floor area / m² per person), the maximum of a valid permit, and — without a valid permit —
the municipality's number allowed without a permit. Every limit names the rule that set it, and
every finding carries its period, total, limit and rule, so an inspector sees *why* an address is
flagged. Days are judged by the policy in force on them (``policy_in_force``). Only counts, dates,
floor area, BAG uses and permits are used — never anything about the people (docs/rules.md
§1.6, §3.1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from portal.domain.address import is_residential
from portal.domain.policy import OccupancyPolicy, policy_in_force

Severity = Literal["high", "medium", "info"]

# Finding codes and their severities: the findings table in docs/rules.md §1.5.
OVER_LIMIT: Final = "over_limit"
PERMIT_REQUIRED: Final = "permit_required"
NON_RESIDENTIAL: Final = "non_residential"
ADDRESS_UNVERIFIED: Final = "address_unverified"
LATE_DECLARATION: Final = "late_declaration"
NEAR_LIMIT: Final = "near_limit"
PERMIT_EXPIRING: Final = "permit_expiring"
AREA_UNKNOWN: Final = "area_unknown"

SEVERITY: Final[dict[str, Severity]] = {
    OVER_LIMIT: "high",
    PERMIT_REQUIRED: "high",
    NON_RESIDENTIAL: "high",
    ADDRESS_UNVERIFIED: "medium",
    LATE_DECLARATION: "medium",
    NEAR_LIMIT: "info",
    PERMIT_EXPIRING: "info",
    AREA_UNKNOWN: "info",
}
_SEVERITY_ORDER: Final[dict[Severity, int]] = {"high": 0, "medium": 1, "info": 2}

# Rules that can set a limit (docs/rules.md §1.2, §1.3).
# floor(area / m2_per_person_dwelling): SNF 1.3 and the former Bouwbesluit 2012 art. 7.18
# (docs/rules.md §1.2).
RULE_AREA_DWELLING: Final = "area_dwelling"
# floor(area / m2_per_person_lodging) when the uses contain logiesfunctie but not woonfunctie:
# SNF 1.3 lodging figure (docs/rules.md §1.2: lodging).
RULE_AREA_LODGING: Final = "area_lodging"
# The maximum occupants of the valid permit (docs/rules.md §1.3).
RULE_PERMIT: Final = "permit"
# policy.no_permit_max_occupants when no permit is valid (docs/rules.md §1.3: typical thresholds).
RULE_NO_PERMIT: Final = "no_permit_threshold"
# The late-filing rule: policy.late_after_days (docs/rules.md §1.4: the portal's national rule).
RULE_LATE: Final = "late_after_days"

# The BAG gebruiksdoelen that decide dwelling vs lodging m² (docs/rules.md §2.1, §2.5).
WOONFUNCTIE: Final = "woonfunctie"
LOGIESFUNCTIE: Final = "logiesfunctie"

# near_limit fires at 90 % of the limit or more (docs/rules.md §1.5); a municipality may set
# its own percentage (OccupancyPolicy.near_limit_percent). Kept as a fraction for reference.
# so the comparison stays in whole numbers.
NEAR_LIMIT_NUMERATOR: Final = 9
NEAR_LIMIT_DENOMINATOR: Final = 10
# permit_expiring looks this many days ahead (docs/rules.md §1.5; reminders 90 and 30 days
# before expiry, docs/rules.md §4.3).
EXPIRING_WITHIN_DAYS: Final = 90

# Tie-break when two rules give the same limit: the permit, then the area, then the threshold.
_RULE_PREFERENCE: Final[dict[str, int]] = {
    RULE_PERMIT: 0,
    RULE_AREA_DWELLING: 1,
    RULE_AREA_LODGING: 1,
    RULE_NO_PERMIT: 2,
}


@dataclass(frozen=True)
class DeclaredOccupancy:
    """One declaration version: ``occupants`` people from ``start`` to ``end`` inclusive."""

    organisation_id: int
    occupants: int
    start: date
    end: date | None = None  # inclusive; None = open-ended

    def active_on(self, day: date) -> bool:
        """True when ``day`` falls within start..end (inclusive)."""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class PermitFacts:
    """A permit's maximum occupants and validity (``valid_until`` inclusive, None = no end)."""

    max_occupants: int
    valid_from: date
    valid_until: date | None
    covers_lodging: bool = True  # a permit for lodging makes a non-residential use acceptable
    reference: str = ""

    def valid_on(self, day: date) -> bool:
        """True when the permit is valid on ``day``."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class AddressFacts:
    """What the rules know of an address: floor area (m², GBO), BAG uses, register status."""

    floor_area_m2: int | None
    uses: tuple[str, ...]  # BAG gebruiksdoelen
    verified: bool = True  # False = entered by hand, not in the address register


@dataclass(frozen=True)
class Limit:
    """The limit on one day, the rule that set it, and the inputs it came from."""

    value: int | None
    rule: str
    area_limit: int | None
    permit: PermitFacts | None
    no_permit_threshold: int
    area_rule: str | None = None  # RULE_AREA_DWELLING / RULE_AREA_LODGING when area_limit is set
    near_limit_percent: int = 90  # the policy's near-limit level that day

    @property
    def physical(self) -> tuple[int, str] | None:
        """The lower of the area and permit limits with its rule; None when neither exists."""
        candidates: list[tuple[int, str]] = []
        if self.permit is not None:
            candidates.append((self.permit.max_occupants, RULE_PERMIT))
        if self.area_limit is not None and self.area_rule is not None:
            candidates.append((self.area_limit, self.area_rule))
        return _lowest(candidates)


@dataclass(frozen=True)
class Finding:
    """One rule outcome over a period, with the total, limit and rule that produced it."""

    code: str
    severity: Severity
    start: date
    end: date | None  # inclusive; None = open-ended
    occupants: int | None  # the (maximum) total in the period
    limit: int | None
    rule: str | None


@dataclass(frozen=True)
class Segment:
    """A period with a constant total and a constant limit."""

    start: date
    end: date | None  # inclusive; None = open-ended
    occupants: int
    limit: Limit


@dataclass(frozen=True)
class Evaluation:
    """The timeline of an address from today on and the findings over it."""

    segments: tuple[Segment, ...]
    findings: tuple[Finding, ...]

    @property
    def high(self) -> tuple[Finding, ...]:
        """The high-severity findings (those that open a flag)."""
        return tuple(f for f in self.findings if f.severity == "high")

    def codes(self) -> set[str]:
        """The finding codes present."""
        return {f.code for f in self.findings}


def _lowest(candidates: Iterable[tuple[int, str]]) -> tuple[int, str] | None:
    """The smallest (value, rule), preferring permit, then area, then threshold on a tie."""
    ordered = sorted(candidates, key=lambda c: (c[0], _RULE_PREFERENCE[c[1]]))
    return ordered[0] if ordered else None


def _is_lodging(uses: Sequence[str]) -> bool:
    """Lodging m² apply when the uses contain logiesfunctie but not woonfunctie."""
    return LOGIESFUNCTIE in uses and WOONFUNCTIE not in uses


def _valid_permits(day: date, permits: Iterable[PermitFacts]) -> list[PermitFacts]:
    return [p for p in permits if p.valid_on(day)]


def _main_permit(valid: Sequence[PermitFacts]) -> PermitFacts | None:
    """The permit with the highest maximum; on a tie the one valid longest."""
    if not valid:
        return None
    return max(valid, key=lambda p: (p.max_occupants, p.valid_until or date.max))


def limit_on(
    day: date, address: AddressFacts, permits: Sequence[PermitFacts], policy: OccupancyPolicy
) -> Limit:
    """The lowest limit that applies on ``day`` under ``policy``, and the rule that set it."""
    area_limit: int | None = None
    area_rule: str | None = None
    if address.floor_area_m2 is not None:
        if _is_lodging(address.uses):
            area_limit = address.floor_area_m2 // policy.m2_per_person_lodging
            area_rule = RULE_AREA_LODGING
        else:
            area_limit = address.floor_area_m2 // policy.m2_per_person_dwelling
            area_rule = RULE_AREA_DWELLING
    permit = _main_permit(_valid_permits(day, permits))
    candidates: list[tuple[int, str]] = []
    if permit is not None:
        candidates.append((permit.max_occupants, RULE_PERMIT))
    else:
        candidates.append((policy.no_permit_max_occupants, RULE_NO_PERMIT))
    if area_limit is not None and area_rule is not None:
        candidates.append((area_limit, area_rule))
    lowest = _lowest(candidates)
    assert lowest is not None  # the permit or the threshold is always a candidate
    return Limit(
        value=lowest[0],
        rule=lowest[1],
        area_limit=area_limit,
        permit=permit,
        no_permit_threshold=policy.no_permit_max_occupants,
        area_rule=area_rule,
        near_limit_percent=policy.near_limit_percent,
    )


def total_on(day: date, declarations: Sequence[DeclaredOccupancy]) -> int:
    """The occupants on ``day`` summed over every active declaration of every organisation."""
    return sum(d.occupants for d in declarations if d.active_on(day))


def _day_after(day: date) -> date | None:
    return None if day == date.max else day + timedelta(days=1)


def _breakpoints(
    today: date,
    declarations: Sequence[DeclaredOccupancy],
    permits: Sequence[PermitFacts],
    policies: Sequence[OccupancyPolicy],
    expiring_within_days: int,
) -> list[date]:
    """Today and every later day on which a total, a limit or an expiry warning can change."""
    days: set[date | None] = {today}
    for declaration in declarations:
        days.add(declaration.start)
        if declaration.end is not None:
            days.add(_day_after(declaration.end))
    for permit in permits:
        days.add(permit.valid_from)
        if permit.valid_until is not None:
            days.add(_day_after(permit.valid_until))
            # The day permit_expiring starts, so the warning is exact rather than sampled.
            if permit.valid_until - date.min >= timedelta(days=expiring_within_days):
                days.add(permit.valid_until - timedelta(days=expiring_within_days))
    for policy in policies:
        days.add(policy.effective_from)
    return sorted(d for d in days if d is not None and d >= today)


def _segment_findings(
    segment: Segment,
    address: AddressFacts,
    permits: Sequence[PermitFacts],
    expiring_within_days: int,
) -> list[Finding]:
    """The findings that hold throughout one segment."""
    occupants = segment.occupants
    if occupants <= 0:
        return []
    limit = segment.limit
    found: list[tuple[str, int | None, str | None]] = []

    physical = limit.physical
    if physical is not None and occupants > physical[0]:
        found.append((OVER_LIMIT, physical[0], physical[1]))
    if limit.permit is None and occupants > limit.no_permit_threshold:
        found.append((PERMIT_REQUIRED, limit.no_permit_threshold, RULE_NO_PERMIT))
    if address.uses and not is_residential(address.uses):
        lodging_permitted = any(p.covers_lodging for p in _valid_permits(segment.start, permits))
        if not lodging_permitted:
            found.append((NON_RESIDENTIAL, None, None))
    if not address.verified:
        found.append((ADDRESS_UNVERIFIED, None, None))
    if (
        limit.value is not None
        and limit.value > 0
        and 100 * occupants >= limit.near_limit_percent * limit.value
        and occupants <= limit.value
    ):
        found.append((NEAR_LIMIT, limit.value, limit.rule))
    permit = limit.permit
    if (
        permit is not None
        and permit.valid_until is not None
        and (permit.valid_until - segment.start).days <= expiring_within_days
    ):
        found.append((PERMIT_EXPIRING, permit.max_occupants, RULE_PERMIT))
    if address.floor_area_m2 is None:
        found.append((AREA_UNKNOWN, None, None))

    return [
        Finding(
            code=code,
            severity=SEVERITY[code],
            start=segment.start,
            end=segment.end,
            occupants=occupants,
            limit=value,
            rule=rule,
        )
        for code, value, rule in found
    ]


def _merge_findings(per_segment: Sequence[Sequence[Finding]]) -> list[Finding]:
    """Join a finding with the same code, limit and rule in the directly following segment."""
    merged: list[Finding] = []
    open_runs: dict[tuple[str, int | None, str | None], int] = {}  # key → index into merged
    for findings in per_segment:
        next_runs: dict[tuple[str, int | None, str | None], int] = {}
        for finding in findings:
            key = (finding.code, finding.limit, finding.rule)
            if key in open_runs:
                index = open_runs[key]
                previous = merged[index]
                merged[index] = Finding(
                    code=previous.code,
                    severity=previous.severity,
                    start=previous.start,
                    end=finding.end,
                    occupants=_max_optional(previous.occupants, finding.occupants),
                    limit=previous.limit,
                    rule=previous.rule,
                )
            else:
                index = len(merged)
                merged.append(finding)
            next_runs[key] = index
        open_runs = next_runs
    return merged


def _max_optional(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _merge_segments(segments: Sequence[Segment]) -> list[Segment]:
    """Join neighbouring segments whose total and limit are equal."""
    merged: list[Segment] = []
    for segment in segments:
        if (
            merged
            and merged[-1].occupants == segment.occupants
            and merged[-1].limit == segment.limit
        ):
            last = merged[-1]
            merged[-1] = Segment(last.start, segment.end, last.occupants, last.limit)
        else:
            merged.append(segment)
    return merged


def _finding_order(finding: Finding) -> tuple[date, int, str]:
    return (finding.start, _SEVERITY_ORDER[finding.severity], finding.code)


def evaluate(
    address: AddressFacts,
    declarations: Sequence[DeclaredOccupancy],
    permits: Sequence[PermitFacts],
    policies: Sequence[OccupancyPolicy],
    default_policy: OccupancyPolicy,
    today: date,
    expiring_within_days: int = EXPIRING_WITHIN_DAYS,
) -> Evaluation:
    """Judge the address from ``today`` on: the timeline of totals and limits, and its findings."""
    days = _breakpoints(today, declarations, permits, policies, expiring_within_days)
    segments: list[Segment] = []
    for i, start in enumerate(days):
        end = days[i + 1] - timedelta(days=1) if i + 1 < len(days) else None
        policy = policy_in_force(policies, start, default_policy)
        segments.append(
            Segment(
                start=start,
                end=end,
                occupants=total_on(start, declarations),
                limit=limit_on(start, address, permits, policy),
            )
        )
    per_segment = [_segment_findings(s, address, permits, expiring_within_days) for s in segments]
    findings = sorted(_merge_findings(per_segment), key=_finding_order)
    return Evaluation(segments=tuple(_merge_segments(segments)), findings=tuple(findings))


def is_late(filed_on: date, changed_on: date, policy: OccupancyPolicy) -> bool:
    """True when filed more than ``policy.late_after_days`` after the occupancy started/changed."""
    return (filed_on - changed_on).days > policy.late_after_days


def late_finding(
    filed_on: date, changed_on: date, occupants: int, policy: OccupancyPolicy
) -> Finding | None:
    """The ``late_declaration`` finding for a filing, or None when it was on time."""
    if not is_late(filed_on, changed_on, policy):
        return None
    return Finding(
        code=LATE_DECLARATION,
        severity=SEVERITY[LATE_DECLARATION],
        start=changed_on,
        end=None,
        occupants=occupants,
        limit=None,
        rule=RULE_LATE,
    )


def over_by(finding: Finding) -> tuple[int, float] | None:
    """(occupants − limit, occupants / limit) to rank by; None unless over the limit."""
    if finding.occupants is None or finding.limit is None or finding.occupants <= finding.limit:
        return None
    excess = finding.occupants - finding.limit
    ratio = math.inf if finding.limit <= 0 else finding.occupants / finding.limit
    return (excess, ratio)
