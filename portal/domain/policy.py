"""Which municipal occupancy policy is in force on a date, and whether a new one may be set
(domain layer).

A municipality's changes take effect from a date and never rewrite history: a day is judged by the
newest policy whose ``effective_from`` is on or before it, else by the national defaults
(docs/rules.md §1; defaults and sources in config/default.toml and docs/rules.md §1.8).
So a new policy starts today or later, and only a policy that has not taken effect yet may be
replaced (``policy_problems``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_email


@dataclass(frozen=True)
class OccupancyPolicy:
    """The numbers a municipality sets; ``effective_from`` None marks the national default."""

    m2_per_person_dwelling: int
    m2_per_person_lodging: int
    no_permit_max_occupants: int
    late_after_days: int
    effective_from: date | None = None
    # near_limit fires at this percentage of the limit (docs/rules.md §1.5: 90 %).
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


# --- Checking a new policy ------------------------------------------------------------------------
# What a municipal admin may set. The database allows wider ranges (municipal_policies check
# constraints); these are the bounds the portal accepts from a person, around the national figures:
# 12 m² dwelling and 10 m² lodging (SNF 1.3; Bouwbesluit 2012 art. 7.18), 4 occupants without a
# permit (regional policy examples), 3 days (the portal's national rule, §1.4), 90 % (§1.5).
POLICY_LIMITS: dict[str, tuple[int, int]] = {
    "m2_per_person_dwelling": (6, 50),
    "m2_per_person_lodging": (6, 50),
    "no_permit_max_occupants": (1, 20),
    "near_limit_percent": (50, 100),
    "late_after_days": (0, 30),
}
MAX_ALERT_EMAILS = 10
# municipal_policies.alert_emails is String(500); the addresses are stored joined by commas.
ALERT_EMAILS_MAX_LENGTH = 500
ALERT_EMAILS_SEPARATOR = ","
_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class PolicyDraft:
    """A new policy as a person entered it; numbers are None when left empty."""

    effective_from: date | None
    m2_per_person_dwelling: int | None
    m2_per_person_lodging: int | None
    no_permit_max_occupants: int | None
    near_limit_percent: int | None
    late_after_days: int | None
    alert_emails: str = ""
    support_desk_email: str = ""


def split_addresses(text: str) -> list[str]:
    """The addresses in a list separated by commas, semicolons or line breaks (empty parts go)."""
    return [part for part in _SEPARATORS.split(text or "") if part]


def _alert_addresses(text: str) -> tuple[list[str], list[Problem]]:
    """Each address normalised, repeats dropped (first one kept), and what is wrong."""
    addresses: list[str] = []
    problems: list[Problem] = []
    for raw in split_addresses(text):
        try:
            address = normalise_email(raw)
        except InvalidValue:
            problems.append(Problem("alert_emails", "alert_emails.format", raw))
            continue
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_ALERT_EMAILS:
        problems.append(Problem("alert_emails", "alert_emails.too_many"))
    elif len(ALERT_EMAILS_SEPARATOR.join(addresses)) > ALERT_EMAILS_MAX_LENGTH:
        problems.append(Problem("alert_emails", "alert_emails.too_long"))
    return addresses, problems


def alert_address_list(text: str) -> list[str]:
    """The alert addresses of ``text`` normalised and without repeats (bad ones left out)."""
    return _alert_addresses(text)[0]


def policy_problems(
    draft: PolicyDraft,
    *,
    today: date,
    existing: Collection[date] = (),
    replace: bool = False,
) -> list[Problem]:
    """Every reason to refuse ``draft``, each naming its field; empty when it may be stored.

    A policy takes effect from today or later: an earlier date would change how days already
    judged are judged (docs/rules.md §1.7: changes never rewrite history). ``existing`` holds the
    dates that already have a policy; only a future one may be replaced, and only when asked.
    """
    problems: list[Problem] = []
    start = draft.effective_from
    if start is None:
        problems.append(Problem("effective_from", "policy.effective_from.required"))
    elif start < today:
        problems.append(Problem("effective_from", "policy.effective_from.past"))
    elif start in existing:
        if start == today:
            problems.append(Problem("effective_from", "policy.effective_from.in_force"))
        elif not replace:
            problems.append(Problem("effective_from", "policy.effective_from.planned"))
    for name, (low, high) in POLICY_LIMITS.items():
        value = getattr(draft, name)
        if value is None:
            problems.append(Problem(name, f"policy.{name}.required"))
        elif not low <= value <= high:
            problems.append(Problem(name, f"policy.{name}.range"))
    problems += _alert_addresses(draft.alert_emails)[1]
    if draft.support_desk_email.strip():
        try:
            normalise_email(draft.support_desk_email)
        except InvalidValue:
            problems.append(Problem("support_desk_email", "email.format"))
    return problems
