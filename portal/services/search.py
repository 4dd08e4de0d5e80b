"""The inspectors' search box (service layer): one query, results grouped by kind.

The query is read by ``portal.domain.search.read_query``; each meaning it may have is looked up
here, always through the scoping helpers (``portal.services.queries``): the user's own
municipality, and — only for addresses and organisations, and only under a data-sharing agreement
in force (``services.regions.agreement_in_force``, docs/rules.md §3.2) — the other municipalities
of its region. Declarations and flags are searched in the own municipality only.

Fast on national data (docs/performance.md, ``make bench`` row S1): a street prefix is a range on
``ix_addresses_municipality_street_key`` (``LIKE 'prefix%'`` with the pattern operator class on
PostgreSQL, ``>= prefix AND < prefix_end`` in SQLite's binary order); postcodes use
``ix_addresses_municipality_postcode``; BAG ids, references and flag numbers are unique keys. Every
kind is cut at ``LIMIT`` rows. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true

from portal import clock
from portal.domain.search import Query, prefix_end, read_query
from portal.extensions import db
from portal.models import Address, Declaration, Flag, Organisation
from portal.services.queries import (
    Scope,
    member_scopes,
    region_of,
    restrict,
    restrict_any,
    scoped,
)
from portal.services.regions import agreement_in_force

# Most rows shown per kind; one more is read to say that there are more.
LIMIT = 25
# Most addresses listed under an organisation hit.
ADDRESSES_PER_ORGANISATION = 10


@dataclass(frozen=True)
class OrganisationHit:
    organisation: Organisation
    # Addresses in the own municipality with a declaration of it in force today or later.
    addresses: list[Address]
    address_count: int


@dataclass
class Results:
    query: Query
    addresses: list[Address] = field(default_factory=list)
    # Addresses in the other municipalities of the region (data-sharing agreement), no page.
    region_addresses: list[Address] = field(default_factory=list)
    organisations: list[OrganisationHit] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    # The kinds cut at LIMIT.
    more: set[str] = field(default_factory=set)
    region_searched: bool = False

    @property
    def total(self) -> int:
        return (
            len(self.addresses)
            + len(self.region_addresses)
            + len(self.organisations)
            + len(self.declarations)
            + len(self.flags)
        )


T = TypeVar("T")


def _cut(results: Results, kind: str, rows: list[T]) -> list[T]:
    if len(rows) > LIMIT:
        results.more.add(kind)
    return rows[:LIMIT]


def _street_prefix(prefix: str) -> ColumnElement[bool]:
    if db.session.get_bind().dialect.name == "postgresql":
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return Address.street_key.like(escaped + "%", escape="\\")
    return (Address.street_key >= prefix) & (Address.street_key < prefix_end(prefix))


def _address_conditions(query: Query) -> list[ColumnElement[bool]]:
    """One condition per way the query may name addresses (postcode, street, BAG id)."""
    found: list[ColumnElement[bool]] = []
    number: list[ColumnElement[bool]] = []
    if query.house_number is not None:
        number.append(Address.house_number == query.house_number)
        if query.house_letter:
            number.append(Address.house_letter == query.house_letter)
    if query.postcode is not None:
        found.append((Address.postcode == query.postcode) & _all(number))
    if query.street_prefix:
        found.append(_street_prefix(query.street_prefix) & _all(number))
    if query.bag_id is not None:
        found.append(
            (Address.nummeraanduiding_id == query.bag_id)
            | (Address.verblijfsobject_id == query.bag_id)
        )
    return found


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(true(), *conditions)


def _addresses(stmt: Select[tuple[Address]], query: Query) -> list[Address]:
    """The addresses of ``stmt`` (already scoped) that the query names, in register order; one
    statement per way of naming them, so each uses its own index."""
    rows: dict[int, Address] = {}
    for condition in _address_conditions(query):
        found = db.session.execute(
            stmt.where(condition, Address.retired_at.is_(None))
            .order_by(
                Address.street_key,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
                Address.id,
            )
            .limit(LIMIT + 1)
        ).scalars()
        for address in found:
            rows.setdefault(address.id, address)
    return sorted(
        rows.values(),
        key=lambda a: (a.street_key, a.house_number, a.house_letter, a.house_number_addition),
    )


def _organisation_condition(query: Query) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if query.kvk is not None:
        conditions.append(Organisation.kvk_number == query.kvk)
    if query.name:
        words = {query.name, query.text.casefold()}
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(func.lower(Organisation.name).like(f"%{escaped}%", escape="\\"))
    return or_(*conditions) if conditions else None


def _organisation_hits(
    organisations: list[Organisation], scope: Scope, today: date
) -> list[OrganisationHit]:
    """Each organisation with the own municipality's addresses where it has a declaration that
    has not ended before ``today`` (the first few, and how many): two statements, whatever the
    number of organisations."""
    if not organisations:
        return []
    pairs = db.session.execute(
        restrict(select(Declaration.organisation_id, Declaration.address_id), Declaration, scope)
        .where(
            Declaration.organisation_id.in_([o.id for o in organisations]),
            or_(Declaration.end_date.is_(None), Declaration.end_date >= today),
        )
        .distinct()
    ).all()
    by_organisation: dict[int, set[int]] = {}
    for organisation_id, address_id in pairs:
        by_organisation.setdefault(organisation_id, set()).add(address_id)
    shown = {o: sorted(ids)[:ADDRESSES_PER_ORGANISATION] for o, ids in by_organisation.items()}
    wanted = {i for ids in shown.values() for i in ids}
    addresses = (
        {
            a.id: a
            for a in db.session.execute(
                scoped(Address, scope).where(Address.id.in_(wanted))
            ).scalars()
        }
        if wanted
        else {}
    )

    def order(a: Address) -> tuple[str, int, str, str]:
        return (a.street_key, a.house_number, a.house_letter, a.house_number_addition)

    return [
        OrganisationHit(
            o,
            sorted((addresses[i] for i in shown.get(o.id, []) if i in addresses), key=order),
            len(by_organisation.get(o.id, ())),
        )
        for o in organisations
    ]


def search(raw: str, scope: Scope) -> Results:
    """Everything ``raw`` may name that ``scope`` may see, grouped by kind."""
    query = read_query(raw)
    results = Results(query)
    if query.empty:
        return results
    today = clock.today()
    own = _addresses(scoped(Address, scope), query)
    results.addresses = _cut(results, "addresses", own)

    scopes = [scope]
    found = region_of(scope)
    if found is not None and agreement_in_force(found[0], today):
        others = member_scopes(scope)
        scopes += [s for _m, s in others]
        results.region_searched = bool(others)
        if others:
            stmt = restrict_any(select(Address), Address, [s for _m, s in others])
            results.region_addresses = _cut(results, "region_addresses", _addresses(stmt, query))

    condition = _organisation_condition(query)
    if condition is not None:
        organisations = list(
            db.session.execute(
                restrict_any(select(Organisation), Organisation, scopes)
                .where(condition)
                .order_by(Organisation.name, Organisation.id)
                .limit(LIMIT + 1)
            ).scalars()
        )
        results.organisations = _organisation_hits(
            _cut(results, "organisations", organisations), scope, today
        )

    if query.reference is not None:
        results.declarations = list(
            db.session.execute(
                scoped(Declaration, scope).where(Declaration.reference == query.reference)
            ).scalars()
        )
    if query.flag_id is not None:
        results.flags = list(
            db.session.execute(scoped(Flag, scope).where(Flag.id == query.flag_id)).scalars()
        )
    return results
