"""Tenant scoping, in one place (service layer).

Every query for an organisation's or a municipality's data goes through ``scoped`` /
``get_scoped_or_404``. Each model lists, per kind of user, the column that binds a row to that
user's tenant; a kind that is not listed sees nothing (deny by default). A foreign object answers
404, so its existence does not leak (docs/security.md T5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from portal.extensions import db
from portal.models import (
    Address,
    AddressEntry,
    ApiKey,
    AuditEvent,
    Batch,
    BatchUpload,
    Declaration,
    Flag,
    Mandate,
    MonthlyStatistic,
    Municipality,
    MunicipalPolicy,
    Organisation,
    Permit,
    PermitApplication,
    PermitDocument,
    Receipt,
    Region,
    User,
)
from portal.models.user import MUNICIPAL_ROLES, ORG_ROLES

ScopeKind = Literal["organisation", "municipality", "system", "none"]
M = TypeVar("M")


@dataclass(frozen=True)
class Scope:
    """What a user may see: their organisation, their municipality, everything, or nothing."""

    kind: ScopeKind
    tenant_id: int | None = None


NOTHING = Scope("none")
ALL = "*"  # the whole table is visible to this kind of user (reference data)


def _address_of_organisation(organisation_id: int | None) -> ColumnElement[bool]:
    """The register's addresses, and an unregistered (hand-entered) address only for the
    organisations that entered it or declared there (issue 21): not reference data."""
    return or_(
        Address.verified,
        and_(
            Address.retired_at.is_(None),
            or_(
                exists().where(
                    AddressEntry.address_id == Address.id,
                    AddressEntry.organisation_id == organisation_id,
                ),
                exists().where(
                    Declaration.address_id == Address.id,
                    Declaration.organisation_id == organisation_id,
                ),
            ),
        ),
    )


# model → {scope kind → column holding the tenant id, ALL, or a condition on the tenant id}
Rule = str | Callable[[int | None], ColumnElement[bool]]


def _organisation_declaring_in(municipality_id: int | None) -> ColumnElement[bool]:
    """An organisation that filed a declaration at an address of the municipality: its name,
    KvK number and contact details are for the municipality's inspectors (issue 20)."""
    return exists().where(
        Declaration.organisation_id == Organisation.id,
        Declaration.municipality_id == municipality_id,
    )


RULES: dict[type[Any], dict[str, Rule]] = {
    Organisation: {
        "organisation": "id",
        "municipality": _organisation_declaring_in,
        "system": ALL,
    },
    User: {"organisation": "organisation_id", "municipality": "municipality_id", "system": ALL},
    # The address register is reference data every declarant may look up, an unregistered address
    # is not; inspectors see their own municipality only.
    Address: {
        "organisation": _address_of_organisation,
        "municipality": "municipality_id",
        "system": ALL,
    },
    # An organisation's own entries of unregistered addresses; a municipality those that name it.
    AddressEntry: {
        "organisation": "organisation_id",
        "municipality": "municipality_id",
        "system": ALL,
    },
    Municipality: {"organisation": ALL, "municipality": "id", "system": ALL},
    MunicipalPolicy: {"municipality": "municipality_id", "system": ALL},
    Declaration: {
        "organisation": "organisation_id",
        "municipality": "municipality_id",
        "system": ALL,
    },
    Receipt: {"organisation": "organisation_id", "municipality": "municipality_id", "system": ALL},
    Flag: {"municipality": "municipality_id", "system": ALL},
    Permit: {
        "organisation": "holder_organisation_id",
        "municipality": "municipality_id",
        "system": ALL,
    },
    PermitApplication: {
        "organisation": "organisation_id",
        "municipality": "municipality_id",
        "system": ALL,
    },
    PermitDocument: {
        "organisation": "organisation_id",
        "municipality": "municipality_id",
        "system": ALL,
    },
    ApiKey: {"organisation": "organisation_id", "municipality": "municipality_id", "system": ALL},
    Batch: {"organisation": "organisation_id", "system": ALL},
    BatchUpload: {"organisation": "organisation_id"},
    AuditEvent: {
        "organisation": "organisation_id",
        "municipality": "municipality_id",
        "system": ALL,
    },
    # Regions are managed by the operator; a municipality reaches its own region only through
    # ``region_of`` (regional insight), never by id.
    Region: {"system": ALL},
    # The mandates an organisation granted; those it holds are read by KvK number through
    # ``services.mandates.received`` (read-only, never by id).
    Mandate: {"organisation": "grantor_organisation_id", "system": ALL},
    MonthlyStatistic: {"municipality": "municipality_id", "system": ALL},
}


def scope_of(user: Any) -> Scope:
    """The scope of a logged-in user; anonymous users and unknown roles get NOTHING."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if user.role in ORG_ROLES and user.organisation_id is not None:
        return Scope("organisation", user.organisation_id)
    if user.role in MUNICIPAL_ROLES and user.municipality_id is not None:
        return Scope("municipality", user.municipality_id)
    if user.role == "system_admin":
        return Scope("system")
    return NOTHING


def condition(model: type[Any], scope: Scope) -> ColumnElement[bool]:
    """The tenant filter for ``model`` under ``scope``, as a condition."""
    rule = RULES.get(model, {}).get(scope.kind)
    if rule is None:
        return false()
    if rule == ALL:
        return true()
    if callable(rule):
        return rule(scope.tenant_id)
    column: ColumnElement[bool] = getattr(model, rule) == scope.tenant_id
    return column


def restrict(stmt: Select[Any], model: type[Any], scope: Scope) -> Select[Any]:
    """Add the tenant filter for ``model`` under ``scope`` to ``stmt``."""
    rule = RULES.get(model, {}).get(scope.kind)
    if rule == ALL:
        return stmt
    return stmt.where(condition(model, scope))


def restrict_any(stmt: Select[Any], model: type[Any], scopes: list[Scope]) -> Select[Any]:
    """Add a filter for ``model`` that lets through what any of ``scopes`` may see (a search
    across a region: ``member_scopes``); no scopes, nothing."""
    if not scopes:
        return stmt.where(false())
    if len(scopes) == 1:
        return restrict(stmt, model, scopes[0])
    return stmt.where(or_(*(condition(model, s) for s in scopes)))


def scoped(model: type[M], scope: Scope) -> Select[tuple[M]]:
    """``select(model)`` restricted to what ``scope`` may see."""
    return restrict(select(model), model, scope)


def get_scoped_or_404(model: type[M], ident: int, scope: Scope) -> M:
    """One object by primary key, or 404 when it does not exist or belongs to another tenant."""
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
    obj = db.session.execute(scoped(model, scope).where(pk == ident)).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def member_scopes(scope: Scope) -> list[tuple[Municipality, Scope]]:
    """The other municipalities of a municipal user's region, each with the scope its own users
    have: for a search across the region under a data-sharing agreement, which the caller checks
    (``services.regions.agreement_in_force``). Empty without a region."""
    found = region_of(scope)
    if found is None:
        return []
    _region, members = found
    return [(m, Scope("municipality", m.id)) for m in members if m.id != scope.tenant_id]


def organisation_admins(organisation_ids: list[int], scope: Scope) -> dict[int, list[User]]:
    """The active administrators of the organisations among ``organisation_ids`` that ``scope``
    may see (a municipality: those that declared there), by organisation: whom an inspector may
    contact about an address (issue 20)."""
    if not organisation_ids:
        return {}
    visible = restrict(select(Organisation.id), Organisation, scope).where(
        Organisation.id.in_(organisation_ids)
    )
    users = db.session.execute(
        select(User)
        .where(
            User.organisation_id.in_(visible),
            User.role == "org_admin",
            User.active.is_(True),
            User.removed_at.is_(None),
        )
        .order_by(User.email)
    ).scalars()
    found: dict[int, list[User]] = {}
    for user in users:
        found.setdefault(user.organisation_id or 0, []).append(user)
    return found


def municipalities_with_address_counts(scope: Scope) -> list[tuple[Municipality, int]]:
    """Each visible municipality with the number of register addresses in it."""
    from sqlalchemy import func

    stmt = (
        select(Municipality, func.count(Address.id))
        .outerjoin(Address, Address.municipality_id == Municipality.id)
        .group_by(Municipality.id)
        .order_by(Municipality.name)
    )
    return [(m, int(n)) for m, n in db.session.execute(restrict(stmt, Municipality, scope)).all()]


def region_of(scope: Scope) -> tuple[Region, list[Municipality]] | None:
    """The region of a municipal user's municipality and its members, or None (no region, or
    not a municipal user): the one gate of the regional view (docs/security.md §1)."""
    if scope.kind != "municipality" or scope.tenant_id is None:
        return None
    own = db.session.get(Municipality, scope.tenant_id)
    if own is None or own.region_id is None:
        return None
    region = db.session.get(Region, own.region_id)
    if region is None:
        return None
    members = db.session.execute(
        select(Municipality).where(Municipality.region_id == region.id).order_by(Municipality.name)
    ).scalars()
    return region, list(members)
