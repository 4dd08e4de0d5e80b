"""Judging an address and keeping its flag in step (service layer).

``evaluate_address`` reads everything the rules need for one address — the occupancy in force
from every organisation's filings, the valid permits, the municipality's policies — and calls the
pure rules in ``portal.domain.occupancy``. ``sync_flag`` (``sync_flags`` for many addresses at
once) opens, updates, escalates, reopens or closes the address's one flag to match its current
high-severity findings, keeps its history (``FlagEvent``) and writes the alerts to the outbox in
the same transaction. Neither commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

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
from portal.services.bulk import CHUNK, chunks, member_of
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


@dataclass
class _Change:
    """One flag change waiting for its audit event, history row and alert."""

    address: Address
    flag: Flag | None  # None until a new flag is inserted
    action: str  # the audit action
    kind: str  # the history kind, also what the alert is about
    detail: str  # the history detail
    from_status: str | None = None
    to_status: str | None = None
    audit_detail: str = ""


def _open_flags_of(address_ids: Sequence[int]) -> dict[int, Flag]:
    """The open flag of each of these addresses that has one (one query)."""
    rows = db.session.execute(
        select(Flag).where(member_of(Flag.address_id, address_ids), Flag.status.in_(OPEN_STATUSES))
    )
    return {flag.address_id: flag for flag in rows.scalars()}


def _flags_of(address_ids: Sequence[int]) -> tuple[dict[int, Flag], dict[int, Flag]]:
    """Per address: its open flag, and else its most recently closed one (the case a new breach
    reopens). Two queries per slice of addresses, however many addresses."""
    current: dict[int, Flag] = {}
    closed: dict[int, Flag] = {}
    for chunk in chunks(address_ids, CHUNK):
        current.update(_open_flags_of(chunk))
        without = [a for a in chunk if a not in current]
        if not without:
            continue
        ranked = (
            select(
                Flag.id,
                func.row_number()
                .over(
                    partition_by=Flag.address_id,
                    order_by=(Flag.closed_at.desc().nulls_last(), Flag.id.desc()),
                )
                .label("rank"),
            )
            .where(member_of(Flag.address_id, without), Flag.status.not_in(OPEN_STATUSES))
            .subquery()
        )
        closed.update(
            (flag.address_id, flag)
            for flag in db.session.execute(
                select(Flag).join(ranked, ranked.c.id == Flag.id).where(ranked.c.rank == 1)
            ).scalars()
        )
    return current, closed


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
    return sync_flags([(address, evaluation)], actor, today=today)[0]


def sync_flags(
    items: Sequence[tuple[Address, Evaluation]],
    actor: User | None,
    *,
    today: date | None = None,
) -> list[Flag | None]:
    """``sync_flag`` for many addresses (each at most once), with a fixed number of statements.

    The flags are read with two queries per 2,000 addresses; the new ones are inserted, the changed
    ones updated, their history, audit events and alerts inserted, each with one statement (Core,
    at once, not at the next flush), in the order of ``items``. The flags in the session are kept
    equal to their rows. Returns each address's flag (None where it has none), in that order.
    """
    day = today or clock.today()
    now = clock.now()
    current, closed = _flags_of([address.id for address, _ in items])
    results: list[Flag | None] = []
    changes: list[_Change] = []
    states: dict[int, dict[str, object]] = {}  # flag id → its new row (existing flags)
    created: dict[int, dict[str, object]] = {}  # address id → the new flag's row
    for address, evaluation in items:
        high = flag_findings(evaluation, day)
        flag = current.get(address.id)
        if not high:
            # A flag an inspector is working on stays with them; an untouched one closes itself.
            if flag is not None and flag.status == "open":
                detail = f"{flag.reasons};outcome=no_longer_applies"
                states[flag.id] = _state(
                    flag, status="afgehandeld", outcome="no_longer_applies", closed_at=now,
                    updated_at=now)  # fmt: skip
                changes.append(
                    _Change(address, flag, "flag.resolve", "resolved", detail, "open",
                            "afgehandeld")
                )  # fmt: skip
            results.append(flag)
            continue
        values = flag_values(high)
        reasons = str(values["reasons"])
        if flag is None:
            flag = closed.get(address.id)
            if flag is not None:
                detail = reasons
                if flag.outcome:
                    detail += f";previous_outcome={flag.outcome}"
                changes.append(
                    _Change(address, flag, "flag.reopen", "reopened", detail, flag.status,
                            "open", reasons)
                )  # fmt: skip
                states[flag.id] = _state(
                    flag, **values, status="open", closed_at=None, outcome=None, updated_at=now
                )
            else:
                created[address.id] = {
                    **{name: None for name in _STATE},
                    "address_id": address.id,
                    "municipality_id": address.municipality_id,
                    **values,
                    "status": "open",
                    "opened_at": now,
                    "updated_at": now,
                }
                changes.append(
                    _Change(address, None, "flag.open", "opened", reasons, None, "open", reasons)
                )
        elif any(getattr(flag, k) != v for k, v in values.items()):
            grew = values["occupants"] > flag.occupants  # type: ignore[operator]
            kind = "escalated" if grew else "updated"
            states[flag.id] = _state(flag, **values, updated_at=now)
            changes.append(
                _Change(address, flag, "flag.escalate" if grew else "flag.update", kind, reasons,
                        audit_detail=reasons)
            )  # fmt: skip
        results.append(flag)
    new_flags = _write_flags([c.flag for c in changes if c.flag is not None], states, created)
    for change in changes:
        if change.flag is None:
            change.flag = new_flags[change.address.id]
    results = [
        new_flags.get(address.id, flag) for (address, _), flag in zip(items, results, strict=True)
    ]
    audit.record_many(
        [
            audit.values(
                change.action,
                actor=actor,
                object_type="flag",
                object_id=change.flag.id,  # type: ignore[union-attr]
                municipality_id=change.address.municipality_id,
                detail=change.audit_detail,
            )
            for change in changes
        ]
    )
    if changes:
        db.session.execute(
            insert(FlagEvent.__table__),
            [
                {
                    "flag_id": change.flag.id,  # type: ignore[union-attr]
                    "occurred_at": now,
                    "actor_user_id": actor.id if actor is not None else None,
                    "kind": change.kind,
                    "from_status": change.from_status,
                    "to_status": change.to_status,
                    "detail": change.detail,
                }
                for change in changes
            ],
        )
    alerts.alert_flags([(c.flag, c.kind) for c in changes if c.flag is not None])
    return results


# The columns a sync writes on an existing flag (every one, so all rows share one statement).
_STATE = (
    "status",
    "outcome",
    "closed_at",
    "updated_at",
    "reasons",
    "period_start",
    "period_end",
    "occupants",
    "limit",
    "rule",
    "over_by",
    "over_ratio",
)


def _state(flag: Flag, **changed: object) -> dict[str, object]:
    """The flag's row after the change: its current values with ``changed`` applied."""
    return {name: changed.get(name, getattr(flag, name)) for name in _STATE}


def _write_flags(
    changed: list[Flag],
    states: dict[int, dict[str, object]],
    created: dict[int, dict[str, object]],
) -> dict[int, Flag]:
    """Update the changed flags and insert the new ones (one statement each, Core); the flags in
    the session take their new values. Returns the new flags per address."""
    table = Flag.__table__
    if states:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("flag_id"))
            .values({name: bindparam(f"new_{name}") for name in _STATE}),
            [
                {"flag_id": flag_id, **{f"new_{k}": v for k, v in state.items()}}
                for flag_id, state in states.items()
            ],
        )
        for flag in changed:
            for name, value in states[flag.id].items():
                set_committed_value(flag, name, value)
    new_flags: dict[int, Flag] = {}
    if created:
        db.session.execute(insert(table), list(created.values()))
        for chunk in chunks(list(created), CHUNK):
            new_flags.update(_open_flags_of(chunk))
    return new_flags
