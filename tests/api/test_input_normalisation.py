"""Input normalisation (issue 21): number fields take ASCII digits only, text fields are stored in
NFC and refuse invisible and direction-reversing characters (Unicode Cf) — the same rule
(``portal.domain.inputs``) through the web form, the API and the CSV file, so the same typed value
gets the same answer everywhere. Each table row goes through every channel the field has.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.messages import message
from portal.models import Address, Declaration, FlagEvent, Permit
from portal.services.addresses import import_addresses
from tests.api.conftest import body, headers
from tests.conftest import login
from tests.helpers import count, grant_mandate
from tests.web.test_inspector import declare

_ERROR = re.compile(r'<p class="error" id="([^"]+)-error">(.*?)</p>', re.S)
_HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)
_ROW_PROBLEM = re.compile(r'<tr><td class="num">\d+</td><td>([^<]*)</td><td>(.*?)</td></tr>', re.S)

RLO, ZWSP, ZWJ, BOM, LRI, SHY = "\u202e", "\u200b", "\u200d", "\ufeff", "\u2066", "\u00ad"
ARABIC_THREE, FULL_WIDTH_THREE, SUPERSCRIPT_THREE = "٣", "３", "³"


def _text(app: Flask, code: str) -> str:
    with app.test_request_context():
        return message(code)


def _field_errors(response: Any) -> dict[str, str]:
    page = response.get_data(as_text=True)
    return {f: html.unescape(_HIDDEN.sub("", t)).strip() for f, t in _ERROR.findall(page)}


def _upload(client: FlaskClient, cells: dict[str, str]) -> dict[str, str]:
    """The CSV upload's dry run of one row: column → message."""
    header = ";".join(cells)
    raw = f"{header}\r\n{';'.join(cells.values())}\r\n".encode()
    response = client.post(
        "/organisatie/meldingen/bulk",
        data={"file": (io.BytesIO(raw), "meldingen.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return {
        column: html.unescape(text).strip()
        for column, text in _ROW_PROBLEM.findall(response.get_data(as_text=True))
    }


@pytest.fixture
def world(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
    make_key: Callable[..., Any],
) -> dict[str, Any]:
    address = make_address("3511 AB", 12)
    user = make_user("declarant")
    login(client, user)
    # The key's organisation may declare for 12345678 (the filing in all three uses it).
    key = make_key(SimpleNamespace(id=user.organisation_id))
    grant_mandate(app, "12345678", user.organisation_id)
    return {"address": address, "key": key}


# --- the address parts: the look-up form, the API's address, the CSV columns ---------------------

CSV_COLUMN = {
    "postcode": "postcode",
    "house_number": "huisnummer",
    "house_letter": "huisletter",
    "house_number_addition": "toevoeging",
}
ADDRESS_CASES = [
    ("postcode", f"3511{ZWSP}AB", "text.invisible"),
    ("postcode", f"{RLO}3511 AB", "text.invisible"),
    ("postcode", f"3511 AB{BOM}", "text.invisible"),
    ("postcode", "٣٥١١ AB", "postcode.format"),
    ("postcode", "３５１１ AB", "postcode.format"),
    ("house_number", ARABIC_THREE, "house_number.format"),
    ("house_number", FULL_WIDTH_THREE, "house_number.format"),
    ("house_number", SUPERSCRIPT_THREE, "house_number.format"),
    ("house_number", f"1{ZWSP}2", "house_number.format"),
    ("house_number", "1_2", "house_number.format"),
    ("house_number", "+12", "house_number.format"),
    ("house_letter", f"A{ZWJ}", "text.invisible"),
    ("house_letter", f"{LRI}A", "text.invisible"),
    ("house_number_addition", f"2{SHY}", "text.invisible"),
    ("house_number_addition", f"{RLO}H", "text.invisible"),
]


@pytest.mark.parametrize(("field", "typed", "code"), ADDRESS_CASES)
def test_address_parts_alike_through_form_api_and_csv(
    app: Flask, client: FlaskClient, world: dict[str, Any], field: str, typed: str, code: str
) -> None:
    expected = _text(app, code)
    parts = {"postcode": "3511 AB", "house_number": "12", field: typed}
    # The web form: the look-up of step 1.
    page = client.get("/organisatie/meldingen/nieuw", query_string=parts)
    assert page.status_code == 200
    assert _field_errors(page)[field] == expected
    # The API.
    api = client.post(
        "/api/v1/declarations",
        json=body(address=parts),
        headers=headers(world["key"], f"{field}-{typed.encode().hex()}"),
    )
    assert api.status_code == 422
    errors = {e["field"]: (e["code"], e["message"]) for e in api.get_json()["errors"]}
    assert errors == {f"address.{field}": (code, expected)}
    # The CSV upload.
    today = clock.today()
    cells = {CSV_COLUMN[name]: value for name, value in parts.items()}
    cells.update(
        aantal_bewoners="3",
        startdatum=f"{today.day}-{today.month}-{today.year}",
        aparte_contracten="ja",
    )
    assert _upload(client, cells) == {CSV_COLUMN[field]: expected}
    assert count(app, Declaration) == 0


# --- the numbers and the KvK number of a declaration ---------------------------------------------

DECLARATION_CASES = [
    # (field, typed, code through the form and the CSV, code through the API)
    ("occupants", ARABIC_THREE, "number.format", "field.type_integer"),
    ("occupants", FULL_WIDTH_THREE, "number.format", "field.type_integer"),
    ("occupants", f"3{ZWSP}", "number.format", "field.type_integer"),
    ("occupants", "1_0", "number.format", "field.type_integer"),
    ("occupants_registered_brp", "١", "number.format", "field.type_integer"),
    ("occupants_registered_brp", "+1", "number.format", "field.type_integer"),
    ("declared_for_kvk", "١٢٣٤٥٦٧٨", "kvk.format", "kvk.format"),
    ("declared_for_kvk", "１２３４５６７８", "kvk.format", "kvk.format"),
    ("declared_for_kvk", f"1234{ZWSP}5678", "text.invisible", "text.invisible"),
    ("declared_for_kvk", f"{RLO}12345678", "text.invisible", "text.invisible"),
]
DECLARATION_COLUMN = {
    "occupants": "aantal_bewoners",
    "occupants_registered_brp": "waarvan_ingeschreven_brp",
    "declared_for_kvk": "namens_kvk",
}


@pytest.mark.parametrize(("field", "typed", "code", "api_code"), DECLARATION_CASES)
def test_declaration_fields_alike_through_form_api_and_csv(
    app: Flask,
    client: FlaskClient,
    world: dict[str, Any],
    field: str,
    typed: str,
    code: str,
    api_code: str,
) -> None:
    today = clock.today()
    form = {"occupants": "3", "start_date": today.isoformat(), "separate_contracts": "yes"}
    page = client.post(
        f"/organisatie/meldingen/nieuw/{world['address'].id}", data={**form, field: typed}
    )
    assert page.status_code == 200
    # WholeNumberField's own text is the same English sentence as number.format.
    assert _field_errors(page)[field] == _text(app, code)
    api = client.post(
        "/api/v1/declarations",
        json=body(**{"occupants_registered_brp": None, field: typed}),
        headers=headers(world["key"], f"{field}-{typed.encode().hex()}"),
    )
    assert api.status_code == 422
    assert [(e["field"], e["code"]) for e in api.get_json()["errors"]] == [(field, api_code)]
    cells = {
        "postcode": "3511 AB",
        "huisnummer": "12",
        "aantal_bewoners": "3",
        "startdatum": f"{today.day}-{today.month}-{today.year}",
        "aparte_contracten": "ja",
        DECLARATION_COLUMN[field]: typed,
    }
    assert _upload(client, cells) == {DECLARATION_COLUMN[field]: _text(app, code)}
    assert count(app, Declaration) == 0


def test_ascii_digits_still_file_through_all_three(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    today = clock.today()
    form = {"occupants": " 3 ", "start_date": today.isoformat(), "separate_contracts": "yes"}
    assert (
        client.post(f"/organisatie/meldingen/nieuw/{world['address'].id}", data=form).status_code
        == 302
    )
    api = client.post(
        "/api/v1/declarations",
        json=body(
            address={"postcode": "3511 AB", "house_number": "12"}, declared_for_kvk="12 34 56 78"
        ),
        headers=headers(world["key"], "ok"),
    )
    assert api.status_code == 201, api.get_json()
    assert count(app, Declaration) == 2


# --- street and town: the form for an address missing from the register, and the register's CSV -

PLACE_CASES = [
    ("street", f"Dorpsstraat{RLO}", "text.invisible"),
    ("street", f"Dorps{ZWSP}straat", "text.invisible"),
    ("street", f"Dorps{SHY}straat", "text.invisible"),
    ("town", f"{BOM}Utrecht", "text.invisible"),
    ("town", f"Utrecht{LRI}", "text.invisible"),
    ("town", "Utre\x07cht", "field.control_character"),
]
IMPORT_HEADER = (
    "nummeraanduiding_identificatie;verblijfsobject_identificatie;openbare_ruimte_naam;huisnummer;"
    "huisletter;huisnummertoevoeging;postcode;woonplaats_naam;gemeentecode;oppervlakte;"
    "gebruiksdoelen;status"
)


def _import_line(street: str = "Dorpsstraat", town: str = "Utrecht") -> str:
    return (
        f"{IMPORT_HEADER}\n0344200000777777;0344010000777777;{street};7;;;3511 AB;{town};GM0344;"
        "80;woonfunctie;Verblijfsobject in gebruik\n"
    )


@pytest.mark.parametrize(("field", "typed", "code"), PLACE_CASES)
def test_street_and_town_alike_through_form_and_csv(
    app: Flask, client: FlaskClient, world: dict[str, Any], field: str, typed: str, code: str
) -> None:
    today = clock.today()
    manual = {
        "occupants": "2",
        "start_date": today.isoformat(),
        "separate_contracts": "yes",
        "postcode": "3511 AB",
        "house_number": "99",
        "street": "Dorpsstraat",
        "town": "Utrecht",
        "municipality": "GM0344",
        field: typed,
    }
    page = client.post("/organisatie/meldingen/nieuw/handmatig", data=manual)
    assert page.status_code == 200
    assert _field_errors(page)[field] == _text(app, code)
    with app.app_context():
        report = import_addresses(_import_line(**{field: typed}))
        db.session.rollback()
    assert [(r.line, r.code) for r in report.rejected] == [(2, code)]
    assert report.accepted == 0
    assert count(app, Declaration) == 0


def test_street_and_town_are_stored_in_nfc(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    decomposed, composed = "Cafe\u0301straat", "Caféstraat"
    manual = {
        "occupants": "2",
        "start_date": clock.today().isoformat(),
        "separate_contracts": "yes",
        "postcode": "3511 AB",
        "house_number": "99",
        "street": decomposed,
        "town": "Utrecht",
        "municipality": "GM0344",
    }
    assert client.post("/organisatie/meldingen/nieuw/handmatig", data=manual).status_code == 302
    with app.app_context():
        import_addresses(_import_line(street=decomposed))
        db.session.commit()
        streets = set(db.session.execute(select(Address.street)).scalars())
    assert streets == {"Oudegracht", composed}


# --- permits: the register's form and its CSV import --------------------------------------------

PERMIT_CASES = [
    ("max_occupants", "max_bewoners", ARABIC_THREE, "permit.max_occupants.format"),
    ("max_occupants", "max_bewoners", FULL_WIDTH_THREE, "permit.max_occupants.format"),
    ("house_number", "huisnummer", "١٢", "house_number.format"),
    ("decision_reference", "besluitnummer", f"2026/{RLO}0815", "text.invisible"),
    ("decision_reference", "besluitnummer", f"{ZWSP}2026/0815", "text.invisible"),
]
PERMIT_FORM = {
    "decision_reference": "2026/0815",
    "postcode": "3511 AB",
    "house_number": "12",
    "permit_type": "omzettingsvergunning",
    "max_occupants": "8",
    "valid_from": "2026-01-01",
}


@pytest.mark.parametrize(("field", "column", "typed", "code"), PERMIT_CASES)
def test_permit_fields_alike_through_form_and_csv(
    app: Flask,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
    make_address: Callable[..., Any],
    field: str,
    column: str,
    typed: str,
    code: str,
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    make_address("3511 AB", 12)
    client = app.test_client()
    login(client, make_user("municipal_admin", municipality=utrecht))
    page = client.post("/gemeente/vergunningen/nieuw", data={**PERMIT_FORM, field: typed})
    assert page.status_code == 200
    assert _field_errors(page)[field] == _text(app, code)
    cells = {
        "besluitnummer": "2026/1",
        "postcode": "3511 AB",
        "huisnummer": "12",
        "huisletter": "",
        "toevoeging": "",
        "kvk_houder": "",
        "soort": "omzettingsvergunning",
        "max_bewoners": "8",
        "geldig_van": "01-01-2026",
        "geldig_tot": "",
        column: typed,
    }
    raw = f"{';'.join(cells)}\n{';'.join(cells.values())}\n".encode()
    response = client.post(
        "/gemeente/vergunningen/importeren",
        data={"file": (io.BytesIO(raw), "vergunningen.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    problems = {
        c: html.unescape(t).strip()
        for c, t in _ROW_PROBLEM.findall(response.get_data(as_text=True))
    }
    assert problems == {column: _text(app, code)}
    assert count(app, Permit) == 0


# --- a flag's note: the inspector's page and the API ---------------------------------------------


def test_a_note_with_a_direction_override_is_refused_on_the_page_and_in_the_api(
    app: Flask,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    address = make_address("3511 AB", 14, municipality=utrecht)
    flag_id = declare(app, make_user("declarant"), address, 6)  # 6 > 4 without a permit
    assert flag_id
    client = app.test_client()
    login(client, make_user("inspector", municipality=utrecht))
    note = f"Bezocht op {RLO}8102-11-72"
    page = client.post(f"/inspectie/signalen/{flag_id}/notitie", data={"text": note})
    assert page.status_code == 303  # refused: back to the flag page, which shows the message
    page = client.get(page.headers["Location"])
    assert _text(app, "text.invisible") in _field_errors(page).values()
    key = make_key(municipality=utrecht)
    api = client.patch(f"/api/v1/flags/{flag_id}", json={"note": note}, headers=key.auth)
    assert api.status_code == 422
    assert [(e["field"], e["code"]) for e in api.get_json()["errors"]] == [
        ("note", "text.invisible")
    ]
    decomposed = "Bewoner verhuisd naar Cafe\u0301straat"
    api = client.patch(f"/api/v1/flags/{flag_id}", json={"note": decomposed}, headers=key.auth)
    assert api.status_code == 200
    with app.app_context():
        notes = db.session.execute(
            select(FlagEvent.detail).where(FlagEvent.kind == "note")
        ).scalars()
        assert list(notes) == ["Bewoner verhuisd naar Caféstraat"]


def test_the_api_key_lifetime_takes_ascii_digits_only(
    app: Flask, make_user: Callable[..., Any]
) -> None:
    client = app.test_client()
    login(client, make_user("org_admin"))
    page = client.post(
        "/organisatie/api-sleutels", data={"name": "Planning", "lifetime_days": "٣٠"}
    )
    assert page.status_code == 200
    assert _field_errors(page)["lifetime_days"] == _text(app, "number.format")
