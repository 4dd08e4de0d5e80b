"""When an alert about a flag goes out at once, waits for the daily digest, or not at all
(domain layer, pure).

The rule (docs/rules.md §1.9): per recipient at most one immediate alert per address per 24
hours (``ALERT_WINDOW``), unless the flag's severity rises (``severity_level``) or a new reason
(finding code) appears; any other worsening in those 24 hours goes to the recipient's daily
digest. A situation no worse than the one last alerted (same severity, reasons and total, or
lower) sends nothing, so judging the same address twice sends nothing new.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

Decision = Literal["immediate", "digest", "nothing"]

IMMEDIATE: Final = "immediate"
DIGEST: Final = "digest"
NOTHING: Final = "nothing"

# At most one immediate alert per recipient and address in this window (issue 20, item 6:
# dozens of emails per inspector in a minute) [choice].
ALERT_WINDOW: Final = timedelta(hours=24)

# Severity levels of a flag, by how far the total is over the limit (occupants / limit):
# 1 over the limit or another high finding, 2 at least 1.5 times the limit, 3 at least twice
# the limit (docs/rules.md §1.9) [choice]. Coarse on purpose: every extra person raises the
# total, not the level.
FAR_OVER_RATIO: Final = 1.5
DOUBLE_RATIO: Final = 2.0

# Flag changes that are a worsening by themselves (the flag's history kinds).
WORSENING_CHANGES: Final = frozenset({"opened", "reopened", "escalated"})
# Changes that are news even at the same total (an escalation needs more people than alerted).
STATUS_CHANGES: Final = frozenset({"opened", "reopened"})


def severity_level(over_ratio: float) -> int:
    """The flag's severity level (1–3) from occupants / limit (0 when not over a limit)."""
    if math.isnan(over_ratio):
        return 1
    if over_ratio >= DOUBLE_RATIO:
        return 3
    if over_ratio >= FAR_OVER_RATIO:
        return 2
    return 1


def reason_set(reasons: Iterable[str] | str) -> frozenset[str]:
    """The finding codes of a flag (a stored comma-separated list or codes)."""
    codes = reasons.split(",") if isinstance(reasons, str) else reasons
    return frozenset(code.strip() for code in codes if code.strip())


@dataclass(frozen=True)
class Situation:
    """A flag as judged at a moment: what an alert is about."""

    at: datetime
    severity: int
    reasons: frozenset[str]
    occupants: int
    change: str = "escalated"  # the flag's history kind: opened, reopened, escalated, updated


@dataclass(frozen=True)
class LastAlert:
    """The last immediate alert sent to one recipient for one address."""

    at: datetime
    severity: int
    reasons: frozenset[str]
    occupants: int


def decide(last: LastAlert | None, new: Situation, window: timedelta = ALERT_WINDOW) -> Decision:
    """Alert now, put it in the digest, or nothing, for one recipient and one address.

    - Never alerted about this address: a worsening change (opened, reopened, escalated)
      alerts now; anything else (a flag that got better) sends nothing.
    - Severity higher or a reason not in the last alert: now, whenever that alert was.
    - Another change that is no worsening (fewer people, a reason gone): nothing.
    - The same severity, reasons and total as the last alert within ``window``: nothing (the
      same judgement again).
    - Otherwise worse than the last alert — the flag opened or reopened, or more occupants than
      then (a total that drops and climbs back is not news) — goes to the digest within
      ``window`` and out at once after it; not worse: nothing.
    """
    if last is None:
        return IMMEDIATE if new.change in WORSENING_CHANGES else NOTHING
    if new.severity > last.severity or not new.reasons <= last.reasons:
        return IMMEDIATE
    if new.change not in WORSENING_CHANGES:
        return NOTHING  # fewer people or reasons: no news
    same = (new.severity, new.reasons, new.occupants) == (
        last.severity,
        last.reasons,
        last.occupants,
    )
    recent = new.at - last.at < window
    if same and recent:
        return NOTHING  # the same judgement again: already told
    worse = new.occupants > last.occupants or new.change in STATUS_CHANGES
    if not worse:
        return NOTHING
    return DIGEST if recent else IMMEDIATE
