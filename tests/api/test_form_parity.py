"""The API and the CSV upload are the same service as the web form: they refuse the same input
with the same reasons, and the API finds the same findings."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.messages import message
from portal.models import Declaration
from portal.services.declarations import filing_findings
from tests.api.conftest import body, headers
from tests.conftest import login

_ERROR = re.compile(r'<p class="error" id="[^"]+-error">(.*?)</p>', re.S)
_UPLOAD_PROBLEM = re.compile(r'<tr><td class="num">\d+</td><td>[^<]*</td><td>(.*?)</td></tr>', re.S)
# The upload's CSV columns for the API's field names.
_COLUMNS = {
    "occupants": "aantal_bewoners",
    "occupants_registered_brp": "waarvan_ingeschreven_brp",
    "start_date": "startdatum",
    "end_date": "einddatum",
    "declared_for_kvk": "namens_kvk",
}
_HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)


def _form_errors(page: str) -> set[str]:
    texts: set[str] = set()
    for chunk in _ERROR.findall(page):
        texts.add(html.unescape(_HIDDEN.sub("", chunk)).strip())
    return texts


def _upload_errors(client: FlaskClient, values: dict[str, Any]) -> set[str]:
    """The messages the CSV upload's dry run shows for one row at 3511 AB 12 with ``values``."""
    header = ["postcode", "huisnummer", "aparte_contracten", *_COLUMNS.values()]
    cells = ["3511 AB", "12", "ja"] + [
        "" if values.get(name) is None else str(values[name]) for name in _COLUMNS
    ]
    raw = (";".join(header) + "\r\n" + ";".join(cells) + "\r\n").encode("utf-8")
    response = client.post(
        "/organisatie/meldingen/bulk",
        data={"file": (io.BytesIO(raw), "meldingen.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {html.unescape(text).strip() for text in _UPLOAD_PROBLEM.findall(page)}


def _day(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


CASES = [
    {"occupants": 0, "occupants_registered_brp": 3},
    {"occupants": 501, "start_date": _day(-400)},
    {"occupants": 5, "start_date": _day(400), "end_date": _day(390)},
    {"occupants": 5, "occupants_registered_brp": 6, "declared_for_kvk": "1234"},
    {"occupants": 5, "occupants_registered_brp": -1, "end_date": _day(-5)},
]


@pytest.mark.parametrize("case", CASES)
def test_same_invalid_input_same_reasons(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
    make_key: Callable[..., Any],
    case: dict[str, Any],
) -> None:
    address = make_address("3511 AB", 12)
    user = make_user("declarant")
    key = make_key()
    login(client, user)
    values = {"start_date": _day(0), "occupants_registered_brp": None, **case}
    form = {
        name: "" if value is None else str(value)
        for name, value in values.items()
        if name != "separate_contracts"
    }
    page = client.post(
        f"/organisatie/meldingen/nieuw/{address.id}",
        data={**form, "separate_contracts": "yes"},
    )
    assert page.status_code == 200
    api = client.post("/api/v1/declarations", json=body(**values), headers=headers(key, "p"))
    assert api.status_code == 422
    codes = [e["code"] for e in api.get_json()["errors"]]
    assert codes
    with app.test_request_context():
        expected = {message(code) for code in codes}
    assert _form_errors(page.get_data(as_text=True)) == expected
    assert _upload_errors(client, values) == expected  # the third channel: the CSV upload
    with app.app_context():
        assert db.session.execute(select(Declaration)).first() is None


def test_amendment_refused_alike(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
    make_key: Callable[..., Any],
    make_org: Callable[..., Any],
) -> None:
    make_address("3511 AB", 12)
    org = make_org()
    user = make_user("declarant", org=org)
    key = make_key(org)
    filed = client.post("/api/v1/declarations", json=body(), headers=headers(key, "n"))
    reference = filed.get_json()["reference"]
    with app.app_context():
        declaration_id = db.session.execute(
            select(Declaration.id).where(Declaration.reference == reference)
        ).scalar_one()
    login(client, user)
    bad = {"occupants": "600", "effective_date": _day(-3)}
    page = client.post(f"/organisatie/meldingen/{declaration_id}/wijzigen", data=bad)
    api = client.post(
        f"/api/v1/declarations/{reference}/amendments",
        json={"occupants": 600, "effective_date": _day(-3)},
        headers=headers(key, "a"),
    )
    codes = {e["code"] for e in api.get_json()["errors"]}
    assert codes == {"occupants.range", "effective_date.before_start"}
    with app.test_request_context():
        assert _form_errors(page.get_data(as_text=True)) == {message(c) for c in codes}


def test_same_findings_through_form_and_api(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
    make_key: Callable[..., Any],
) -> None:
    web_address = make_address("3511 AB", 12, floor_area=40)
    make_address("3511 AB", 14, floor_area=40)
    login(client, make_user("declarant"))
    client.post(
        f"/organisatie/meldingen/nieuw/{web_address.id}",
        data={"occupants": "6", "start_date": _day(-10), "separate_contracts": "yes"},
    )
    key = make_key()
    api = client.post(
        "/api/v1/declarations",
        json=body(
            address={"postcode": "3511AB", "house_number": 14},
            occupants=6,
            occupants_registered_brp=None,
            start_date=_day(-10),
        ),
        headers=headers(key, "f"),
    ).get_json()
    with app.app_context():
        web = db.session.execute(
            select(Declaration).where(Declaration.address_id == web_address.id)
        ).scalar_one()
        web_codes = sorted(f["code"] for f in filing_findings(web.receipt))  # type: ignore[misc]
    api_codes = sorted(f["code"] for f in api["findings"])
    assert web_codes == api_codes
    assert len(api_codes) >= 2  # over the floor-area limit, a permit needed, late
