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


def test_demo_housing_provider_renews_an_expiring_permit_and_the_flag_resolves(
    app: Flask, runner: Any
) -> None:
    """Issue 5 "done when": the demo housing provider sees a permit expiring within 90 days,
    applies for renewal with a higher maximum and downloads the receipt; the demo municipal admin
    of Utrecht approves with a maximum of 10, and the flag at that address is resolved."""
    import re
    import subprocess
    from types import SimpleNamespace

    from portal.models import Permit, PermitApplication
    from tests.conftest import login

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        address = db.session.execute(
            select(Address).where(Address.nummeraanduiding_id == "0344200000000042")
        ).scalar_one()
        address_id = address.id
        flag = db.session.execute(select(Flag).where(Flag.address_id == address_id)).scalar_one()
        assert (flag.status, flag.occupants, flag.limit) == ("open", 8, 6)

    provider = _login(app, "verhuur@hnl.demo.meldportaal.nl")
    assert "/organisatie/vergunningen" in provider.get("/organisatie/?lang=en").get_data(
        as_text=True
    )
    page = provider.get("/organisatie/vergunningen").get_data(as_text=True)
    assert "Maliebaan 3" in page and "Expires within 90 days" in page
    row = next(r for r in page.split("<tr") if "Maliebaan 3" in r)
    assert 'data-permit-state="expiring"' in row
    renew = re.search(r'href="(/organisatie/vergunningen/\d+/verlengen)"', row)
    assert renew is not None
    form = provider.get(renew.group(1)).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form
    response = provider.post(
        renew.group(1),
        data={
            "requested_from": clock.today().strftime("%d-%m-%Y"),
            "requested_until": "",
            "requested_max_occupants": "10",
            "note": "Extra slaapkamer.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        # The demo's own applications are on the other permits (start page work, issue 23).
        application = db.session.execute(
            select(PermitApplication)
            .join(Permit, Permit.id == PermitApplication.permit_id)
            .where(Permit.address_id == address_id)
        ).scalar_one()
        application_id, reference = application.id, application.reference
    pdf = provider.get(
        f"/organisatie/vergunningen/aanvragen/{application_id}/ontvangstbevestiging.pdf"
    )
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert reference in text and "Huisvesting Noord-Limburg B.V." in text

    admin = app.test_client()
    login(admin, SimpleNamespace(email="beheer@utrecht.demo.meldportaal.nl"), DEMO_PASSWORD)  # type: ignore[arg-type]
    assert reference in admin.get("/gemeente/aanvragen").get_data(as_text=True)
    approved = admin.post(
        f"/gemeente/aanvragen/{application_id}/goedkeuren",
        data={
            "valid_from": clock.today().isoformat(),
            "valid_until": "",
            "max_occupants": "10",
            "decision_reference": "UTR-OMZ-2026-0042",
        },
    )
    assert approved.status_code == 302
    with app.app_context():
        flag = db.session.execute(select(Flag).where(Flag.address_id == address_id)).scalar_one()
        assert flag.status == "resolved"
        maxima = sorted(
            db.session.execute(
                select(Permit.max_occupants).where(Permit.address_id == address_id)
            ).scalars()
        )
        assert maxima == [6, 10]  # the old permit is kept
