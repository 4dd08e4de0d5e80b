"""Judging an address and keeping its flag in step (service layer).

``evaluate_address`` reads everything the rules need for one address — the occupancy in force
from every organisation's filings, the valid permits, the municipality's policies — and calls the
pure rules in ``portal.domain.occupancy``. ``sync_flag`` opens, updates or closes the address's
one open flag to match its current high-severity findings. Neither commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal import clock
from portal.domain.declarations import Filing, effective_occupancy
from portal.domain.occupancy import AddressFacts, Evaluation, PermitFacts, evaluate, over_by
from portal.extensions import db
from portal.models import Address, Declaration, Flag, Permit, User
from portal.models.flag import OPEN_STATUSES
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


def sync_flag(address: Address, evaluation: Evaluation, actor: User | None) -> Flag | None:
    """Open, update or close the address's flag to match its current high findings."""
    today = clock.today()
    high = [f for f in evaluation.high if f.end is None or f.end >= today]
    flag = db.session.execute(
        select(Flag).where(Flag.address_id == address.id, Flag.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()
    if not high:
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
        return flag
    main = next((f for f in high if f.code == "over_limit"), None) or next(
        (f for f in high if f.code == "permit_required"), high[0]
    )
    worst = over_by(main) or (0, 0.0)
    values = {
        "reasons": ",".join(sorted({f.code for f in high})),
        "period_start": min(f.start for f in high),
        "period_end": None if any(f.end is None for f in high) else max(f.end for f in high),  # type: ignore[type-var]
        "occupants": max(f.occupants or 0 for f in high),
        "limit": main.limit,
        "rule": main.rule,
        "over_by": worst[0],
        "over_ratio": worst[1],
    }
    if flag is None:
        flag = Flag(
            address_id=address.id, municipality_id=address.municipality_id, status="open", **values
        )
        db.session.add(flag)
        db.session.flush()
        audit.record(
            "flag.open",
            actor=actor,
            object_type="flag",
            object_id=flag.id,
            municipality_id=address.municipality_id,
            detail=values["reasons"],
        )  # type: ignore[arg-type]
    else:
        changed = any(getattr(flag, k) != v for k, v in values.items())
        if changed:
            for key, value in values.items():
                setattr(flag, key, value)
            flag.updated_at = clock.now()
            audit.record(
                "flag.update",
                actor=actor,
                object_type="flag",
                object_id=flag.id,
                municipality_id=address.municipality_id,
                detail=flag.reasons,
            )
    return flag
