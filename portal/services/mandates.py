"""Mandates: grant, revoke, and the check of a filing made on behalf of another organisation
(service layer; issue 18, item 4).

An organisation's administrator grants a mandate (machtiging) to another organisation, named by
KvK number, for a period, and may revoke it. A filing with ``declared_for_kvk`` — by the form, the
API or a CSV/Excel upload — is accepted only under a mandate of that organisation, held by the
filer's KvK number, in force on the filing day (``portal.domain.mandates.in_force``); otherwise
it is refused with ``declared_for.no_mandate``. Granting and revoking are audit events for both
organisations and are emailed to both through the outbox. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal import clock
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_kvk
from portal.domain.mandates import MandatePeriod, grant_problems, in_force, status
from portal.extensions import db
from portal.models import Mandate, Organisation, User
from portal.notifications.outbox import enqueue_email
from portal.services import audit
from portal.services.errors import Refused
from portal.services.queries import Scope, scoped

NO_MANDATE = "declared_for.no_mandate"


def period(mandate: Mandate) -> MandatePeriod:
    return MandatePeriod(mandate.start_on, mandate.end_on, mandate.revoked_on)


def mandate_status(mandate: Mandate, today: date | None = None) -> str:
    return status(period(mandate), today or clock.today())


@dataclass(frozen=True)
class MandateRow:
    """A mandate as its pages show it: the other organisation's name when it is in the portal."""

    mandate: Mandate
    kvk: str
    name: str | None
    status: str


def _names(kvks: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(kvks))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Organisation.kvk_number, Organisation.name).where(
            Organisation.kvk_number.in_(wanted)
        )
    ).all()
    return {kvk: name for kvk, name in rows}


def given(scope: Scope) -> list[MandateRow]:
    """The mandates the scope's organisation granted, newest first."""
    mandates = list(
        db.session.execute(
            scoped(Mandate, scope).order_by(Mandate.granted_at.desc(), Mandate.id.desc())
        ).scalars()
    )
    names = _names(m.grantee_kvk for m in mandates)
    today = clock.today()
    return [
        MandateRow(m, m.grantee_kvk, names.get(m.grantee_kvk), mandate_status(m, today))
        for m in mandates
    ]


def received(organisation: Organisation) -> list[MandateRow]:
    """The mandates granted to this organisation's KvK number (read-only), newest first."""
    mandates = db.session.execute(
        select(Mandate)
        .where(Mandate.grantee_kvk == organisation.kvk_number)
        .order_by(Mandate.granted_at.desc(), Mandate.id.desc())
    ).scalars()
    today = clock.today()
    return [
        MandateRow(m, m.grantor.kvk_number, m.grantor.name, mandate_status(m, today))
        for m in mandates
    ]


def represented_in_force(organisation_id: int, day: date | None = None) -> dict[str, str]:
    """KvK number → name of every organisation that ``organisation_id`` may declare for on
    ``day`` (today): the grantors of mandates to its KvK number in force that day."""
    day = day or clock.today()
    holder = db.session.get(Organisation, organisation_id)
    if holder is None:
        return {}
    rows = db.session.execute(
        select(Mandate, Organisation.kvk_number, Organisation.name)
        .join(Organisation, Organisation.id == Mandate.grantor_organisation_id)
        .where(Mandate.grantee_kvk == holder.kvk_number, Mandate.start_on <= day)
        .order_by(Organisation.name)
    ).all()
    return {kvk: name for mandate, kvk, name in rows if in_force(period(mandate), day)}


def mandate_problem(
    organisation_id: int, declared_for_kvk: str | None, day: date | None = None
) -> Problem | None:
    """``declared_for.no_mandate`` for a filing for ``declared_for_kvk`` (normalised) when the
    filing organisation holds no mandate of it in force on ``day`` (today); else None."""
    if declared_for_kvk is None:
        return None
    if declared_for_kvk in represented_in_force(organisation_id, day):
        return None
    return Problem("declared_for_kvk", NO_MANDATE)


# --- granting and revoking --------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRequest:
    kvk: str
    start_on: date | None
    end_on: date | None


def _tell_both(action: str, mandate: Mandate, grantor: Organisation, actor: User) -> None:
    """Email the grantor and, when it is in the portal, the holder (their contact addresses);
    the holder gets the audit event in its own log too."""
    grantee = db.session.execute(
        select(Organisation).where(Organisation.kvk_number == mandate.grantee_kvk)
    ).scalar_one_or_none()
    for recipient, side in ((grantor, "grantor"), (grantee, "grantee")):
        if recipient is None:
            continue
        enqueue_email(
            recipient.contact_email,
            f"mandate_{action}",
            side=side,
            mandate=mandate,
            grantor=grantor,
            grantee_kvk=mandate.grantee_kvk,
            grantee_name=grantee.name if grantee is not None else None,
        )
    if grantee is not None:
        audit.record(
            f"mandate.{action}",
            actor=actor,
            object_type="mandate",
            object_id=mandate.id,
            organisation_id=grantee.id,
            detail=f"grantor {grantor.kvk_number}",
        )


def grant(user: User, request: GrantRequest) -> Mandate:
    """Grant a mandate of the user's organisation (flushed, audited, emailed)."""
    grantor = db.session.get(Organisation, user.organisation_id)
    if grantor is None:
        raise Refused.one("organisation", "organisation.required")
    problems: list[Problem] = []
    kvk = ""
    try:
        kvk = normalise_kvk(request.kvk)
    except InvalidValue as exc:
        problems.append(Problem("kvk", exc.code))
    problems += [
        p
        for p in grant_problems(
            grantor.kvk_number, kvk, request.start_on, request.end_on, clock.today()
        )
        if kvk or p.field != "kvk"
    ]
    if problems:
        raise Refused(*problems)
    assert request.start_on is not None
    mandate = Mandate(
        grantor_organisation_id=grantor.id,
        grantee_kvk=kvk,
        start_on=request.start_on,
        end_on=request.end_on,
        granted_at=clock.now(),
        granted_by_user_id=user.id,
    )
    db.session.add(mandate)
    db.session.flush()
    audit.record(
        "mandate.grant",
        actor=user,
        object_type="mandate",
        object_id=mandate.id,
        organisation_id=grantor.id,
        detail=f"holder {kvk}",
    )
    _tell_both("grant", mandate, grantor, user)
    return mandate


def revoke(user: User, mandate: Mandate) -> bool:
    """Revoke a mandate now (flushed, audited, emailed); False when it was revoked already."""
    if mandate.revoked_at is not None:
        return False
    mandate.revoked_at = clock.now()
    mandate.revoked_by_user_id = user.id
    db.session.flush()
    audit.record(
        "mandate.revoke",
        actor=user,
        object_type="mandate",
        object_id=mandate.id,
        organisation_id=mandate.grantor_organisation_id,
        detail=f"holder {mandate.grantee_kvk}",
    )
    _tell_both("revoke", mandate, mandate.grantor, user)
    return True
