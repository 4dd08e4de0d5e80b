"""The issue's acceptance scenario on the demo data, as a new user would do it."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.demo.load import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Address, Flag


def _login(app: Flask, email: str) -> Any:
    client = app.test_client()
    response = client.post("/inloggen", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_two_demo_agencies_declare_six_and_five_at_one_address(app: Flask, runner: Any) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        address = db.session.execute(
            select(Address)
            .where(Address.uses == "woonfunctie", Address.floor_area_m2.between(60, 130))
            .order_by(Address.id)
            .limit(1)
        ).scalar_one()
        address_id, area = address.id, address.floor_area_m2
    form = {"occupants": "6", "start_date": clock.today().isoformat(), "separate_contracts": "yes"}

    agency = _login(app, "declarant@flexwerk.demo.meldportaal.nl")
    assert agency.post(f"/organisatie/meldingen/nieuw/{address_id}", data=form).status_code == 302

    second = _login(app, "beheer@westlandpersoneel.demo.meldportaal.nl")
    response = second.post(
        f"/organisatie/meldingen/nieuw/{address_id}", data={**form, "occupants": "5"}
    )
    page = second.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "More occupants than allowed" in page or "Permit needed" in page
    assert f">{area // 12}<" in page or ">4<" in page  # the limit is shown
    assert "floor area of a dwelling" in page or "maximum without a permit" in page

    with app.app_context():
        flag = db.session.execute(select(Flag).where(Flag.address_id == address_id)).scalar_one()
        assert (flag.status, flag.occupants) == ("open", 11)
