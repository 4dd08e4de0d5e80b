"""Regions: groups of municipalities and their data-sharing agreement (service layer).

The system admin creates a region, names its municipalities by CBS code and records the date the
municipalities agreed to share address-level data (docs/rules.md §3.2: sharing needs an agreement;
none = aggregates only). A municipality belongs to at most one region; moving it out of another
region is refused rather than done silently. Never commits; every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select

from portal import clock
from portal.domain.errors import Problem
from portal.extensions import db
from portal.models import Municipality, Region, User
from portal.services import audit
from portal.services.errors import Refused

NAME_MAX = 120


def agreement_in_force(region: Region | None, today: date | None = None) -> bool:
    """True when the region's municipalities agreed to share address-level data by ``today``."""
    if region is None or region.data_sharing_agreed_on is None:
        return False
    return region.data_sharing_agreed_on <= (today or clock.today())


def parse_codes(raw: str) -> list[str]:
    """CBS codes separated by commas, spaces or new lines, upper-cased, in order, once each."""
    seen: list[str] = []
    for part in raw.replace(",", " ").replace(";", " ").split():
        code = part.strip().upper()
        if code and code not in seen:
            seen.append(code)
    return seen


def _check(name: str, region_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    name = name.strip()
    if not name:
        problems.append(Problem("name", "region.name_required"))
    elif len(name) > NAME_MAX:
        problems.append(Problem("name", "region.name_too_long"))
    else:
        clash = db.session.execute(
            select(Region.id).where(func.lower(Region.name) == name.lower())
        ).scalar_one_or_none()
        if clash is not None and clash != region_id:
            problems.append(Problem("name", "region.name_taken"))
    return problems


def _members(
    codes: Sequence[str], region_id: int | None
) -> tuple[list[Municipality], list[Problem]]:
    found = {
        m.code: m
        for m in db.session.execute(
            select(Municipality).where(Municipality.code.in_(codes))
        ).scalars()
    }
    problems: list[Problem] = []
    unknown = [c for c in codes if c not in found]
    if unknown:
        problems.append(Problem("municipalities", "region.unknown_code", ", ".join(unknown)))
    elsewhere = [
        f"{m.code} ({m.region.name})"
        for m in found.values()
        if m.region_id is not None and m.region_id != region_id and m.region is not None
    ]
    if elsewhere:
        problems.append(Problem("municipalities", "region.in_other_region", ", ".join(elsewhere)))
    return [found[c] for c in codes if c in found], problems


def save_region(
    actor: User,
    region: Region | None,
    name: str,
    agreed_on: date | None,
    codes: Sequence[str],
) -> Region:
    """Create (``region`` None) or change a region: name, agreement date, member municipalities."""
    region_id = region.id if region is not None else None
    problems = _check(name, region_id)
    members, member_problems = _members(codes, region_id)
    problems += member_problems
    if problems:
        raise Refused(*problems)
    created = region is None
    if region is None:
        region = Region(name=name.strip())
        db.session.add(region)
    before = (
        region.name,
        region.data_sharing_agreed_on,
        sorted(m.code for m in region.municipalities),
    )
    region.name = name.strip()
    region.data_sharing_agreed_on = agreed_on
    db.session.flush()
    keep = {m.id for m in members}
    for municipality in list(region.municipalities):
        if municipality.id not in keep:
            municipality.region_id = None
    for municipality in members:
        municipality.region_id = region.id
    db.session.flush()
    db.session.expire(region, ["municipalities"])
    after = (region.name, agreed_on, sorted(m.code for m in members))
    if created or before != after:
        audit.record(
            "region_created" if created else "region_changed",
            actor=actor,
            object_type="region",
            object_id=region.id,
            detail=(
                f"name={region.name}; agreed_on={agreed_on.isoformat() if agreed_on else '-'}; "
                f"municipalities={','.join(after[2])}"
            ),
        )
    return region
