"""Judging an address and keeping its flag in step (service layer).

``evaluate_address`` reads everything the rules need for one address — the occupancy in force
from every organisation's filings, the valid permits, the municipality's policies — and calls the
pure rules in ``portal.domain.occupancy``. ``sync_flag`` opens, updates, escalates, reopens or
closes the address's one flag to match its current high-severity findings, keeps its history
(``FlagEvent``) and writes the alerts to the outbox in the same transaction. Neither commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import select

from portal import clock
from portal.domain.declarations import Filing, effective_occupancy
from portal.domain.occupancy import (
    AddressFacts,
    Evaluation,
    Finding,
    PermitFacts,
    evaluate,
    over_by,
)
from portal.extensions import db
from portal.models import Address, Declaration, Flag, FlagEvent, Permit, User
from portal.models.flag import OPEN_STATUSES
from portal.notifications import alerts
from portal.services import audit
from portal.services.municipalities import default_policy, policy_list


def evaluate_address(address: Address, since: date | None = None) -> Evaluation:
    """Judge the address over the timeline from ``since`` (default today), all declarants summed."""
    today = clock.today()
    start = min(since or today, today)
    rows = db.session.execute(
        select(
            Declaration.id,
            Declaration.organisation_id,
            Declaration.occupants,
            Declaration.start_date,
            Declaration.end_date,
            Declaration.supersedes_id,
        ).where(Declaration.address_id == address.id)
    ).all()
    spans = effective_occupancy([Filing(*row) for row in rows])
    permits = [
        PermitFacts(
            p.max_occupants, p.valid_from, p.valid_until, p.covers_lodging, p.decision_reference
        )
        for p in db.session.execute(
            select(Permit).where(Permit.address_id == address.id, Permit.status == "valid")
        ).scalars()
    ]
    facts = AddressFacts(address.floor_area_m2, tuple(address.use_list), address.verified)
    return evaluate(
        facts, spans, permits, policy_list(address.municipality_id), default_policy(), start
    )


def flag_findings(evaluation: Evaluation, day: date) -> list[Finding]:
    """The high findings in force on ``day``, with that day's total: all that a flag may show.

    A finding that starts later (a declaration starting next week, a permit running out) is on
    the receipt at filing time, but opens or escalates the flag only when the daily re-evaluation
    reaches its date (``portal.services.reevaluation``). Filing and re-evaluation both use this.
    """
    total = next(
        (
            s.occupants
            for s in evaluation.segments
            if s.start <= day and (s.end is None or day <= s.end)
        ),
        None,
    )
    return [
        f if total is None else replace(f, occupants=total)
        for f in evaluation.high
        if f.start <= day and (f.end is None or day <= f.end)
    ]


def flag_values(high: Sequence[Finding]) -> dict[str, object]:
    """The columns an open flag holds for these (non-empty) in-force high findings."""
    main = next((f for f in high if f.code == "over_limit"), None) or next(
        (f for f in high if f.code == "permit_required"), high[0]
    )
    worst = over_by(main) or (0, 0.0)
    return {
        "reasons": ",".join(sorted({f.code for f in high})),
        "period_start": min(f.start for f in high),
        "period_end": None if any(f.end is None for f in high) else max(f.end for f in high),  # type: ignore[type-var]
        "occupants": max(f.occupants or 0 for f in high),
        "limit": main.limit,
        "rule": main.rule,
        "over_by": worst[0],
        "over_ratio": worst[1],
    }


def _event(
    flag: Flag,
    kind: str,
    actor: User | None,
    detail: str,
    from_status: str | None = None,
    to_status: str | None = None,
) -> FlagEvent:
    event = FlagEvent(
        flag_id=flag.id,
        actor_user_id=actor.id if actor is not None else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )
    db.session.add(event)
    return event


def _last_closed_flag(address: Address) -> Flag | None:
    """The address's most recently closed flag (the case a new breach reopens)."""
    return db.session.execute(
        select(Flag)
        .where(Flag.address_id == address.id, Flag.status.not_in(OPEN_STATUSES))
        .order_by(Flag.closed_at.desc().nulls_last(), Flag.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def sync_flag(
    address: Address, evaluation: Evaluation, actor: User | None, *, today: date | None = None
) -> Flag | None:
    """Open, update, escalate, reopen or close the address's flag to match its high findings.

    One address, one case: when the address breaks the rules again after its flag was closed,
    that flag reopens (its earlier outcome stays in the history) rather than a new one. Every
    change is a ``FlagEvent`` whose detail starts with the reasons (finding codes, comma
    separated), optionally followed by ``;key=value`` notes. An opened, reopened or escalated
    flag alerts the municipality in this same transaction (``notifications.alerts``). Only the
    findings in force on ``today`` (default: the clock's) count (``flag_findings``).
    """
    high = flag_findings(evaluation, today or clock.today())
    flag = db.session.execute(
        select(Flag).where(Flag.address_id == address.id, Flag.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()
    if not high:
        # A flag an inspector is working on stays with them; an untouched one closes itself.
        if flag is not None and flag.status == "open":
            flag.status = "afgehandeld"
            flag.outcome = "no_longer_applies"
            flag.closed_at = flag.updated_at = clock.now()
            audit.record(
                "flag.resolve",
                actor=actor,
                object_type="flag",
                object_id=flag.id,
                municipality_id=address.municipality_id,
            )
            _event(
                flag,
                "resolved",
                actor,
                f"{flag.reasons};outcome=no_longer_applies",
                "open",
                "afgehandeld",
            )
        return flag
    values = flag_values(high)
    change: str | None = None
    if flag is None:
        flag = _last_closed_flag(address)
        if flag is not None:
            previous_status, previous_outcome = flag.status, flag.outcome
            for key, value in values.items():
                setattr(flag, key, value)
            flag.status = "open"
            flag.closed_at = None
            flag.outcome = None
            flag.updated_at = clock.now()
            db.session.flush()
            audit.record(
                "flag.reopen",
                actor=actor,
                object_type="flag",
                object_id=flag.id,
                municipality_id=address.municipality_id,
                detail=flag.reasons,
            )
            detail = flag.reasons
            if previous_outcome:
                detail += f";previous_outcome={previous_outcome}"
            _event(flag, "reopened", actor, detail, previous_status, "open")
            change = "reopened"
        else:
            flag = Flag(
                address_id=address.id,
                municipality_id=address.municipality_id,
                status="open",
                **values,
            )
            db.session.add(flag)
            db.session.flush()
            audit.record(
                "flag.open",
                actor=actor,
                object_type="flag",
                object_id=flag.id,
                municipality_id=address.municipality_id,
                detail=flag.reasons,
            )
            _event(flag, "opened", actor, flag.reasons, None, "open")
            change = "opened"
    elif any(getattr(flag, k) != v for k, v in values.items()):
        grew = values["occupants"] > flag.occupants  # type: ignore[operator]
        for key, value in values.items():
            setattr(flag, key, value)
        flag.updated_at = clock.now()
        audit.record(
            "flag.escalate" if grew else "flag.update",
            actor=actor,
            object_type="flag",
            object_id=flag.id,
            municipality_id=address.municipality_id,
            detail=flag.reasons,
        )
        change = "escalated" if grew else "updated"
        _event(flag, change, actor, flag.reasons)
    if change is not None:
        alerts.alert_flag(flag, change)
    return flag
