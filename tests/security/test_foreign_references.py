"""Foreign objects named in a form, a JSON body or a query string, not in the URL (docs/security.md
T5).

The access matrix fills URL parameters with tenant-2 objects; here a tenant-1 actor names them
inside an otherwise valid request on its own objects: a flag given to another municipality's
inspector, a permit registered at another municipality's address, a list filtered on another
municipality's inspector. Each is refused (or shows nothing), and a control request with a
tenant-1 object of the same kind is accepted, so the refusal is about the foreign object.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import Flag, Permit
from tests.security.conftest import World, logged_in, new_token


def _assignee(app: Flask, flag_id: int) -> int | None:
    with app.app_context():
        flag = db.session.get(Flag, flag_id)
        assert flag is not None
        return flag.assignee_user_id


def test_a_flag_cannot_go_to_another_municipalitys_inspector(app: Flask, world: World) -> None:
    url = f"/inspectie/signalen/{world['a_flag']}/toewijzen"
    client = logged_in(app, world, "insp_1")
    client.post(url, data={"assignee": str(world["insp_2"])})
    assert _assignee(app, world["a_flag"]) is None
    key = {"Authorization": f"Bearer {world.keys['key_m1']}", "Idempotency-Key": new_token()}
    response = app.test_client().patch(
        f"/api/v1/flags/{world['a_flag']}", json={"assignee": world["insp_2"]}, headers=key
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert _assignee(app, world["a_flag"]) is None
    # Control: a colleague of M1 (the municipal admin) can be given the flag.
    client.post(url, data={"assignee": str(world["madmin_1"])})
    assert _assignee(app, world["a_flag"]) == world["madmin_1"]


def test_a_permit_cannot_be_registered_at_another_municipalitys_address(
    app: Flask, world: World
) -> None:
    client = logged_in(app, world, "madmin_1")

    def register(reference: str, postcode: str, number: str) -> int:
        form = {
            "decision_reference": reference,
            "postcode": postcode,
            "house_number": number,
            "permit_type": "omzettingsvergunning",
            "max_occupants": "5",
            "valid_from": clock.today().isoformat(),
        }
        return client.post("/gemeente/vergunningen/nieuw", data=form).status_code

    def permits() -> int:
        with app.app_context():
            return int(db.session.execute(select(func.count(Permit.id))).scalar_one())

    before = permits()
    assert register("ALFA-VREEMD-1", "2671 AA", "5") == 200  # Bravokade 5, in M2: refused
    assert permits() == before
    # The permit the admin may change cannot be moved to M2's address either.
    edit = {
        "decision_reference": "ALFA-BESLUIT-1",
        "postcode": "2671 AA",
        "house_number": "5",
        "permit_type": "omzettingsvergunning",
        "max_occupants": "6",
        "valid_from": clock.today().isoformat(),
    }
    client.post(f"/gemeente/vergunningen/{world['a_permit']}", data=edit)
    with app.app_context():
        permit = db.session.get(Permit, world["a_permit"])
        assert permit is not None
        assert permit.address_id != world["b_home"]
        assert permit.municipality_id == world["m1"]
        moved = db.session.execute(
            select(func.count(Permit.id)).where(Permit.municipality_id == world["m1"])
        ).scalar_one()
        assert moved == 1
    # Control: the same form with an address of M1 (Alfastraat 1) registers a permit.
    assert register("ALFA-EIGEN-2", "3511 AB", "1") == 302
    assert permits() == before + 1


def test_list_filters_on_foreign_people_and_places_show_nothing(app: Flask, world: World) -> None:
    client = logged_in(app, world, "insp_1")
    for url in (
        f"/inspectie/signalen?status=all&assignee={world['insp_2']}",
        f"/inspectie/signalen/export.csv?status=all&assignee={world['insp_2']}",
        f"/inspectie/signalen?status=all&municipality={world['m2']}",
        "/inspectie/adressen?postcode=2671AA&huisnummer=1",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True).replace("=Bravokade", "")
        assert "Bravokade" not in text and "westgemeente" not in text, url
