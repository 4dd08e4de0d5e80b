"""Which municipal occupancy policy is in force on a date (domain layer).

A municipality's changes take effect from a date and never rewrite history: a day is judged by the
newest policy whose ``effective_from`` is on or before it, else by the national defaults
(DESIGN.md "Occupancy rules"; defaults and sources in config/default.toml and DOMAIN.md §7.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class OccupancyPolicy:
    """The numbers a municipality sets; ``effective_from`` None marks the national default."""

    m2_per_person_dwelling: int
    m2_per_person_lodging: int
    no_permit_max_occupants: int
    late_after_days: int
    effective_from: date | None = None
    # near_limit fires at this percentage of the limit (DESIGN.md findings table: 90 %).
    near_limit_percent: int = 90


def policy_in_force(
    policies: Iterable[OccupancyPolicy], day: date, default: OccupancyPolicy
) -> OccupancyPolicy:
    """The policy that governs ``day``: the latest one that started on or before it."""
    best: OccupancyPolicy | None = None
    for policy in policies:
        start = policy.effective_from
        if start is None or start > day:
            continue
        if best is None or (best.effective_from is not None and start > best.effective_from):
            best = policy
    return best or default
