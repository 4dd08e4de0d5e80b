"""One address resolution (issue 21): the web form, the API, the CSV batch and the JSON batch
name the same register address for the same input, or all refuse it the same way.

A house letter or addition is *open* when the input does not give it at all (the look-up form
with both fields empty, an API address without the key, a CSV file without the column) and
*none* when it is given empty (JSON null, an empty cell, a blank field of the form for an
address typed by hand). "choose" (the API's ``address.ambiguous``) only when both are open and
the number has several addresses; a named unit the register lacks is "not found", never another
unit (``portal.domain.address.resolve_unit``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.domain.address import number_label
from portal.extensions import db
from portal.models import Address, Declaration
from tests.api.conftest import body, headers
from tests.conftest import login

OPEN = None  # not given at all
NONE = ""  # given empty
Part = str | None

REGISTERS: dict[str, list[tuple[str, str]]] = {
    "5 and 5A": [("", ""), ("A", "")],
    "5A and 5B": [("A", ""), ("B", "")],
    "only 5A": [("A", "")],
    "only 5": [("", "")],
    "5A and 5A-1": [("A", ""), ("A", "1")],
}
# (register, letter, addition, what every channel must answer: a label, "choose", "not_found")
CASES: list[tuple[str, Part, Part, str]] = [
    ("5 and 5A", NONE, NONE, "5"),  # the review's case: null letter and addition are plain 5
    ("5 and 5A", OPEN, OPEN, "choose"),
    ("5 and 5A", "A", NONE, "5A"),
    ("5 and 5A", "a", OPEN, "5A"),
    ("5 and 5A", "B", NONE, "not_found"),
    ("5 and 5A", NONE, "1", "not_found"),
    ("5A and 5B", OPEN, OPEN, "choose"),
    ("5A and 5B", NONE, NONE, "not_found"),  # never a guess between 5A and 5B
    ("5A and 5B", "b", NONE, "5B"),
    ("only 5A", OPEN, OPEN, "5A"),  # open, and only one address there
    ("only 5A", NONE, NONE, "not_found"),  # "no letter" is not 5A
    ("only 5", OPEN, OPEN, "5"),
    ("only 5", NONE, NONE, "5"),
    ("only 5", "A", NONE, "not_found"),
    ("5A and 5A-1", "A", OPEN, "5A"),  # a letter names the unit; the addition left out is none
    ("5A and 5A-1", "A", "1", "5A-1"),
    ("5A and 5A-1", OPEN, OPEN, "choose"),
]
CHANNELS = ("web form", "API", "CSV batch", "JSON batch")

_FOUND = re.compile(r'<a class="button" href="/organisatie/meldingen/nieuw/(\d+)">')


def _label(address: Any) -> str:
    return number_label(address.house_number, address.house_letter, address.house_number_addition)


def _web(client: FlaskClient, letter: Part, addition: Part) -> str:
    """The web form: the look-up of step 1; an address given with no letter and no addition is
    what the form for an address typed by hand says (its empty fields are "none")."""
    today = clock.today().isoformat()
    if letter == NONE and addition == NONE:
        typed = {
            "occupants": "2",
            "start_date": today,
            "separate_contracts": "yes",
            "postcode": "3511 AB",
            "house_number": "5",
            "house_letter": "",
            "house_number_addition": "",
            "street": "Oudegracht",
            "town": "Utrecht",
            "municipality": "GM0344",
        }
        response = client.post("/organisatie/meldingen/nieuw/handmatig", data=typed)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        declaration = db.session.execute(
            select(Declaration).order_by(Declaration.id.desc()).limit(1)
        ).scalar_one()
        address = db.session.get(Address, declaration.address_id)
        assert address is not None
        # Typed by hand, an address the register lacks is stored as a new, unverified one.
        return _label(address) if address.verified else "not_found"
    query = {
        "postcode": "3511ab",
        "house_number": "5",
        "house_letter": letter or "",
        "house_number_addition": addition or "",
        "lang": "en",
    }
    page = client.get("/organisatie/meldingen/nieuw", query_string=query).get_data(as_text=True)
    if "<h2>Choose the address</h2>" in page:
        return "choose"
    if "<h2>Address not found</h2>" in page:
        return "not_found"
    match = _FOUND.search(page)
    assert "<h2>Address found</h2>" in page and match, page
    address = db.session.get(Address, int(match[1]))
    return _label(address)


def _address_json(letter: Part, addition: Part) -> dict[str, Any]:
    address: dict[str, Any] = {"postcode": "3511 AB", "house_number": 5}
    for key, part in (("house_letter", letter), ("house_number_addition", addition)):
        if part is not OPEN:
            address[key] = part or None  # none: JSON null
    return address


def _outcome(response: Any) -> str:
    if response.status_code == 201:
        data = response.get_json()
        if "address" in data:
            reference = data["reference"]
        else:
            [reference] = data["references"]
        declaration = db.session.execute(
            select(Declaration).where(Declaration.reference == reference)
        ).scalar_one()
        return _label(db.session.get(Address, declaration.address_id))
    assert response.status_code == 422, response.get_data(as_text=True)
    codes = {e["code"] for e in response.get_json()["errors"]}
    if codes == {"address.ambiguous"}:
        return "choose"
    assert codes == {"address.not_in_register"}, codes
    return "not_found"


def _api(client: FlaskClient, key: Any, letter: Part, addition: Part) -> str:
    response = client.post(
        "/api/v1/declarations",
        json=body(address=_address_json(letter, addition)),
        headers=headers(key, "single"),
    )
    return _outcome(response)


def _csv(client: FlaskClient, key: Any, letter: Part, addition: Part) -> str:
    today = clock.today()
    cells = {"postcode": "3511 AB", "huisnummer": "5"}
    if letter is not OPEN:
        cells["huisletter"] = letter
    if addition is not OPEN:
        cells["toevoeging"] = addition
    cells.update(
        aantal_bewoners="2",
        startdatum=f"{today.day}-{today.month}-{today.year}",
        aparte_contracten="ja",
    )
    raw = f"{';'.join(cells)}\r\n{';'.join(cells.values())}\r\n"
    response = client.post(
        "/api/v1/batches",
        data=raw.encode(),
        content_type="text/csv",
        headers=headers(key, "csv"),
    )
    return _outcome(response)


def _json_batch(client: FlaskClient, key: Any, letter: Part, addition: Part) -> str:
    item = body(address=_address_json(letter, addition))
    response = client.post("/api/v1/batches", json=[item], headers=headers(key, "json"))
    return _outcome(response)


@pytest.mark.parametrize(("register", "letter", "addition", "expected"), CASES)
def test_every_channel_resolves_the_address_alike(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
    make_address: Callable[..., Any],
    make_key: Callable[..., Any],
    register: str,
    letter: Part,
    addition: Part,
    expected: str,
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    for unit_letter, unit_addition in REGISTERS[register]:
        make_address("3511 AB", 5, letter=unit_letter, addition=unit_addition, municipality=utrecht)
    login(client, make_user("declarant"))
    key = make_key()
    answers = {}
    with app.app_context():
        answers["web form"] = _web(client, letter, addition)
        answers["API"] = _api(client, key, letter, addition)
        answers["CSV batch"] = _csv(client, key, letter, addition)
        answers["JSON batch"] = _json_batch(client, key, letter, addition)
    assert answers == dict.fromkeys(CHANNELS, expected)


def test_the_api_names_the_candidates_when_it_refuses(
    client: FlaskClient, make_address: Callable[..., Any], make_key: Callable[..., Any]
) -> None:
    make_address("3511 AB", 5, letter="A")
    make_address("3511 AB", 5, letter="B")
    key = make_key()
    for n, letter in enumerate((OPEN, NONE, "C")):
        response = client.post(
            "/api/v1/declarations",
            json=body(address=_address_json(letter, OPEN)),
            headers=headers(key, f"c{n}"),
        )
        [error] = response.get_json()["errors"]
        assert error["field"] == "address"
        assert "5A (bag_id" in error["message"] and "5B (bag_id" in error["message"]


def test_the_look_up_page_offers_the_addresses_at_the_number_when_the_named_one_is_missing(
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    five_a = make_address("3511 AB", 5, letter="A")
    five_b = make_address("3511 AB", 5, letter="B")
    login(client, make_user("declarant"))
    query = {"postcode": "3511 AB", "house_number": "5", "house_letter": "C", "lang": "en"}
    page = client.get("/organisatie/meldingen/nieuw", query_string=query).get_data(as_text=True)
    assert "<h2>Address not found</h2>" in page
    assert "At this house number the register has:" in page
    for address in (five_a, five_b):
        assert f'href="/organisatie/meldingen/nieuw/{address.id}"' in page
    assert "/organisatie/meldingen/nieuw/handmatig" in page  # and typing it by hand stays open
