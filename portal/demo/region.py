"""The demo region (demo data): Utrecht and Rotterdam share data from 1 January 2026, the demo
agency houses people in both, and the monthly figures of the last year are computed, so the
regional view has figures, charts and an organisation across the region from the first load.
The Westland inspector stays outside the region (and sees none of it). Idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Address, Declaration, Municipality, Region, User

DEMO_REGION = "Demoregio Utrecht–Rotterdam"
AGREED_ON = date(2026, 1, 1)
MEMBERS = ("GM0344", "GM0599")
DECLARANT = "declarant@flexwerk.demo.meldportaal.nl"
# Rotterdam declarations of the demo agency: days ago it started, occupants, of whom in the BRP.
# Filed on the day of the load, so they also count as late filings.
HISTORY = ((300, 6, 2), (200, 5, 5), (120, 7, 3), (40, 4, 4))


def load_demo_region() -> int:
    """Create the region, file the agency's Rotterdam history, refresh a year of figures;
    returns the declarations added (caller commits)."""
    from portal.services.declarations import file_declaration
    from portal.services.statistics import recent_months, refresh_month

    today = clock.today()
    region = db.session.execute(
        select(Region).where(Region.name == DEMO_REGION)
    ).scalar_one_or_none()
    if region is None:
        region = Region(name=DEMO_REGION, data_sharing_agreed_on=AGREED_ON)
        db.session.add(region)
        db.session.flush()
    members = db.session.execute(
        select(Municipality).where(Municipality.code.in_(MEMBERS))
    ).scalars()
    rotterdam = None
    for municipality in members:
        municipality.region_id = region.id
        if municipality.code == "GM0599":
            rotterdam = municipality
    declarant = db.session.execute(select(User).where(User.email == DECLARANT)).scalar_one()
    added = 0
    if rotterdam is not None:
        addresses = db.session.execute(
            select(Address)
            .where(
                Address.municipality_id == rotterdam.id,
                Address.uses == "woonfunctie",
                Address.floor_area_m2 >= 100,
            )
            .order_by(Address.id)
            .limit(len(HISTORY))
        ).scalars()
        for address, (days, occupants, brp) in zip(addresses, HISTORY, strict=False):
            declared = db.session.execute(
                select(Declaration.id).where(
                    Declaration.address_id == address.id,
                    Declaration.organisation_id == declarant.organisation_id,
                )
            ).first()
            if declared:
                continue
            file_declaration(
                declarant,
                DeclarationInput(occupants, today - timedelta(days=days), None, brp, True),
                address_id=address.id,
            )
            added += 1
    db.session.flush()
    for month in recent_months(today):
        refresh_month(month, today)
    return added
