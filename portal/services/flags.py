"""Judging an address and keeping its flag in step (service layer).

``evaluate_address`` reads everything the rules need for one address — the occupancy in force
from every organisation's filings and the valid permits (``occupancy.occupancy_inputs``, the
loader the batch import and the re-evaluation use too), the municipality's policies — and calls
the pure rules in ``portal.domain.occupancy``; what a finding means for a flag is
``portal.domain.findings``. ``sync_flag`` (``sync_flags`` for many addresses at once) opens,
updates, escalates, reopens or closes the address's one flag to match its current high-severity
findings, keeps its history (``FlagEvent``) and writes the alerts to the outbox in the same
transaction. Neither commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal import clock
from portal.domain.findings import flag_findings, flag_values
from portal.domain.flags import NO_LONGER_APPLIES, OPEN, RESOLVED
from portal.domain.occupancy import Evaluation, evaluate
from portal.extensions import db
from portal.models import Address, Flag, FlagEvent, User
from portal.models.flag import OPEN_STATUSES
from portal.notifications import alerts
from portal.services import audit
from portal.services.bulk import CHUNK, chunks, member_of
from portal.services.municipalities import default_policy, policy_list
from portal.services.occupancy import occupancy_inputs


def evaluate_address(address: Address, since: date | None = None) -> Evaluation:
    """Judge the address over the timeline from ``since`` (default today), all declarants summed,
    on the inputs the batch import and the re-evaluation read too (``occupancy_inputs``)."""
    today = clock.today()
    start = min(since or today, today)
    db.session.flush()  # the loader reads through the connection: no autoflush
    inputs = occupancy_inputs([address.id], start)[address.id]
    return evaluate(
        inputs.facts,
        inputs.spans,
        inputs.permits,
        policy_list(address.municipality_id),
        default_policy(),
        start,
    )


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


@dataclass
class _Plan:
    """What a sync will write: each address's flag, the changes, the rows of changed and new
    flags."""

    now: datetime
    results: list[Flag | None] = field(default_factory=list)
    changes: list[_Change] = field(default_factory=list)
    states: dict[int, dict[str, object]] = field(default_factory=dict)  # flag id → its new row
    created: dict[int, dict[str, object]] = field(default_factory=dict)  # address id → new row

    def resolve(self, address: Address, flag: Flag | None) -> None:
        """No high finding: a flag an inspector is working on stays with them; an untouched one
        closes itself."""
        if flag is not None and flag.status == OPEN:
            now = self.now
            self.states[flag.id] = _state(
                flag, status=RESOLVED, outcome=NO_LONGER_APPLIES, closed_at=now, updated_at=now
            )
            self.changes.append(
                _Change(address, flag, "flag.resolve", "resolved",
                        f"{flag.reasons};outcome={NO_LONGER_APPLIES}", OPEN, RESOLVED)
            )  # fmt: skip
        self.results.append(flag)

    def reopen(self, address: Address, flag: Flag, values: dict[str, object]) -> None:
        reasons = str(values["reasons"])
        detail = reasons + (f";previous_outcome={flag.outcome}" if flag.outcome else "")
        self.changes.append(
            _Change(address, flag, "flag.reopen", "reopened", detail, flag.status, "open",
                    reasons)
        )  # fmt: skip
        self.states[flag.id] = _state(
            flag, **values, status="open", closed_at=None, outcome=None, updated_at=self.now
        )
        self.results.append(flag)

    def open(self, address: Address, values: dict[str, object]) -> None:
        reasons = str(values["reasons"])
        self.created[address.id] = {
            **{name: None for name in _STATE},
            "address_id": address.id,
            "municipality_id": address.municipality_id,
            **values,
            "status": "open",
            "opened_at": self.now,
            "updated_at": self.now,
        }
        self.changes.append(
            _Change(address, None, "flag.open", "opened", reasons, None, "open", reasons)
        )
        self.results.append(None)

    def update(self, address: Address, flag: Flag, values: dict[str, object]) -> None:
        if any(getattr(flag, k) != v for k, v in values.items()):
            reasons = str(values["reasons"])
            grew = values["occupants"] > flag.occupants  # type: ignore[operator]
            self.states[flag.id] = _state(flag, **values, updated_at=self.now)
            self.changes.append(
                _Change(address, flag, "flag.escalate" if grew else "flag.update",
                        "escalated" if grew else "updated", reasons, audit_detail=reasons)
            )  # fmt: skip
        self.results.append(flag)


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
    plan = _Plan(now=clock.now())
    current, closed = _flags_of([address.id for address, _ in items])
    for address, evaluation in items:
        high = flag_findings(evaluation, day)
        flag = current.get(address.id)
        if not high:
            plan.resolve(address, flag)
        elif flag is not None:
            plan.update(address, flag, flag_values(high))
        elif address.id in closed:
            plan.reopen(address, closed[address.id], flag_values(high))
        else:
            plan.open(address, flag_values(high))
    changed = [c.flag for c in plan.changes if c.flag is not None]
    new_flags = _write_flags(changed, plan.states, plan.created)
    for change in plan.changes:
        if change.flag is None:
            change.flag = new_flags[change.address.id]
    _record(plan.changes, actor, plan.now)
    return [
        new_flags.get(address.id, flag)
        for (address, _), flag in zip(items, plan.results, strict=True)
    ]


def _record(changes: Sequence[_Change], actor: User | None, now: datetime) -> None:
    """The audit events, history rows and alerts of the changes (one statement each)."""
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
