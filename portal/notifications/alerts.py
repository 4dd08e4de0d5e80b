"""Alerts to inspectors and notices to the support desk (notifications layer).

Everything here is written to the outbox in the caller's transaction, so an alert exists exactly
when the change that caused it was committed (docs/architecture.md §3.4). Nothing here commits.

- ``alert_flags``: a flag opened, reopened, escalated (its occupant total grew above the total
  of the last alert) or changed otherwise. For each of the alert addresses of the municipality's
  policy in force and its active inspectors who chose "immediate", ``portal.domain.alerts.decide``
  says whether it goes at once, waits for that recipient's digest, or is no news: at most one
  immediate alert per recipient and address in 24 hours unless the severity level rises or a new
  reason appears (docs/rules.md §1.9). The last immediate alert per recipient and address is an
  ``AlertMark``; a held-back change an ``AlertDigestLine`` (one per recipient, address, reasons
  and day), so judging the same situation twice writes nothing new.
- ``enqueue_digests``: once a day, one email per inspector who chose "digest", with the flags of
  their municipality that opened, reopened or escalated that day (from the flag history); and
  one per other recipient with changes held back that day.
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
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal import clock
from portal.domain.alerts import (
    DIGEST,
    IMMEDIATE,
    LastAlert,
    Situation,
    decide,
    reason_set,
    severity_level,
)
from portal.domain.policy import split_addresses as policy_addresses
from portal.extensions import db
from portal.models import (
    Address,
    AlertDigestLine,
    AlertMark,
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
# An "updated" flag (fewer people, other reasons, another limit) alerts only when its severity
# level rose or a reason is new for the recipient (portal.domain.alerts.decide).
JUDGED_CHANGES = (*ALERT_CHANGES, "updated")
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
    """Write the alerts for flags that changed; no commit. Returns the number of emails.

    An escalation counts as one only when the total grew above the total of the last alert of
    the flag, so a flag that drops and climbs back is not news (it is judged as an update: only a
    higher severity level or a new reason alerts). Then, per recipient, the rule of
    ``portal.domain.alerts.decide`` against that recipient's last immediate alert for the
    address: an email now (and the mark moves), a line for the digest, or nothing. Each
    municipality's policy, inspectors and name are read once, the marks in one query per 2,000
    addresses, and the emails written with one statement, whatever the number of flags.
    """
    due = [
        (flag, "updated" if _climbed_back(flag, change) else change)
        for flag, change in changes
        if change in JUDGED_CHANGES
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
    address_ids = {flag.address_id for flag, _ in due}
    addresses = _addresses(address_ids)
    now = clock.now()
    day = now.astimezone(clock.AMSTERDAM).date()
    marks, held = _bookkeeping(sorted(address_ids), day)
    known = set(marks)  # the marks already stored
    moved: dict[tuple[str, int], dict[str, Any]] = {}  # the marks this call moves
    lines: list[dict[str, Any]] = []  # the changes held back for digests
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        if not has_request_context():
            # One request context for all the emails (render_email would push one per email).
            base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
            stack.enter_context(current_app.test_request_context(base_url=base))
        for flag, change in due:
            situation = Situation(
                at=now,
                severity=severity_level(flag.over_ratio),
                reasons=reason_set(flag.reasons),
                occupants=flag.occupants,
                change=change,
            )
            reasons = ",".join(sorted(situation.reasons))
            context: dict[str, Any] | None = None
            for key, (email, locale) in recipients[flag.municipality_id].items():
                decision = decide(marks.get((key, flag.address_id)), situation)
                if decision == IMMEDIATE:
                    if context is None:
                        context = {
                            "change": change,
                            "flag_id": flag.id,
                            "address": _address_parts(addresses[flag.address_id]),
                            "municipality": names[flag.municipality_id],
                            "reasons": flag.reason_list,
                            "link": flag_link(flag.id),
                        }
                    rows.append(render_email(email, "flag_alert", locale=locale, **context))
                    marks[(key, flag.address_id)] = LastAlert(
                        now, situation.severity, situation.reasons, situation.occupants
                    )
                    moved[(key, flag.address_id)] = {
                        "recipient": key,
                        "address_id": flag.address_id,
                        "flag_id": flag.id,
                        "alerted_at": now,
                        "severity": situation.severity,
                        "reasons": reasons,
                        "occupants": situation.occupants,
                    }
                elif decision == DIGEST and (key, flag.address_id, reasons) not in held:
                    held.add((key, flag.address_id, reasons))
                    lines.append(
                        {
                            "recipient": key,
                            "locale": locale,
                            "address_id": flag.address_id,
                            "flag_id": flag.id,
                            "day": day,
                            "reasons": reasons,
                            "change": change,
                            "created_at": now,
                        }
                    )
    _write_bookkeeping(list(moved.values()), known, lines)
    enqueue_many(rows)
    # Recorded even without recipients: the total each worsening was judged at.
    flag_ids = [flag.id for flag, change in due if change in ALERT_CHANGES]
    for chunk in chunks(flag_ids, CHUNK):
        db.session.execute(
            update(Flag.__table__)
            .where(member_of(Flag.__table__.c.id, chunk))
            .values(alerted_occupants=Flag.__table__.c.occupants, alerted_at=now)
        )
    for flag, change in due:
        if change in ALERT_CHANGES:
            set_committed_value(flag, "alerted_occupants", flag.occupants)
            set_committed_value(flag, "alerted_at", now)
    return len(rows)


def _climbed_back(flag: Flag, change: str) -> bool:
    """An escalation to a total not above the one the flag last alerted at."""
    return (
        change == "escalated"
        and flag.alerted_occupants is not None
        and flag.occupants <= flag.alerted_occupants
    )


def _bookkeeping(
    address_ids: Sequence[int], day: date
) -> tuple[dict[tuple[str, int], LastAlert], set[tuple[str, int, str]]]:
    """The last immediate alert per (recipient, address) of these addresses, and the digest
    lines already held back on ``day`` as (recipient, address, reasons); two queries per 2,000
    addresses."""
    marks: dict[tuple[str, int], LastAlert] = {}
    held: set[tuple[str, int, str]] = set()
    table = AlertMark.__table__
    lines = AlertDigestLine.__table__
    for chunk in chunks(address_ids, CHUNK):
        for row in db.session.execute(
            select(table).where(member_of(table.c.address_id, chunk))
        ).mappings():
            marks[(row["recipient"], row["address_id"])] = LastAlert(
                at=row["alerted_at"],
                severity=row["severity"],
                reasons=reason_set(row["reasons"]),
                occupants=row["occupants"],
            )
        held.update(
            (recipient, address_id, reasons)
            for recipient, address_id, reasons in db.session.execute(
                select(lines.c.recipient, lines.c.address_id, lines.c.reasons).where(
                    member_of(lines.c.address_id, chunk), lines.c.day == day
                )
            ).all()
        )
    return marks, held


_MARK_VALUES = ("flag_id", "alerted_at", "severity", "reasons", "occupants")


def _write_bookkeeping(
    moved: list[dict[str, Any]], known: set[tuple[str, int]], lines: list[dict[str, Any]]
) -> None:
    """Move the marks of the immediate alerts just written and keep the held-back lines: an
    update, an insert of the new marks and an insert of the lines, one statement each."""
    table = AlertMark.__table__
    if moved:
        again = [m for m in moved if (m["recipient"], m["address_id"]) in known]
        first = [m for m in moved if (m["recipient"], m["address_id"]) not in known]
        if again:
            db.session.execute(
                update(table)
                .where(
                    table.c.recipient == bindparam("mark_recipient"),
                    table.c.address_id == bindparam("mark_address_id"),
                )
                .values({name: bindparam(f"new_{name}") for name in _MARK_VALUES}),
                [
                    {
                        "mark_recipient": m["recipient"],
                        "mark_address_id": m["address_id"],
                        **{f"new_{k}": m[k] for k in _MARK_VALUES},
                    }
                    for m in again
                ],
            )
        if first:
            db.session.execute(insert(table), first)
    if lines:
        db.session.execute(insert(AlertDigestLine.__table__), lines)


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
    readers: set[str] = set()
    for user in _inspectors(set(changes), "digest"):
        assert user.municipality_id is not None
        readers.add(user.email.lower())
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
    return written + _enqueue_held_back(day, readers)


def _enqueue_held_back(day: date, readers: set[str]) -> int:
    """One email per recipient with changes held back on ``day`` or before and not yet in a
    digest (the recipients of immediate alerts, docs/rules.md §1.9); the lines are then marked,
    so a line is in one digest only, even when a day's run was missed. A recipient who also reads
    the full digest of the day gets nothing more: that digest has the day's changes."""
    lines = db.session.execute(
        select(AlertDigestLine)
        .where(AlertDigestLine.day <= day, AlertDigestLine.digested_at.is_(None))
        .order_by(AlertDigestLine.recipient, AlertDigestLine.created_at, AlertDigestLine.id)
    ).scalars()
    per_recipient: dict[str, list[AlertDigestLine]] = defaultdict(list)
    for line in lines:
        per_recipient[line.recipient].append(line)
    now = clock.now()
    written = 0
    for recipient, held in per_recipient.items():
        if recipient not in readers:
            items: dict[int, dict[str, Any]] = {}
            for line in held:
                item = items.setdefault(
                    line.flag_id,
                    {"flag_id": line.flag_id, "changes": [], "link": flag_link(line.flag_id)},
                )
                if line.change not in item["changes"]:
                    item["changes"].append(line.change)
            enqueue_email(
                recipient,
                "alert_digest",
                locale=held[0].locale,
                day=day,
                items=list(items.values()),
                held_back=True,
            )
            written += 1
        for line in held:
            line.digested_at = now
    db.session.flush()
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
