"""Declaring through the web: lookup → form → findings on screen; bad input; history; export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.models import Declaration, Receipt
from tests.conftest import login
from tests.helpers import count

FORM = {"occupants": "6", "start_date": "", "separate_contracts": "yes"}


def _form(**changes: str) -> dict[str, str]:
    return {**FORM, "start_date": clock.today().isoformat(), **changes}


def test_declare_through_lookup_and_see_findings(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address("3511 AB", 12, letter="A", floor_area=100)
    make_address("3511 AB", 12, letter="B", floor_area=60)
    login_as("declarant")
    page = client.get("/organisatie/meldingen/nieuw?postcode=3511ab&house_number=12&lang=en")
    text = page.get_data(as_text=True)
    assert "Choose the address" in text
    assert f"/organisatie/meldingen/nieuw/{address.id}" in text

    response = client.post(f"/organisatie/meldingen/nieuw/{address.id}", data=_form())
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Permit needed" in detail  # 6 > 4 without a permit
    assert "maximum without a permit" in detail
    assert count(app, Declaration) == 1 and count(app, Receipt) == 1


def test_second_organisation_sees_over_limit_with_limit_and_rule(
    app: Flask, make_user: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address("3511 AB", 14, floor_area=100)
    first, second = app.test_client(), app.test_client()
    login(first, make_user("declarant"))
    login(second, make_user("declarant"))
    first.post(f"/organisatie/meldingen/nieuw/{address.id}", data=_form(occupants="6"))
    response = second.post(
        f"/organisatie/meldingen/nieuw/{address.id}?lang=en", data=_form(occupants="5")
    )
    page = second.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "More occupants than allowed" in page
    assert "floor area of a dwelling" in page
    assert ">11<" in page and ">8<" in page  # total and limit


def test_bad_input_names_each_field_and_stores_nothing(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address()
    login_as("declarant")
    page = client.post(
        f"/organisatie/meldingen/nieuw/{address.id}",
        data={
            "occupants": "zes",
            "occupants_registered_brp": "-1",
            "start_date": "31-02-2026",
            "end_date": "",
            "declared_for_kvk": "12",
        },
    ).get_data(as_text=True)
    assert "Er is een probleem" in page
    assert "Vul een heel getal in" in page
    assert "31 februari 2026 bestaat niet." in page  # the day, not the format (issue 23)
    assert "Kies of het huurcontract en het arbeidscontract aparte documenten zijn." in page
    assert "?:" not in page  # a question label is not followed by a colon in the summary
    assert count(app, Declaration) == 0

    page = client.post(
        f"/organisatie/meldingen/nieuw/{address.id}",
        data=_form(
            occupants="501",
            occupants_registered_brp="2",
            start_date=(clock.today() + timedelta(days=400)).strftime("%d-%m-%Y"),
        ),
    ).get_data(as_text=True)
    assert "tussen 1 en 500" in page
    assert "hooguit een jaar vooruit" in page
    assert count(app, Declaration) == 0


def test_amend_and_end_keep_the_full_history(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address(floor_area=200)
    login_as("declarant")
    start = clock.today() - timedelta(days=2)
    first = client.post(
        f"/organisatie/meldingen/nieuw/{address.id}",
        data=_form(occupants="3", start_date=start.isoformat()),
    )
    first_path = first.headers["Location"]
    first_id = int(first_path.rstrip("/").rsplit("/", 1)[1])

    amended = client.post(
        f"/organisatie/meldingen/{first_id}/wijzigen",
        data={"occupants": "5", "effective_date": clock.today().isoformat()},
    )
    assert amended.status_code == 302
    amended_id = int(amended.headers["Location"].rsplit("/", 1)[1])
    # The superseded filing can no longer be amended.
    page = client.post(
        f"/organisatie/meldingen/{first_id}/wijzigen",
        data={"occupants": "4", "effective_date": clock.today().isoformat()},
    )
    assert "al gewijzigd of beëindigd" in page.get_data(as_text=True)

    ended = client.post(
        f"/organisatie/meldingen/{amended_id}/beeindigen",
        data={"end_date": clock.today().isoformat(), "reason": "returned_home"},
    )
    assert ended.status_code == 302
    history = client.get(ended.headers["Location"]).get_data(as_text=True)
    assert history.count("MH-") >= 3
    assert count(app, Declaration) == 3 and count(app, Receipt) == 3


def test_organisation_b_cannot_see_or_change_a_declaration_of_a(
    app: Flask, make_user: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address()
    owner, other = app.test_client(), app.test_client()
    login(owner, make_user("declarant"))
    login(other, make_user("declarant"))
    response = owner.post(f"/organisatie/meldingen/nieuw/{address.id}", data=_form(occupants="2"))
    declaration_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        from portal.extensions import db

        receipt_id = db.session.query(Receipt).one().id
    for path in (
        f"/organisatie/meldingen/{declaration_id}",
        f"/organisatie/meldingen/{declaration_id}/wijzigen",
        f"/organisatie/meldingen/{declaration_id}/beeindigen",
        f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf",
    ):
        assert other.get(path).status_code == 404, path
    assert (
        other.post(
            f"/organisatie/meldingen/{declaration_id}/beeindigen",
            data={"end_date": clock.today().isoformat(), "reason": "other"},
        ).status_code
        == 404
    )
    assert "MH-" not in other.get("/organisatie/meldingen?status=all").get_data(as_text=True)
    assert count(app, Declaration) == 1


def test_csv_export_opens_in_dutch_excel(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address(street='=HYPERLINK("http://x")')
    login_as("declarant")
    client.post(f"/organisatie/meldingen/nieuw/{address.id}", data=_form(occupants="2"))
    response = client.get("/organisatie/meldingen/export.csv")
    assert response.status_code == 200
    body = response.data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Referentie"
    assert rows[1][1].startswith("'=")  # formula neutralised
    assert rows[1][8] == clock.today().strftime("%d-%m-%Y")


def test_manual_address_when_not_in_register(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    make_municipality("GM0983", "Venlo", "Limburg")
    login_as("declarant")
    page = client.get("/organisatie/meldingen/nieuw?postcode=5911AB&house_number=99")
    assert "handmatig" in page.get_data(as_text=True)
    response = client.post(
        "/organisatie/meldingen/nieuw/handmatig",
        data=_form(
            occupants="2",
            postcode="5911AB",
            house_number="99",
            street="Nieuwe Weg",
            town="Venlo",
            municipality="GM0983",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "niet in het adresregister" in page


def test_receipt_downloads_as_the_same_pdf_twice(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address(floor_area=100)
    login_as("declarant")
    client.post(f"/organisatie/meldingen/nieuw/{address.id}", data=_form(occupants="3"))
    with app.app_context():
        from portal.extensions import db

        receipt = db.session.query(Receipt).one()
        receipt_id, reference, code = receipt.id, receipt.reference, receipt.verification_code
        assert receipt.pdf is None  # not rendered during the filing
    first = client.get(f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf")
    second = client.get(f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-") and first.data == second.data
    assert reference in first.headers["Content-Disposition"]
    import subprocess

    text = subprocess.run(
        ["pdftotext", "-", "-"], input=first.data, capture_output=True, check=True
    ).stdout.decode()
    assert reference in text and code in text


HOSTILE = [
    "<script>alert(1)</script>",
    '<link rel=stylesheet href="http://127.0.0.1:{port}/x">',
    '<img src="file:///etc/passwd">',
    "ąćęłńóśźż ăâîșț שלום مرحبا 🏠",
    "{{ 7*7 }}",
]


def test_hostile_text_stays_literal_on_pages_and_in_the_pdf(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    import http.server
    import subprocess
    import threading

    hits: list[str] = []

    class Canary(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Canary)
    port = server.server_address[1]
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    ).start()
    try:
        payload = " ".join(HOSTILE).format(port=port)
        make_municipality("GM0983", "Venlo", "Limburg")
        org = make_org(name=payload[:200])
        login(client, make_user("declarant", org=org))
        response = client.post(
            "/organisatie/meldingen/nieuw/handmatig",
            data=_form(
                occupants="2",
                postcode="5911AB",
                house_number="99",
                street="<script>alert(1)</script> {{ 7*7 }}",
                town='<img src="file:///etc/passwd"> ăâîșț 🏠',
                municipality="GM0983",
            ),
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
        assert "{{ 7*7 }}" in page  # never rendered as a template
        assert '<img src="file' not in page and "ăâîșț 🏠" in page
        with app.app_context():
            from portal.extensions import db

            receipt_id = db.session.query(Receipt).one().id
        pdf = client.get(f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf").data
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "<script>alert(1)</script>" in text  # street, literally
        assert "127.0.0.1" in text  # the organisation's <link> payload, as text
        assert hits == []
    finally:
        server.shutdown()
        server.server_close()
