"""Copy review on the pages (issue 23, item 5): the renewal form starts the day after the
current permit ends and its hint fits the date picker; every municipality's policy table names
the real source of each national default. tests/unit/test_copy.py refuses the known phrases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask

from portal import clock
from portal.extensions import db
from portal.models import Permit
from tests.conftest import login


def test_renewal_form_starts_the_day_after_the_permit_ends(
    app: Flask,
    client: Any,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    holder = make_org(kinds=("housing_provider",))
    user = make_user("org_admin", org=holder)
    address = make_address("3511 AA", 3, municipality=utrecht)
    ends = clock.today() + timedelta(days=60)
    with app.app_context():
        permit = Permit(
            address_id=address.id,
            municipality_id=utrecht.id,
            holder_organisation_id=holder.id,
            permit_type="omzettingsvergunning",
            max_occupants=6,
            valid_from=clock.today() - timedelta(days=300),
            valid_until=ends,
            decision_reference="UTR-9",
        )
        db.session.add(permit)
        db.session.commit()
        permit_id = permit.id
    login(client, user)
    page = client.get(f"/organisatie/vergunningen/{permit_id}/verlengen").get_data(as_text=True)
    day_after = (ends + timedelta(days=1)).isoformat()
    assert f'name="requested_from" required type="date" value="{day_after}"' in page
    assert "Ingevuld: de dag na het einde van de huidige vergunning." in page
    assert "Typ de datum" not in page
    english = client.get(f"/organisatie/vergunningen/{permit_id}/verlengen?lang=en")
    assert "Pick another day in the calendar" in english.get_data(as_text=True)


def test_every_policy_table_names_the_national_rule_as_the_source(
    app: Flask, make_municipality: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    for code, name in (("GM0344", "Utrecht"), ("GM1640", "Leudal")):
        municipality = make_municipality(code, name)
        client = app.test_client()
        login(client, make_user("municipal_admin", municipality=municipality))
        page = client.get("/gemeente/beleid?lang=nl").get_data(as_text=True)
        assert "3 dagen (landelijke regel van het portaal voor te late meldingen)" in page
        assert "Peel en Maas" not in page
