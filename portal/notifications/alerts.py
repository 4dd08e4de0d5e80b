"""Alerts to inspectors and notices to the support desk (notifications layer).

Everything here is written to the outbox in the caller's transaction, so an alert exists exactly
when the change that caused it was committed (DESIGN.md "Email"). Nothing here commits.

- ``alert_flag``: a flag opened, reopened, or escalated (its occupant total grew above the total
  of the last alert). Mailed at once to the alert addresses of the municipality's policy in force
  and to its active inspectors who chose "immediate".
- ``enqueue_digests``: once a day, one email per inspector who chose "digest", with the flags of
  their municipality that opened, reopened or escalated that day (from the flag history).
- ``notify_support_desk``: a declaration ended because the job ended; the support desk hears
  where and how many, so help can start before people lose their housing.

Data minimisation (AVG art. 5(1)(c) and 25): an alert names the address and the reasons and links
to the dossier; it never names an organisation and never gives occupant counts. The digest carries
links only. The support-desk notice gives a count and the last day, no organisation, no identity.
The templates receive only these values, never ORM objects, so they cannot leak more.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.domain.policy import split_addresses as policy_addresses
from portal.extensions import db
from portal.models import (
    Address,
    AuditEvent,
    Declaration,
    Flag,
    FlagEvent,
    Municipality,
    MunicipalPolicy,
    OutboxMessage,
    User,
)
from portal.notifications.outbox import enqueue_email
from portal.services import audit

# Flag history kinds that alert (sync_flag writes them).
ALERT_CHANGES = ("opened", "reopened", "escalated")
DIGEST_ACTION = "alert.digest"


# --- shared -----------------------------------------------------------------------------------


def policy_row_in_force(municipality_id: int, day: date | None = None) -> MunicipalPolicy | None:
    """The municipality's policy row in force on ``day`` (default today), or None."""
    return db.session.execute(
        select(MunicipalPolicy)
        .where(
            MunicipalPolicy.municipality_id == municipality_id,
            MunicipalPolicy.effective_from <= (day or clock.today()),
        )
        .order_by(MunicipalPolicy.effective_from.desc())
        .limit(1)
    ).scalar_one_or_none()


def split_addresses(raw: str) -> list[str]:
    """The addresses of a stored list (the policy's own separators), without repeats."""
    seen: set[str] = set()
    found: list[str] = []
    for address in policy_addresses(raw):
        if "@" in address and address.lower() not in seen:
            seen.add(address.lower())
            found.append(address)
    return found


def flag_link(flag_id: int) -> str:
    """The inspector's dossier of a flag, on the portal's public address."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/inspectie/signalen/{flag_id}"


def _locale(user: User | None) -> str:
    if user is not None and user.preferred_locale in current_app.config["LOCALES"]:
        return user.preferred_locale
    return str(current_app.config["DEFAULT_LOCALE"])


def _inspectors(municipality_ids: set[int], mode: str) -> list[User]:
    """Active inspectors of these municipalities with this alert mode."""
    if not municipality_ids:
        return []
    return list(
        db.session.execute(
            select(User)
            .where(
                User.role == "inspector",
                User.municipality_id.in_(municipality_ids),
                User.alert_mode == mode,
                User.active.is_(True),
                User.removed_at.is_(None),
            )
            .order_by(User.id)
        ).scalars()
    )


def _address_parts(address: Address) -> dict[str, str]:
    return {
        "street": address.street,
        "number": address.number_label,
        "postcode": address.postcode,
        "town": address.town,
    }


# --- immediate alerts -------------------------------------------------------------------------


def alert_flag(flag: Flag, change: str) -> list[OutboxMessage]:
    """Write the alert for a flag that ``change``\\ d (opened, reopened, escalated); no commit.

    An escalation alerts only when the total grew above the total of the last alert, so a flag
    that drops and climbs back does not alert twice for the same people.
    """
    if change not in ALERT_CHANGES:
        return []
    if (
        change == "escalated"
        and flag.alerted_occupants is not None
        and flag.occupants <= flag.alerted_occupants
    ):
        return []
    recipients: dict[str, tuple[str, str]] = {}  # lower-cased address → (address, locale)
    policy = policy_row_in_force(flag.municipality_id)
    for email in split_addresses(policy.alert_emails if policy is not None else ""):
        recipients.setdefault(email.lower(), (email, _locale(None)))
    for user in _inspectors({flag.municipality_id}, "immediate"):
        recipients[user.email.lower()] = (user.email, _locale(user))
    address = db.session.get(Address, flag.address_id)
    municipality = db.session.get(Municipality, flag.municipality_id)
    assert address is not None and municipality is not None
    context: dict[str, Any] = {
        "change": change,
        "flag_id": flag.id,
        "address": _address_parts(address),
        "municipality": municipality.name,
        "reasons": flag.reason_list,
        "link": flag_link(flag.id),
    }
    messages = [
        enqueue_email(email, "flag_alert", locale=locale, **context)
        for email, locale in recipients.values()
    ]
    # Recorded even without recipients: the total this change was judged at.
    flag.alerted_occupants = flag.occupants
    flag.alerted_at = clock.now()
    return messages


# --- the daily digest -------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Dutch calendar day as a UTC interval [start, end)."""
    start = datetime.combine(day, time(), tzinfo=clock.AMSTERDAM)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.AMSTERDAM)
    return start, end


def _digest_sent(user: User, day: date) -> bool:
    return (
        db.session.execute(
            select(AuditEvent.id).where(
                AuditEvent.action == DIGEST_ACTION,
                AuditEvent.object_type == "user",
                AuditEvent.object_id == str(user.id),
                AuditEvent.detail == day.isoformat(),
            )
        ).first()
        is not None
    )


def enqueue_digests(day: date) -> int:
    """Write the digest of ``day`` for every inspector who chose it; returns how many (no commit).

    A digest names the flags of the inspector's municipality that opened, reopened or escalated
    that day, as links. Each one written is recorded as an audit event (``alert.digest``, the
    user, the day), so running the command again for the same day writes nothing new. An
    inspector with nothing to report that day gets no email.
    """
    start, end = _day_bounds(day)
    rows = db.session.execute(
        select(FlagEvent.flag_id, FlagEvent.kind, Flag.municipality_id)
        .join(Flag, Flag.id == FlagEvent.flag_id)
        .where(
            FlagEvent.kind.in_(ALERT_CHANGES),
            FlagEvent.occurred_at >= start,
            FlagEvent.occurred_at < end,
        )
        .order_by(FlagEvent.occurred_at, FlagEvent.id)
    ).all()
    changes: dict[int, dict[int, list[str]]] = defaultdict(dict)  # municipality → flag → kinds
    for flag_id, kind, municipality_id in rows:
        kinds = changes[municipality_id].setdefault(flag_id, [])
        if kind not in kinds:
            kinds.append(kind)
    written = 0
    for user in _inspectors(set(changes), "digest"):
        assert user.municipality_id is not None
        if _digest_sent(user, day):
            continue
        items = [
            {"flag_id": flag_id, "changes": kinds, "link": flag_link(flag_id)}
            for flag_id, kinds in changes[user.municipality_id].items()
        ]
        enqueue_email(user.email, "alert_digest", locale=_locale(user), day=day, items=items)
        audit.record(
            DIGEST_ACTION,
            actor_label="system",
            object_type="user",
            object_id=user.id,
            municipality_id=user.municipality_id,
            detail=day.isoformat(),
        )
        written += 1
    return written


# --- the safety net ---------------------------------------------------------------------------


def notify_support_desk(declaration: Declaration) -> list[OutboxMessage]:
    """Tell the support desk that people's job ended at an address (counts only); no commit.

    Only for an end filed with reason ``employment_ended``, and only when the municipality's
    policy in force names a support desk.
    """
    if declaration.kind != "end" or declaration.end_reason != "employment_ended":
        return []
    policy = policy_row_in_force(declaration.municipality_id)
    desks = split_addresses(policy.support_desk_email if policy is not None else "")
    if not desks:
        return []
    address = db.session.get(Address, declaration.address_id)
    municipality = db.session.get(Municipality, declaration.municipality_id)
    assert address is not None and municipality is not None and declaration.end_date is not None
    context: dict[str, Any] = {
        "address": _address_parts(address),
        "municipality": municipality.name,
        "people": declaration.occupants,
        "last_day": declaration.end_date,
    }
    return [enqueue_email(desk, "support_desk_notice", **context) for desk in desks]
