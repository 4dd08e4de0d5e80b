"""Unregistered addresses on the web (issue 21): only the organisations that entered or declared
at one see it (404 for everyone else), and the municipal admins of every municipality involved
find a disagreement in their queue (/gemeente/adresconflicten) and decide it there.

Sabotage (shown by hand, 2026-12-08): with the Address rule for organisations set back to ``ALL``
in services/queries.py, ``test_another_organisation_gets_404_for_an_unregistered_address``
fails (the other organisation's form page answers 200 and its look-up offers the address).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.extensions import db
from portal.models import Address, AddressEntry
from tests.conftest import login

FORM = {"occupants": "2", "separate_contracts": "yes"}


def _manual(**changes: str) -> dict[str, str]:
    return {
        **FORM,
        "start_date": clock.today().isoformat(),
        "postcode": "5911AB",
        "house_number": "99",
        "street": "Nieuwe Weg",
        "town": "Venlo",
        "municipality": "GM0983",
        **changes,
    }


def _file_by_hand(client: FlaskClient, **changes: str) -> None:
    response = client.post("/organisatie/meldingen/nieuw/handmatig", data=_manual(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def _unregistered_id(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Address).filter_by(verified=False).one().id


def test_another_organisation_gets_404_for_an_unregistered_address(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    make_municipality("GM0983", "Venlo", "Limburg")
    login_as("declarant")
    _file_by_hand(client)
    address_id = _unregistered_id(app)
    assert client.get(f"/organisatie/meldingen/nieuw/{address_id}").status_code == 200

    other = make_user("declarant")
    client.post("/uitloggen")
    login(client, other)
    assert client.get(f"/organisatie/meldingen/nieuw/{address_id}").status_code == 404
    post = client.post(f"/organisatie/meldingen/nieuw/{address_id}", data=FORM)
    assert post.status_code == 404
    lookup = client.get("/organisatie/meldingen/nieuw?postcode=5911AB&house_number=99")
    assert f"/meldingen/nieuw/{address_id}" not in lookup.get_data(as_text=True)

    # Entering it by hand, the other organisation declares at the same row and may see it then.
    _file_by_hand(client)
    assert _unregistered_id(app) == address_id
    assert client.get(f"/organisatie/meldingen/nieuw/{address_id}").status_code == 200


def test_the_queue_of_both_municipalities_shows_the_conflict_and_a_decision_closes_it(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    venlo = make_municipality("GM0983", "Venlo", "Limburg")
    horst = make_municipality("GM1507", "Horst aan de Maas", "Limburg")
    utrecht = make_municipality("GM0344", "Utrecht", "Utrecht")
    login_as("declarant")
    _file_by_hand(client)
    client.post("/uitloggen")
    login_as("declarant")
    _file_by_hand(client, street="Kerkstraat", town="Horst", municipality="GM1507")
    address_id = _unregistered_id(app)

    for municipality in (venlo, horst):
        client.post("/uitloggen")
        login(client, make_user("municipal_admin", municipality=municipality))
        dashboard = client.get("/gemeente/").get_data(as_text=True)
        assert "/gemeente/adresconflicten" in dashboard
        page = client.get("/gemeente/adresconflicten").get_data(as_text=True)
        assert "Nieuwe Weg" in page and "Kerkstraat" in page and "5911 AB 99" in page

    client.post("/uitloggen")
    login(client, make_user("municipal_admin", municipality=utrecht))
    page = client.get("/gemeente/adresconflicten").get_data(as_text=True)
    assert "Kerkstraat" not in page
    correct = client.post(
        f"/gemeente/adresconflicten/{address_id}/corrigeren",
        data={
            f"a{address_id}-street": "Kerkweg",
            f"a{address_id}-town": "Horst",
            f"a{address_id}-municipality": "GM1507",
        },
    )
    assert correct.status_code == 404

    client.post("/uitloggen")
    login(client, make_user("municipal_admin", municipality=horst))
    with app.app_context():
        entry_id = db.session.query(AddressEntry).filter_by(state="open").one().id
    response = client.post(
        f"/gemeente/adresconflicten/{address_id}/bevestigen",
        data={f"a{address_id}-entry": str(entry_id)},
    )
    assert response.status_code == 302
    page = client.get("/gemeente/adresconflicten").get_data(as_text=True)
    assert "Besloten: Kerkstraat 99" in page
    assert "Er wacht geen adresconflict op een besluit." in page
    with app.app_context():
        address = db.session.get(Address, address_id)
        assert address is not None
        assert (address.street, address.municipality_id) == ("Kerkstraat", horst.id)
    # Decided: the decision routes answer 404 now.
    again = client.post(
        f"/gemeente/adresconflicten/{address_id}/bevestigen",
        data={f"a{address_id}-entry": str(entry_id)},
    )
    assert again.status_code == 404
