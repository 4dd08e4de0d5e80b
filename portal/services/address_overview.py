"""Everything about one address for its municipality's inspectors (service layer, issue 20).

The address page of every address of the municipality, flagged or not: the occupancy from today,
the declarations in force with their organisations, the organisations' contact details (their
administrators' email addresses and the phone number of the organisation), the permits, and every
flag with its outcome and notes. Reads only, each through the scoping helpers
(``portal.services.queries``): an address of another municipality answers 404 before anything
is read, as the dossier does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from portal import clock
from portal.domain.occupancy import Evaluation
from portal.extensions import db
from portal.models import Address, Flag, FlagEvent, Organisation, User
from portal.services.flags import evaluate_address
from portal.services.inspection import (
    DeclarationInForce,
    PermitRow,
    declarations_in_force,
    flags_of_address,
    permit_rows,
    users_by_id,
)
from portal.services.queries import Scope, get_scoped_or_404, organisation_admins


@dataclass(frozen=True)
class Contact:
    """An organisation with a declaration in force at the address, and how to reach it."""

    organisation: Organisation
    occupants_today: int
    admins: list[User]


@dataclass
class AddressOverview:
    address: Address
    evaluation: Evaluation
    declarations: list[DeclarationInForce]
    total_today: int
    contacts: list[Contact]
    permits: list[PermitRow]
    flags: list[Flag]
    # The notes of all the address's flags, newest first.
    notes: list[FlagEvent] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)


def address_overview(address_id: int, scope: Scope) -> AddressOverview:
    """The address page's content; 404 for an address the scope may not see."""
    address = get_scoped_or_404(Address, address_id, scope)
    today = clock.today()
    declarations = declarations_in_force(address, scope, today)
    active = [r for r in declarations if r.state == "active"]
    organisations: dict[int, Organisation] = {}
    counts: dict[int, int] = {}
    for row in declarations:
        organisation = row.declaration.organisation
        organisations.setdefault(organisation.id, organisation)
        counts.setdefault(organisation.id, 0)
    for row in active:
        counts[row.declaration.organisation_id] += row.declaration.occupants
    admins = organisation_admins(list(organisations), scope)
    contacts = sorted(
        (Contact(o, counts[o.id], admins.get(o.id, [])) for o in organisations.values()),
        key=lambda c: (c.organisation.name, c.organisation.id),
    )
    flags = flags_of_address(address, scope)
    notes = (
        list(
            db.session.execute(
                select(FlagEvent)
                .where(FlagEvent.flag_id.in_([f.id for f in flags]), FlagEvent.kind == "note")
                .order_by(FlagEvent.occurred_at.desc(), FlagEvent.id.desc())
            ).scalars()
        )
        if flags
        else []
    )
    return AddressOverview(
        address=address,
        evaluation=evaluate_address(address),
        declarations=declarations,
        total_today=sum(r.declaration.occupants for r in active),
        contacts=contacts,
        permits=permit_rows(address, scope, today),
        flags=flags,
        notes=notes,
        users=users_by_id(scope, (n.actor_user_id for n in notes)),
    )
