"""Mandates: when an organisation may declare on behalf of another (domain layer; issue 18,
item 4).

An employer's administrator grants a mandate (machtiging) to a named organisation, by KvK
number, for a period: from a start date, with or without an end date. The administrator can
revoke it. A staffing agency may file a declaration with ``declared_for_kvk`` only under a
mandate of that employer in force on the filing day (docs/mandates.md).

The rule, :func:`in_force`: on ``day`` a mandate is in force when ``start_on <= day``, it has no
end date or ``end_on >= day``, and it was not revoked on or before ``day``. A revocation takes
effect at once: the day it is made counts as revoked, so the next filing — even later that
same day — is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.domain.errors import Problem

# How far back a mandate may start: as far as a declaration's start date may lie in the past
# (docs/rules.md, the date window of a filing), so a mandate can cover any filing still allowed.
MAX_DAYS_BACK = 366


@dataclass(frozen=True)
class MandatePeriod:
    """The dates of one mandate that the rule needs."""

    start_on: date
    end_on: date | None = None
    revoked_on: date | None = None  # the (Europe/Amsterdam) day the mandate was revoked


def in_force(mandate: MandatePeriod, day: date) -> bool:
    """Whether the mandate lets its holder declare for the grantor on ``day``."""
    if mandate.start_on > day:
        return False
    if mandate.end_on is not None and mandate.end_on < day:
        return False
    return mandate.revoked_on is None or mandate.revoked_on > day


def status(mandate: MandatePeriod, today: date) -> str:
    """``revoked``, ``ended``, ``future`` or ``in_force``: what the mandate is today."""
    if mandate.revoked_on is not None and mandate.revoked_on <= today:
        return "revoked"
    if mandate.end_on is not None and mandate.end_on < today:
        return "ended"
    if mandate.start_on > today:
        return "future"
    return "in_force"


def grant_problems(
    grantor_kvk: str, grantee_kvk: str, start_on: date | None, end_on: date | None, today: date
) -> list[Problem]:
    """Why a mandate with these facts cannot be granted (empty: it can).

    ``grantee_kvk`` is already a normalised KvK number."""
    problems: list[Problem] = []
    if grantee_kvk == grantor_kvk:
        problems.append(Problem("kvk", "mandate.self"))
    if start_on is None:
        problems.append(Problem("start_on", "start_date.required"))
    elif (today - start_on).days > MAX_DAYS_BACK:
        problems.append(Problem("start_on", "date.too_early"))
    if end_on is not None:
        if end_on < today:
            problems.append(Problem("end_on", "mandate.end_in_past"))
        elif start_on is not None and end_on < start_on:
            problems.append(Problem("end_on", "end_date.before_start"))
    return problems
