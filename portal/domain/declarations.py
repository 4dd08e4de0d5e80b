"""What a declaration may say, and which filings are in force (domain layer).

Input limits from the declarations issue and docs/rules.md §4.1: 1–500 occupants; of whom
registered in the BRP at most that many; a start date at most a year back or ahead; an end not
before the start. Filings are immutable: an amendment or an end supersedes the previous filing
from a date, so the occupancy in force is computed from the chain, never stored by editing a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from portal.domain.errors import Problem
from portal.domain.occupancy import DeclaredOccupancy

MIN_OCCUPANTS = 1
MAX_OCCUPANTS = 500
# "start date at most a year back or ahead" (declarations issue); 366 covers a leap year.
WINDOW = timedelta(days=366)
END_REASONS = ("employment_ended", "moved_in_nl", "returned_home", "other")


@dataclass(frozen=True)
class DeclarationInput:
    """What a declarant fills in; None means the field was left empty."""

    occupants: int | None
    start_date: date | None
    end_date: date | None = None
    occupants_registered_brp: int | None = None
    separate_contracts: bool | None = None


def _window_problem(field: str, day: date, today: date) -> Problem | None:
    if day < today - WINDOW:
        return Problem(field, "date.too_early")
    if day > today + WINDOW:
        return Problem(field, "date.too_late")
    return None


def _occupant_problems(occupants: int | None, brp: int | None) -> list[Problem]:
    problems: list[Problem] = []
    if occupants is None:
        problems.append(Problem("occupants", "occupants.required"))
    elif not MIN_OCCUPANTS <= occupants <= MAX_OCCUPANTS:
        problems.append(Problem("occupants", "occupants.range"))
    if brp is not None:
        if brp < 0:
            problems.append(Problem("occupants_registered_brp", "brp.negative"))
        elif occupants is not None and brp > occupants:
            problems.append(Problem("occupants_registered_brp", "brp.more_than_occupants"))
    return problems


def declaration_problems(data: DeclarationInput, today: date) -> list[Problem]:
    """Every reason a new declaration is refused; empty when it may be filed."""
    problems = _occupant_problems(data.occupants, data.occupants_registered_brp)
    if data.start_date is None:
        problems.append(Problem("start_date", "start_date.required"))
    else:
        window = _window_problem("start_date", data.start_date, today)
        if window:
            problems.append(window)
        if data.end_date is not None and data.end_date < data.start_date:
            problems.append(Problem("end_date", "end_date.before_start"))
    if data.end_date is not None and data.end_date > today + 2 * WINDOW:
        problems.append(Problem("end_date", "date.too_late"))
    if data.separate_contracts is None:
        problems.append(Problem("separate_contracts", "separate_contracts.required"))
    return problems


def amendment_problems(
    current_start: date,
    current_end: date | None,
    occupants: int | None,
    effective_date: date | None,
    today: date,
    occupants_registered_brp: int | None = None,
) -> list[Problem]:
    """Reasons an amendment (new count from ``effective_date``) is refused."""
    problems = _occupant_problems(occupants, occupants_registered_brp)
    if effective_date is None:
        problems.append(Problem("effective_date", "effective_date.required"))
        return problems
    window = _window_problem("effective_date", effective_date, today)
    if window:
        problems.append(window)
    if effective_date < current_start:
        problems.append(Problem("effective_date", "effective_date.before_start"))
    if current_end is not None and effective_date > current_end:
        problems.append(Problem("effective_date", "effective_date.after_end"))
    return problems


def end_problems(
    current_start: date, end_date: date | None, reason: str | None, today: date
) -> list[Problem]:
    """Reasons an end (end date and reason) is refused."""
    problems: list[Problem] = []
    if end_date is None:
        problems.append(Problem("end_date", "end_date.required"))
    else:
        window = _window_problem("end_date", end_date, today)
        if window:
            problems.append(window)
        if end_date < current_start:
            problems.append(Problem("end_date", "end_date.before_start"))
    if reason not in END_REASONS:
        problems.append(Problem("reason", "end_reason.required"))
    return problems


@dataclass(frozen=True)
class Filing:
    """A filed declaration as the rules see it."""

    id: int
    organisation_id: int
    occupants: int
    start: date
    end: date | None
    supersedes_id: int | None = None


def effective_periods(filings: Sequence[Filing]) -> dict[int, tuple[date, date | None]]:
    """Each filing's period in force: until its successor takes over (successor start − 1).

    Filings wholly replaced by their successor (an end, or an amendment from the same start) are
    left out.
    """
    successor_start = {f.supersedes_id: f.start for f in filings if f.supersedes_id is not None}
    periods: dict[int, tuple[date, date | None]] = {}
    for filing in filings:
        end = filing.end
        takeover = successor_start.get(filing.id)
        if takeover is not None:
            cut = takeover - timedelta(days=1)
            end = cut if end is None or cut < end else end
        if end is not None and end < filing.start:
            continue
        periods[filing.id] = (filing.start, end)
    return periods


def effective_occupancy(filings: Sequence[Filing]) -> list[DeclaredOccupancy]:
    """The occupancy in force, summed by the rules over every filing's period."""
    periods = effective_periods(filings)
    return [
        DeclaredOccupancy(f.organisation_id, f.occupants, *periods[f.id])
        for f in filings
        if f.id in periods
    ]
