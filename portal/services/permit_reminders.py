"""Reminders to permit holders 90, 30 and 7 days before a permit's last valid day (service layer).

``send_permit_reminders(day)`` is a step of the daily job. Each reminder goes out exactly once
however often the job runs, also when two runs overlap: the ``permit_reminders`` row (permit, last
valid day, days before) is inserted with ON CONFLICT DO NOTHING, and only the run whose insert
took the row writes the email. A run that missed days sends the reminder that is due late rather
than never (``domain.permits.reminder_due``). A permit that has been renewed — a later valid permit
of the same holder at the same address that ends later or never — gets no more reminders. Nothing
here commits: the CLI commits once per step.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from portal.domain.permits import REMINDER_DAYS, HeldPermit, is_renewed, reminder_due
from portal.extensions import db
from portal.models import Organisation, Permit, PermitReminder, User
from portal.notifications.outbox import enqueue_email
from portal.services import audit
from portal.services.inserts import insert_unless_present

# The page where a holder sees its permits and applies for renewal (organisation area).
PERMITS_PATH = "/organisatie/vergunningen"


def _claim(permit_id: int, valid_until: date, days_before: int, day: date) -> bool:
    """Record that this reminder goes out; False when it already went (or is going) out."""
    values = {
        "permit_id": permit_id,
        "valid_until": valid_until,
        "days_before": days_before,
        "sent_for_day": day,
    }
    table = PermitReminder.__table__
    return insert_unless_present(table, values, table.c.permit_id) is not None


def _locale_for(organisation: Organisation) -> str:
    """The language of the organisation's user whose address is the contact address, if any;
    else the portal's default (Dutch)."""
    locale = db.session.execute(
        select(User.preferred_locale).where(
            User.organisation_id == organisation.id,
            User.email == organisation.contact_email.strip().lower(),
            User.active.is_(True),
            User.removed_at.is_(None),
        )
    ).scalar_one_or_none()
    return locale or current_app.config["DEFAULT_LOCALE"]


def send_permit_reminders(day: date) -> int:
    """Write the reminders due on ``day`` to the outbox; how many were written."""
    db.session.flush()
    horizon = day + timedelta(days=max(REMINDER_DAYS))
    candidates = list(
        db.session.execute(
            select(Permit)
            .where(
                Permit.status == "valid",
                Permit.holder_organisation_id.is_not(None),
                Permit.valid_until.is_not(None),
                Permit.valid_until >= day,
                Permit.valid_until <= horizon,
            )
            .order_by(Permit.id)
        ).scalars()
    )
    if not candidates:
        return 0
    # Every valid permit at those addresses, to tell which have been renewed.
    others: dict[int, list[HeldPermit]] = defaultdict(list)
    for row in db.session.execute(
        select(
            Permit.id, Permit.address_id, Permit.holder_organisation_id, Permit.valid_until
        ).where(
            Permit.status == "valid",
            Permit.address_id.in_(sorted({p.address_id for p in candidates})),
        )
    ):
        others[row.address_id].append(HeldPermit(*row))
    written = 0
    for permit in candidates:
        assert permit.valid_until is not None and permit.holder is not None
        days_before = reminder_due(permit.valid_until, day)
        if days_before is None:
            continue
        held = HeldPermit(
            permit.id, permit.address_id, permit.holder_organisation_id, permit.valid_until
        )
        if is_renewed(held, others[permit.address_id]):
            continue
        holder = permit.holder
        if not holder.contact_email.strip():
            continue
        if not _claim(permit.id, permit.valid_until, days_before, day):
            continue  # already sent, by an earlier run or one running alongside
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        enqueue_email(
            holder.contact_email,
            "permit_reminder",
            locale=_locale_for(holder),
            permit=permit,
            address=permit.address,
            holder=holder,
            municipality=permit.municipality.name,
            last_day=permit.valid_until,
            days_left=(permit.valid_until - day).days,
            days_before=days_before,
            link=base + PERMITS_PATH,
        )
        audit.record(
            "permit.reminder",
            actor_label="system",
            object_type="permit",
            object_id=permit.id,
            organisation_id=holder.id,
            municipality_id=permit.municipality_id,
            detail=json.dumps(
                {
                    "days_before": days_before,
                    "valid_until": permit.valid_until.isoformat(),
                    "day": day.isoformat(),
                    "to": holder.contact_email,
                }
            ),
        )
        written += 1
    return written
