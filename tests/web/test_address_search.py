"""Issue 20, items 1 and 2: every address of the municipality has a page for its inspectors, and
one search box finds addresses, organisations, declarations and signals — scoped to the
municipality (and to the region under a data-sharing agreement). Pages read in English."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.demo.load import DEMO_PASSWORD
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Address, AuditEvent, Flag, Municipality, Organisation, Region, User
from portal.services.declarations import file_declaration
from tests.conftest import login

TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.freeze(datetime(2026, 3, 10, 10, tzinfo=UTC)):
        yield


def _file(app: Flask, user: User, address: Address, occupants: int) -> str:
    """File a declaration as ``user``; returns its reference."""
    with app.app_context():
        filed = file_declaration(
            db.session.get(User, user.id),  # type: ignore[arg-type]
            DeclarationInput(occupants, TODAY, separate_contracts=True),
            address_id=address.id,
        )
        reference = filed.declaration.reference
        db.session.commit()
        return reference


def _links(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


# --- the demo: "oudegr 13", both organisations, 404 elsewhere ------------------------------------


def test_demo_inspector_searches_oudegr_13_and_sees_both_organisations(
    app: Flask, runner: Any
) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        utrecht = db.session.execute(
            select(User).filter_by(email="inspecteur@utrecht.demo.meldportaal.nl")
        ).scalar_one()
        westland = db.session.execute(
            select(User).filter_by(email="inspecteur@westland.demo.meldportaal.nl")
        ).scalar_one()
        db.session.expunge_all()
    client = app.test_client()
    login(client, utrecht, DEMO_PASSWORD)
    page = client.get("/inspectie/zoeken?q=oudegr+13&lang=en").get_data(as_text=True)
    found = [link for link in _links(page) if link.startswith("/inspectie/adressen/")]
    assert len(found) == 1, found
    assert "Oudegracht 13, 3511 AB Utrecht" in page
    address_page = client.get(found[0] + "?lang=en")
    assert address_page.status_code == 200
    body = address_page.get_data(as_text=True)
    contacts = body.split('id="contacts"')[1].split('id="permits"')[0]
    for name, count in (("Flexwerk Uitzendbureau B.V.", 4), ("Westland Personeelsdiensten", 3)):
        row = next(r for r in contacts.split("<tr") if name in r)
        assert f'<td class="num">{count}</td>' in row
    assert "030 123 4567" in contacts and 'href="tel:0301234567"' in contacts
    assert "mailto:beheer@flexwerk.demo.meldportaal.nl" in contacts
    assert "mailto:beheer@westlandpersoneel.demo.meldportaal.nl" in contacts
    assert "Not given" in contacts or "not given" in contacts  # Westland gave no number
    assert 'id="total-today">7<' in body

    other = app.test_client()
    login(other, westland, DEMO_PASSWORD)
    assert other.get(found[0]).status_code == 404
    for query in ("oudegr 13", "oudegr", "3511AB", "Flexwerk"):
        page = other.get(f"/inspectie/zoeken?q={query}&lang=en").get_data(as_text=True)
        assert "Oudegracht" not in page and "/inspectie/adressen/" not in page, query


# --- a world of our own ----------------------------------------------------------------------


@pytest.fixture
def world(
    app: Flask,
    make_municipality: Callable[..., Municipality],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
) -> dict[str, Any]:
    utrecht = make_municipality("GM0344", "Utrecht")
    amersfoort = make_municipality("GM0307", "Amersfoort")
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    agency = make_org("Zoekbaar Uitzendwerk B.V.", "87654321")
    other_agency = make_org("Andere Huisvesting B.V.", "87654322")
    declarant = make_user("declarant", org=agency)
    admin = make_user("org_admin", org=agency, email="beheer@zoekbaar.example.nl")
    other = make_user("declarant", org=other_agency)
    make_user("org_admin", org=other_agency, email="baas@andere.example.nl")
    oude = make_address("3511 AB", 13, municipality=utrecht, floor_area=53, street="Oudegracht")
    oude_a = make_address(
        "3511 AB", 13, letter="A", municipality=utrecht, floor_area=60, street="Oudegracht"
    )
    make_address("3512 CD", 2, municipality=utrecht, street="Sint Jacobsstraat")
    make_address("3512 CE", 4, municipality=utrecht, street="Één Straat")
    quiet = make_address("3513 EF", 8, municipality=utrecht, street="Stille Steeg")
    foreign = make_address("2671 AA", 13, municipality=westland, street="Oudegracht")
    regional = make_address("3811 AA", 1, municipality=amersfoort, street="Oudegracht")
    with app.app_context():
        db.session.get(Organisation, agency.id).phone = "030 765 4321"  # type: ignore[union-attr]
        db.session.commit()
    reference = _file(app, declarant, oude, 4)
    _file(app, other, oude, 3)
    _file(app, declarant, foreign, 2)
    with app.app_context():
        flag = db.session.execute(select(Flag).where(Flag.address_id == oude.id)).scalar_one()
        flag_id = flag.id
    return {
        "utrecht": utrecht,
        "amersfoort": amersfoort,
        "westland": westland,
        "agency": agency,
        "admin": admin,
        "oude": oude,
        "oude_a": oude_a,
        "quiet": quiet,
        "foreign": foreign,
        "regional": regional,
        "reference": reference,
        "flag_id": flag_id,
    }


def _inspector(
    client: FlaskClient, make_user: Callable[..., User], municipality: Municipality, role: str
) -> User:
    user = make_user(role, municipality=municipality)
    login(client, user)
    return user


def _search(client: FlaskClient, query: str) -> str:
    response = client.get("/inspectie/zoeken", query_string={"q": query, "lang": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _address_ids(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/inspectie/adressen/(\d+)', page)}


@pytest.mark.parametrize("role", ["inspector", "municipal_admin"])
def test_address_page_shows_declarations_contacts_permits_flags_and_notes(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any], role: str
) -> None:
    user = _inspector(client, make_user, world["utrecht"], role)
    flag_id = world["flag_id"]
    assert (
        client.post(
            f"/inspectie/signalen/{flag_id}/notitie", data={"text": "Bezocht: 9 mensen"}
        ).status_code
        == 303
    )
    page = client.get(f"/inspectie/adressen/{world['oude'].id}?lang=en").get_data(as_text=True)
    assert "Occupancy from today" in page and '<table id="timeline-table">' in page
    assert "<svg" in page  # the chart
    declarations = page.split('id="declarations"')[1].split('id="contacts"')[0]
    assert world["reference"] in declarations and "87654321" in declarations
    contacts = page.split('id="contacts"')[1].split('id="permits"')[0]
    assert "Zoekbaar Uitzendwerk B.V." in contacts and "Andere Huisvesting B.V." in contacts
    assert "030 765 4321" in contacts
    assert "mailto:beheer@zoekbaar.example.nl" in contacts
    assert "mailto:baas@andere.example.nl" in contacts
    assert 'id="total-today">7<' in page
    signals = page.split('id="signals"')[1].split('id="notes"')[0]
    assert f'href="/inspectie/signalen/{flag_id}"' in signals and "Open" in signals
    notes = page.split('id="notes"')[1]
    assert "Bezocht: 9 mensen" in notes and user.email in notes


def test_address_without_declarations_or_flags_has_a_page_too(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    page = client.get(f"/inspectie/adressen/{world['quiet'].id}?lang=en").get_data(as_text=True)
    assert "Stille Steeg 8" in page
    assert "No declarations are in force at this address." in page
    assert "This address has never had a signal." in page


def test_another_municipalitys_address_is_404_also_under_a_region(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _share(app, world)
    _inspector(client, make_user, world["utrecht"], "inspector")
    assert client.get(f"/inspectie/adressen/{world['foreign'].id}").status_code == 404
    assert client.get(f"/inspectie/adressen/{world['regional'].id}").status_code == 404
    assert client.get(f"/inspectie/adressen/{world['oude'].id}").status_code == 200


def test_contacts_show_only_organisations_of_the_address(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    """The Westland inspector sees the agency (it declares there) but not its Utrecht partner."""
    _inspector(client, make_user, world["westland"], "inspector")
    page = client.get(f"/inspectie/adressen/{world['foreign'].id}?lang=en").get_data(as_text=True)
    assert "Zoekbaar Uitzendwerk B.V." in page and "Andere Huisvesting" not in page
    assert "baas@andere.example.nl" not in page


# --- the search box --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("oudegr", {"oude", "oude_a"}),
        ("OUDEGR", {"oude", "oude_a"}),
        ("Oudegracht 13", {"oude", "oude_a"}),
        ("oudegr 13", {"oude", "oude_a"}),
        ("oudegr 13a", {"oude_a"}),
        ("3511AB", {"oude", "oude_a"}),
        ("3511 ab", {"oude", "oude_a"}),
        ("3511AB 13", {"oude", "oude_a"}),
        ("3511 AB 13 A", {"oude_a"}),
        ("stille", {"quiet"}),
    ],
)
def test_search_finds_addresses(
    client: FlaskClient,
    make_user: Callable[..., User],
    world: dict[str, Any],
    query: str,
    expected: set[str],
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    assert _address_ids(_search(client, query)) == {world[k].id for k in expected}


@pytest.mark.parametrize("query", ["St. Jacobs", "Sint Jacobs", "st jacobsstr", "sint-jacobs"])
def test_sint_and_st_are_alike(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any], query: str
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    assert "Sint Jacobsstraat 2" in _search(client, query)


def test_accents_do_not_matter(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    assert "Één Straat 4" in _search(client, "een str")
    assert "Één Straat 4" in _search(client, "één")


def test_search_by_bag_id_reference_flag_and_organisation(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    with app.app_context():
        bag_id = db.session.get(Address, world["oude"].id).nummeraanduiding_id  # type: ignore[union-attr]
    assert _address_ids(_search(client, str(bag_id))) == {world["oude"].id}

    page = _search(client, world["reference"].lower())
    assert "Declarations" in page and world["reference"] in page
    assert f"/inspectie/adressen/{world['oude'].id}#declarations" in page

    page = _search(client, str(world["flag_id"]))
    assert f'href="/inspectie/signalen/{world["flag_id"]}"' in page

    for query in ("zoekbaar", "Uitzendwerk", "87654321", "8765 4321"):
        page = _search(client, query)
        hits = page.split('id="results-organisations"')[1]
        assert "Zoekbaar Uitzendwerk B.V." in hits, query
        assert f"/inspectie/adressen/{world['oude'].id}" in hits


def test_search_is_scoped_to_the_municipality(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _inspector(client, make_user, world["westland"], "inspector")
    assert _address_ids(_search(client, "oudegr")) == {world["foreign"].id}
    page = _search(client, world["reference"])
    assert 'id="results-declarations"' not in page and "0 results" in page
    page = _search(client, str(world["flag_id"]))
    assert f'href="/inspectie/signalen/{world["flag_id"]}"' not in page
    page = _search(client, "andere")
    assert 'id="results-organisations"' not in page and "Andere Huisvesting" not in page


def _share(app: Flask, world: dict[str, Any], agreed_on: date | None = date(2026, 1, 1)) -> None:
    with app.app_context():
        region = Region(name="Regio Utrecht", data_sharing_agreed_on=agreed_on)
        db.session.add(region)
        db.session.flush()
        for key in ("utrecht", "amersfoort"):
            db.session.get(Municipality, world[key].id).region_id = region.id  # type: ignore[union-attr]
        db.session.commit()


def test_region_under_agreement_is_searched_without_links(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _share(app, world)
    _inspector(client, make_user, world["utrecht"], "inspector")
    page = _search(client, "oudegr")
    region = page.split('id="results-region"')[1]
    assert "Oudegracht 1, 3811 AA" in region and "(Amersfoort)" in region
    assert world["regional"].id not in _address_ids(page)
    assert "2671 AA" not in page  # Westland is outside the region


def test_region_without_agreement_is_not_searched(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _share(app, world, agreed_on=None)
    _inspector(client, make_user, world["utrecht"], "inspector")
    page = _search(client, "oudegr")
    assert "3811 AA" not in page and 'id="results-region"' not in page


def test_search_page_is_keyboard_usable_markup(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    page = _search(client, "oudegr")
    assert re.search(r'<form method="get"[^>]*role="search"', page)
    assert '<label for="q">' in page and '<input type="search" id="q" name="q"' in page
    assert 'aria-describedby="q-hint"' in page
    assert '<h3 id="results-addresses">' in page
    assert '<ul class="links" aria-labelledby="results-addresses">' in page
    assert "Search" in client.get("/inspectie/?lang=en").get_data(as_text=True)  # in the menu


def test_nothing_found_and_empty_query(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    _inspector(client, make_user, world["utrecht"], "inspector")
    assert "0 results" in _search(client, "zzzzz")
    page = _search(client, "")
    assert "results" not in page.split("</form>", 1)[1]


def test_organisation_users_cannot_search(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    login(client, world["admin"])
    assert client.get("/inspectie/zoeken?q=oudegr").status_code == 404


# --- the phone number --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("030 123 4567", "030 123 4567"), ("+31 (0)30-1234567", None), ("+31 30 123 4567", None)],
)
def test_org_admin_sets_the_phone_number(
    app: Flask, client: FlaskClient, world: dict[str, Any], typed: str, stored: str | None
) -> None:
    login(client, world["admin"])
    page = client.get("/organisatie/contactgegevens?lang=en").get_data(as_text=True)
    assert '<label for="phone">' in page and 'autocomplete="tel"' in page
    response = client.post("/organisatie/contactgegevens", data={"phone": typed})
    assert response.status_code == 303
    with app.app_context():
        organisation = db.session.get(Organisation, world["agency"].id)
        assert organisation is not None and organisation.phone == (stored or typed)
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "organisation.phone")
        ).scalar_one()
        assert event.organisation_id == world["agency"].id


@pytest.mark.parametrize("typed", ["12345", "030 123 456", "0301234567890", "+31", "bel mij"])
def test_a_wrong_phone_number_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient, world: dict[str, Any], typed: str
) -> None:
    login(client, world["admin"])
    response = client.post("/organisatie/contactgegevens?lang=en", data={"phone": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter a phone number of 10 digits starting with 0" in page
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.get(Organisation, world["agency"].id).phone == "030 765 4321"  # type: ignore[union-attr]


def test_a_declarant_cannot_change_the_phone_number(
    client: FlaskClient, make_user: Callable[..., User], world: dict[str, Any]
) -> None:
    login(client, make_user("declarant", org=world["agency"]))
    assert client.get("/organisatie/contactgegevens").status_code == 404
    page = client.get("/organisatie/?lang=en").get_data(as_text=True)
    assert "030 765 4321" in page and "/organisatie/contactgegevens" not in page
