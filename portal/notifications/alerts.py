"""Alerts to inspectors and notices to the support desk (notifications layer).

Everything here is written to the outbox in the caller's transaction, so an alert exists exactly
when the change that caused it was committed (docs/architecture.md §3.4). Nothing here commits.

- ``alert_flags``: a flag opened, reopened, or escalated (its occupant total grew above the total
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
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
from portal.notifications.outbox import enqueue_email, enqueue_many, render_email
from portal.services import audit
from portal.services.bulk import CHUNK, chunks, member_of

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


def alert_flags(changes: Sequence[tuple[Flag, str]]) -> int:
    """Write the alerts for flags that changed (opened, reopened, escalated); no commit.

    An escalation alerts only when the total grew above the total of the last alert, so a flag
    that drops and climbs back does not alert twice for the same people. Each municipality's
    policy, inspectors and name are read once and the messages written with one statement,
    whatever the number of flags. Returns the number of messages.
    """
    due = [
        (flag, change)
        for flag, change in changes
        if change in ALERT_CHANGES
        and not (
            change == "escalated"
            and flag.alerted_occupants is not None
            and flag.occupants <= flag.alerted_occupants
        )
    ]
    if not due:
        return 0
    municipality_ids = {flag.municipality_id for flag, _ in due}
    recipients: dict[int, dict[str, tuple[str, str]]] = {}  # municipality → lower-cased → …
    for municipality_id in municipality_ids:
        policy = policy_row_in_force(municipality_id)
        found = recipients[municipality_id] = {}
        for email in split_addresses(policy.alert_emails if policy is not None else ""):
            found.setdefault(email.lower(), (email, _locale(None)))
    for user in _inspectors(municipality_ids, "immediate"):
        assert user.municipality_id is not None
        recipients[user.municipality_id][user.email.lower()] = (user.email, _locale(user))
    names = dict(
        db.session.execute(
            select(Municipality.id, Municipality.name).where(Municipality.id.in_(municipality_ids))
        ).all()
    )
    addresses = _addresses({flag.address_id for flag, _ in due})
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        if not has_request_context():
            # One request context for all the emails (render_email would push one per email).
            base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
            stack.enter_context(current_app.test_request_context(base_url=base))
        for flag, change in due:
            context: dict[str, Any] = {
                "change": change,
                "flag_id": flag.id,
                "address": _address_parts(addresses[flag.address_id]),
                "municipality": names[flag.municipality_id],
                "reasons": flag.reason_list,
                "link": flag_link(flag.id),
            }
            rows.extend(
                render_email(email, "flag_alert", locale=locale, **context)
                for email, locale in recipients[flag.municipality_id].values()
            )
    enqueue_many(rows)
    # Recorded even without recipients: the total each change was judged at.
    now = clock.now()
    flag_ids = [flag.id for flag, _ in due]
    for chunk in chunks(flag_ids, CHUNK):
        db.session.execute(
            update(Flag.__table__)
            .where(member_of(Flag.__table__.c.id, chunk))
            .values(alerted_occupants=Flag.__table__.c.occupants, alerted_at=now)
        )
    for flag, _ in due:
        set_committed_value(flag, "alerted_occupants", flag.occupants)
        set_committed_value(flag, "alerted_at", now)
    return len(rows)


def _addresses(ids: set[int]) -> dict[int, Address]:
    """These addresses, from the session where loaded, else in one query per 2,000."""
    found: dict[int, Address] = {}
    missing: list[int] = []
    for address_id in sorted(ids):
        loaded = db.session.identity_map.get(identity_key(Address, address_id))
        if loaded is not None:
            found[address_id] = loaded  # type: ignore[assignment]
        else:
            missing.append(address_id)
    for chunk in chunks(missing, CHUNK):
        found.update(
            (a.id, a)
            for a in db.session.execute(
                select(Address).where(member_of(Address.id, chunk))
            ).scalars()
        )
    return found


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
