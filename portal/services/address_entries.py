"""Entries of unregistered addresses and the municipal conflict queue (service layer).

An address the register lacks has one row (services.declarations.resolve_manual_address); each
organisation's entry of it is kept as entered (``AddressEntry``). The first entry's street, town
and municipality are the row's. A later entry that disagrees (``domain.address_entries``) is
stored ``open``: its declaration still counts at the one row, and the address waits in the queue
of the municipal admins of every municipality involved (the row's and the entries'). Nothing is
merged until one of them decides:

- **confirm** an entry: the address takes its values (and moves to its municipality);
- **correct**: the address takes values the admin types;
- **link to the register**: the declarations (and permits) move to the register address at the
  same postcode and number, and the unregistered row is retired (``replaced_by_id``: a later
  hand entry of it files at the register address).

Each decision re-judges the occupancy of the address(es) at once (``flags.evaluate_address`` and
``flags.sync_flag``, as a filing does), is audited, and closes the conflict. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain.address import normalise_place_name
from portal.domain.address_entries import Place, differences, disagree
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_municipality_code
from portal.extensions import db
from portal.models import (
    Address,
    AddressEntry,
    Declaration,
    Flag,
    Municipality,
    Permit,
    User,
)
from portal.services import audit
from portal.services.errors import Refused
from portal.services.flags import evaluate_address, sync_flag
from portal.services.queries import Scope, restrict, scoped

# The states an entry keeps while the address holds (or may come to hold) its values.
_STANDING = ("accepted", "open", "confirmed")


def place_of(entry: AddressEntry | Address) -> Place:
    return Place(entry.street, entry.town, entry.municipality_id)


def record_entry(address: Address, organisation_id: int, place: Place) -> AddressEntry | None:
    """Keep an organisation's entry of the (locked) unregistered ``address``: ``accepted`` when
    it agrees with the row's values, ``open`` (a conflict) when not. An entry the organisation
    already made with the same values is not repeated (None)."""
    for earlier in db.session.execute(
        select(AddressEntry).where(
            AddressEntry.address_id == address.id,
            AddressEntry.organisation_id == organisation_id,
            AddressEntry.state.in_(_STANDING),
        )
    ).scalars():
        if place_of(earlier) == place:
            return None
    current = place_of(address)
    conflict = disagree(current, place)
    entry = AddressEntry(
        address_id=address.id,
        organisation_id=organisation_id,
        street=place.street,
        town=place.town,
        municipality_id=place.municipality_id,
        entered_at=clock.now(),
        state="open" if conflict else "accepted",
    )
    db.session.add(entry)
    if conflict:
        audit.record(
            "address.conflict",
            object_type="address",
            object_id=address.id,
            organisation_id=organisation_id,
            municipality_id=address.municipality_id,
            detail=",".join(differences(current, place)),
        )
    db.session.flush()
    return entry


# --- the queue ----------------------------------------------------------------------------------


@dataclass
class Conflict:
    """An unregistered address with disagreeing entries, as the queue shows it."""

    address: Address
    entries: list[AddressEntry]
    municipalities: list[Municipality] = field(default_factory=list)
    candidates: list[Address] = field(default_factory=list)


def _involving(scope: Scope) -> ColumnElement[bool]:
    """The addresses a municipal scope is involved in: its own, and those an entry places in it."""
    return or_(
        Address.id.in_(restrict(select(Address.id), Address, scope)),
        Address.id.in_(scoped(AddressEntry, scope).with_only_columns(AddressEntry.address_id)),
    )


def _open_query(scope: Scope):  # type: ignore[no-untyped-def]
    has_open = exists().where(AddressEntry.address_id == Address.id, AddressEntry.state == "open")
    stmt = select(Address).where(~Address.verified, Address.retired_at.is_(None), has_open)
    if scope.kind != "municipality":
        return stmt.where(Address.id.is_(None))  # the queue is the municipalities' own
    return stmt.where(_involving(scope))


def _conflict(address: Address) -> Conflict:
    entries = list(
        db.session.execute(
            select(AddressEntry)
            .where(AddressEntry.address_id == address.id)
            .options(selectinload(AddressEntry.municipality))
            .order_by(AddressEntry.entered_at, AddressEntry.id)
        ).scalars()
    )
    ids = {address.municipality_id} | {e.municipality_id for e in entries}
    municipalities = list(
        db.session.execute(
            select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.name)
        ).scalars()
    )
    return Conflict(address, entries, municipalities, register_candidates(address))


def open_conflicts(scope: Scope) -> list[Conflict]:
    """The open conflicts the municipal scope is involved in, oldest address first."""
    rows = db.session.execute(
        _open_query(scope).options(selectinload(Address.municipality)).order_by(Address.id)
    ).scalars()
    return [_conflict(address) for address in rows]


def open_conflict_count(scope: Scope) -> int:
    """How many open conflicts the municipal scope is involved in (one query)."""
    stmt = select(func.count()).select_from(_open_query(scope).subquery())
    return int(db.session.execute(stmt).scalar_one())


def open_conflict(scope: Scope, address_id: int) -> Conflict | None:
    """One open conflict the scope is involved in, or None (the view answers 404)."""
    address = db.session.execute(
        _open_query(scope)
        .options(selectinload(Address.municipality))
        .where(Address.id == address_id)
    ).scalar_one_or_none()
    return _conflict(address) if address is not None else None


def register_candidates(address: Address) -> list[Address]:
    """The register's addresses at the same postcode and house number."""
    return list(
        db.session.execute(
            select(Address)
            .where(
                Address.verified,
                Address.postcode == address.postcode,
                Address.house_number == address.house_number,
            )
            .order_by(Address.house_letter, Address.house_number_addition, Address.id)
        ).scalars()
    )


# --- the decisions ------------------------------------------------------------------------------


def _locked(ids: list[int]) -> None:
    """Lock the address rows in id order (as a filing locks one), loaded fresh."""
    db.session.execute(
        select(Address)
        .where(Address.id.in_(ids))
        .order_by(Address.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def _locked_conflict(scope: Scope, address_id: int) -> Conflict:
    _locked([address_id])
    conflict = open_conflict(scope, address_id)
    if conflict is None:  # decided meanwhile, or not this municipality's
        raise Refused.one("address", "address_conflict.closed")
    return conflict


def _rejudge(address: Address, actor: User) -> None:
    """Judge the address again at once, as a filing does, and bring its flag in line."""
    sync_flag(address, evaluate_address(address), actor)


def _decide_entries(conflict: Conflict, place: Place | None, actor: User) -> None:
    """Close the conflict: each entry that agrees with the decided values is ``confirmed``, the
    others ``set_aside`` (all of them when the address went to the register)."""
    now = clock.now()
    for entry in conflict.entries:
        agrees = place is not None and not disagree(place, place_of(entry))
        entry.state = "confirmed" if agrees else "set_aside"
        entry.decided_at = now
        entry.decided_by_user_id = actor.id


def _take(conflict: Conflict, place: Place, actor: User, how: str) -> Address:
    address = conflict.address
    before = place_of(address)
    address.street, address.town = place.street, place.town
    address.updated_at = clock.now()
    if place.municipality_id != address.municipality_id:
        # The address moves: its declarations and flags go with it to the other municipality.
        address.municipality_id = place.municipality_id
        db.session.execute(
            update(Declaration)
            .where(Declaration.address_id == address.id)
            .values(municipality_id=place.municipality_id)
        )
        db.session.execute(
            update(Flag)
            .where(Flag.address_id == address.id)
            .values(municipality_id=place.municipality_id)
        )
    _decide_entries(conflict, place, actor)
    db.session.flush()
    _rejudge(address, actor)
    audit.record(
        "address.decision",
        actor=actor,
        object_type="address",
        object_id=address.id,
        detail=f"{how};changed={','.join(differences(before, place)) or 'nothing'}"
        f";municipality_id={place.municipality_id}",
    )
    db.session.flush()
    return address


def confirm_entry(actor: User, scope: Scope, address_id: int, entry_id: int | None) -> Address:
    """The address takes the values of one of its entries."""
    conflict = _locked_conflict(scope, address_id)
    entry = next((e for e in conflict.entries if e.id == entry_id), None)
    if entry is None:
        raise Refused.one("entry", "address_conflict.entry_unknown")
    return _take(conflict, place_of(entry), actor, f"confirm;entry={entry.id}")


def correct(
    actor: User, scope: Scope, address_id: int, street: str, town: str, municipality_code: str
) -> Address:
    """The address takes the street, town and municipality the admin typed."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    for name, raw, max_length in (("street", street, 120), ("town", town, 80)):
        try:
            names[name] = normalise_place_name(raw)
        except InvalidValue as exc:
            problems.append(Problem(name, exc.code))
            continue
        if not names[name]:
            problems.append(Problem(name, f"{name}.required"))
        elif len(names[name]) > max_length:
            problems.append(Problem(name, "field.too_long"))
    municipality = None
    try:
        code = normalise_municipality_code(municipality_code)
        municipality = db.session.execute(
            select(Municipality).where(Municipality.code == code)
        ).scalar_one_or_none()
        if municipality is None:
            problems.append(Problem("municipality", "municipality.unknown"))
    except InvalidValue as exc:
        problems.append(Problem("municipality", exc.code))
    if problems:
        raise Refused(*problems)
    assert municipality is not None
    conflict = _locked_conflict(scope, address_id)
    place = Place(names["street"], names["town"], municipality.id)
    return _take(conflict, place, actor, "correct")


def link_to_register(
    actor: User, scope: Scope, address_id: int, register_id: int | None
) -> Address:
    """The declarations move to the register address this one is; the row is retired."""
    conflict = _locked_conflict(scope, address_id)
    target = next((a for a in conflict.candidates if a.id == register_id), None)
    if target is None:
        raise Refused.one("register_address", "address_conflict.not_a_candidate")
    _locked(sorted({address_id, target.id}))
    retired = conflict.address
    db.session.execute(
        update(Declaration)
        .where(Declaration.address_id == retired.id)
        .values(address_id=target.id, municipality_id=target.municipality_id)
    )
    # Permits go along: they make the address lawful, and the judgement reads them there.
    db.session.execute(
        update(Permit)
        .where(Permit.address_id == retired.id)
        .values(address_id=target.id, municipality_id=target.municipality_id)
    )
    retired.retired_at = clock.now()
    retired.replaced_by_id = target.id
    _decide_entries(conflict, None, actor)
    db.session.flush()
    db.session.expire_all()
    _rejudge(retired, actor)
    _rejudge(target, actor)
    audit.record(
        "address.decision",
        actor=actor,
        object_type="address",
        object_id=retired.id,
        detail=f"link;register_address={target.id}",
    )
    db.session.flush()
    return target
