"""What a finding means for a receipt and for a flag (domain layer, pure).

A receipt shows the findings that overlap the filed period (``receipt_findings``); a flag shows
only the high findings in force on the day (``flag_findings``), and holds the columns
``flag_values`` derives from them. Filing, the batch import and the daily re-evaluation all use
these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from portal.domain.occupancy import Evaluation, Finding, over_by


def overlaps(finding: Finding, start: date, end: date | None) -> bool:
    """Whether the finding's period meets ``start``–``end`` (``end`` None: open-ended)."""
    return (finding.end is None or finding.end >= start) and (end is None or finding.start <= end)


def receipt_findings(
    findings: Iterable[Finding], start: date, end: date | None, late: Finding | None
) -> list[Finding]:
    """The findings a filing's receipt shows: those over its period, then the late finding."""
    shown = [f for f in findings if overlaps(f, start, end)]
    if late is not None:
        shown.append(late)
    return shown


def flag_findings(evaluation: Evaluation, day: date) -> list[Finding]:
    """The high findings in force on ``day``, with that day's total: all that a flag may show.

    A finding that starts later (a declaration starting next week, a permit running out) is on
    the receipt at filing time, but opens or escalates the flag only when the daily re-evaluation
    reaches its date (``portal.services.reevaluation``). Filing and re-evaluation both use this.
    """
    total = next((s.occupants for s in evaluation.segments if _in_force(s.start, s.end, day)), None)
    return [
        f if total is None else replace(f, occupants=total)
        for f in evaluation.high
        if _in_force(f.start, f.end, day)
    ]


def _in_force(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day <= end)


def flag_values(high: Sequence[Finding]) -> dict[str, object]:
    """The columns an open flag holds for these (non-empty) in-force high findings."""
    main = next((f for f in high if f.code == "over_limit"), None) or next(
        (f for f in high if f.code == "permit_required"), high[0]
    )
    worst = over_by(main) or (0, 0.0)
    ends = [f.end for f in high]
    return {
        "reasons": ",".join(sorted({f.code for f in high})),
        "period_start": min(f.start for f in high),
        "period_end": None if any(e is None for e in ends) else max(e for e in ends if e),
        "occupants": max(f.occupants or 0 for f in high),
        "limit": main.limit,
        "rule": main.rule,
        "over_by": worst[0],
        "over_ratio": worst[1],
    }
