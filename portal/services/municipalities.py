"""Municipalities and their occupancy policy (service layer).

The municipality list is reference data imported from a CSV (``code,name,province,region``) and
upserted by CBS code; regions are created by name. ``policy_for`` answers which occupancy numbers
apply to a municipality on a day: its own policy in force then, else the configured national
defaults (config/default.toml). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.domain.errors import InvalidValue
from portal.domain.identifiers import normalise_municipality_code
from portal.domain.policy import OccupancyPolicy, policy_in_force
from portal.extensions import db
from portal.models import Municipality, MunicipalPolicy, Region
from portal.services.imports import ImportReport, RejectedLine, Source, read_csv

MUNICIPALITY_COLUMNS = ("code", "name", "province", "region")
REQUIRED_COLUMNS = ("code", "name")
# Longest text each column holds (the String lengths of the models).
_MAX_LENGTH = {"name": 120, "province": 60, "region": 120}


def import_municipalities(source: Source) -> ImportReport:
    """Upsert municipalities by CBS code from a CSV; ``province``/``region`` columns are optional.

    An absent optional column leaves what is stored; an empty ``region`` cell removes the region.
    """
    table = read_csv(source, REQUIRED_COLUMNS)
    get = {name: table.getter(name) for name in MUNICIPALITY_COLUMNS}
    has_province = "province" in table.columns
    has_region = "region" in table.columns

    db.session.flush()
    municipalities = {m.code: m for m in db.session.execute(select(Municipality)).scalars()}
    regions = {r.name: r for r in db.session.execute(select(Region)).scalars()}
    report = ImportReport()
    seen: dict[str, int] = {}

    for line, cells in table.lines:
        value = {name: reader(cells).strip() for name, reader in get.items()}
        problem = _problem(value)
        if problem is not None:
            report.rejected.append(RejectedLine(line, *problem))
            continue
        code = normalise_municipality_code(value["code"])
        if code in seen:
            report.rejected.append(
                RejectedLine(line, "duplicate_in_file", f"code {code} as on line {seen[code]}")
            )
            continue
        seen[code] = line

        region_id: int | None = None
        if value["region"]:
            region = regions.get(value["region"])
            if region is None:
                region = Region(name=value["region"])
                db.session.add(region)
                db.session.flush()
                regions[region.name] = region
            region_id = region.id

        municipality = municipalities.get(code)
        if municipality is None:
            municipality = Municipality(
                code=code, name=value["name"], province=value["province"], region_id=region_id
            )
            db.session.add(municipality)
            municipalities[code] = municipality
            report.inserted += 1
            continue
        wanted: dict[str, object] = {"name": value["name"]}
        if has_province:
            wanted["province"] = value["province"]
        if has_region:
            wanted["region_id"] = region_id
        changes = {k: v for k, v in wanted.items() if getattr(municipality, k) != v}
        for key, new in changes.items():
            setattr(municipality, key, new)
        if changes:
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report


def _problem(value: dict[str, str]) -> tuple[str, str] | None:
    """Why a line cannot be imported, as (reason code, detail), or None."""
    if not value["code"]:
        return "field.required", "code"
    try:
        normalise_municipality_code(value["code"])
    except InvalidValue:
        return "municipality_code.format", f"code {value['code']!r}"
    if not value["name"]:
        return "field.required", "name"
    for name, limit in _MAX_LENGTH.items():
        if len(value[name]) > limit:
            return "field.too_long", f"{name}: at most {limit} characters"
    return None


def default_policy() -> OccupancyPolicy:
    """The national default policy from the configuration (DEFAULT_* keys)."""
    config = current_app.config
    return OccupancyPolicy(
        m2_per_person_dwelling=int(config["DEFAULT_M2_PER_PERSON_DWELLING"]),
        m2_per_person_lodging=int(config["DEFAULT_M2_PER_PERSON_LODGING"]),
        no_permit_max_occupants=int(config["DEFAULT_NO_PERMIT_MAX_OCCUPANTS"]),
        late_after_days=int(config["DEFAULT_LATE_AFTER_DAYS"]),
    )


def policy_of(row: MunicipalPolicy) -> OccupancyPolicy:
    """A stored policy row as the rules read it."""
    return OccupancyPolicy(
        m2_per_person_dwelling=row.m2_per_person_dwelling,
        m2_per_person_lodging=row.m2_per_person_lodging,
        no_permit_max_occupants=row.no_permit_max_occupants,
        late_after_days=row.late_after_days,
        effective_from=row.effective_from,
        near_limit_percent=row.near_limit_percent,
    )


def policy_list(municipality_id: int) -> list[OccupancyPolicy]:
    """Every policy the municipality has set, each with its effective date."""
    rows = db.session.execute(
        select(MunicipalPolicy)
        .where(MunicipalPolicy.municipality_id == municipality_id)
        .order_by(MunicipalPolicy.effective_from)
    ).scalars()
    return [policy_of(row) for row in rows]


def policies_by_municipality(ids: Iterable[int] | None = None) -> dict[int, list[OccupancyPolicy]]:
    """``policy_list`` for several municipalities (every municipality when ``ids`` is None) in
    one query (absent: no policy of its own)."""
    query = select(MunicipalPolicy).order_by(MunicipalPolicy.effective_from)
    if ids is not None:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = query.where(MunicipalPolicy.municipality_id.in_(wanted))
    found: dict[int, list[OccupancyPolicy]] = {}
    for row in db.session.execute(query).scalars():
        found.setdefault(row.municipality_id, []).append(policy_of(row))
    return found


def policy_for(municipality_id: int, day: date) -> OccupancyPolicy:
    """The occupancy policy in force in the municipality on ``day`` (else the defaults)."""
    return policy_in_force(policy_list(municipality_id), day, default_policy())
