"""The rules of a flag's state (domain layer: pure, no I/O).

A flag (signaal) moves ``open → in_progress → resolved | dismissed``; an inspector closes it with
an inspection outcome. The portal itself closes a flag as ``resolved`` with the outcome
``no_longer_applies`` when its reasons go away (services.flags), and opens a new one when they
come back. ``services.inspection`` applies these rules to the stored flags.

The stored values were Dutch until migration 0007 (``in_behandeling``, ``afgehandeld``,
``geseponeerd``; docs/glossary.md). The API still accepts those on input until v2
(``LEGACY_STATUSES``); the audit trail keeps them in the events written before the rename.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from portal.domain.errors import Problem

OPEN: Final = "open"
IN_PROGRESS: Final = "in_progress"  # in behandeling
RESOLVED: Final = "resolved"  # afgehandeld: handled, with an outcome
DISMISSED: Final = "dismissed"  # geseponeerd: no further action

FLAG_STATUSES: Final = (OPEN, IN_PROGRESS, RESOLVED, DISMISSED)
# Not closed: at most one such flag per address (the partial unique index on flags).
OPEN_STATUSES: Final = (OPEN, IN_PROGRESS)
CLOSED_STATUSES: Final = (RESOLVED, DISMISSED)
# The statuses an inspector may ask for.
TARGET_STATUSES: Final = (IN_PROGRESS, *CLOSED_STATUSES)
# Which status may follow which; a closed flag has no successor (a reopening is a new flag).
TRANSITIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        OPEN: (IN_PROGRESS,),
        IN_PROGRESS: CLOSED_STATUSES,
    }
)

# Inspection outcomes. An inspector records one of CLOSING_OUTCOMES when closing;
# "no_longer_applies" is the portal's own, set only when the reasons disappear by themselves.
NO_LONGER_APPLIES: Final = "no_longer_applies"
CLOSING_OUTCOMES: Final = ("compliant", "warning", "enforcement_started", "unfounded")
OUTCOMES: Final = (*CLOSING_OUTCOMES, NO_LONGER_APPLIES)

# The Dutch stored values before migration 0007 → their English names. The API maps them on input
# until v2 (deprecated); nothing stores them any more.
LEGACY_STATUSES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "in_behandeling": IN_PROGRESS,
        "afgehandeld": RESOLVED,
        "geseponeerd": DISMISSED,
    }
)


def from_legacy(status: str) -> str:
    """The current name of ``status``: a deprecated Dutch value becomes its English name; any
    other value comes back unchanged (and is judged by the rules as it is)."""
    return LEGACY_STATUSES.get(status, status)


def is_open(status: str) -> bool:
    """Open or in progress: the address's current flag."""
    return status in OPEN_STATUSES


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def transition_problem(current: str, target: str, outcome: str | None) -> Problem | None:
    """Why ``current → target`` (with ``outcome``) is not allowed; None when it is.

    The checks go in this order: an unknown target, a flag that is already closed, a step the
    table does not allow (closing a flag nobody started has its own code), and last a closing
    without an inspector's outcome.
    """
    if target not in TARGET_STATUSES:
        return Problem("to_status", "flag.status_unknown")
    if current in CLOSED_STATUSES:
        return Problem("to_status", "flag.closed")
    if target not in TRANSITIONS.get(current, ()):
        if current == OPEN and target in CLOSED_STATUSES:
            return Problem("to_status", "flag.not_started")
        return Problem("to_status", "flag.transition")
    if target in CLOSED_STATUSES and outcome not in CLOSING_OUTCOMES:
        return Problem("outcome", "flag.outcome_required")
    return None
