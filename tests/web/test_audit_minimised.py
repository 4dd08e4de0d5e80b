"""Minimised audit views (issue 21 C, ``domain/audit_disclosure.py``).

An employee of an organisation (known email address, known IP address) logs in and files a
declaration over the limit in the municipality: a declaration, a receipt and a signal, each an
audit event in the municipality's log. Inspectors and municipal administrators then see the
organisation, the action and the object, never the employee's address nor any IP address (page
and CSV); their colleague's own action shows the colleague. The system administrator still sees
both; the organisation's administrator sees their own employee.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.extensions import db
from portal.services import audit
from tests.conftest import create_address, create_municipality, create_org, create_user, login

EMPLOYEE = "medewerker.jansen@alfawonen.nl"
EMPLOYEE_IP = "203.0.113.77"
INSPECTOR = "inspecteur.de.vries@utrecht.nl"
INSPECTOR_IP = "198.51.100.9"
ORGANISATION = "Alfa Wonen B.V."


def client_from(app: Flask, ip: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    mun = create_municipality(app, "GM0344", "Utrecht")
    org = create_org(app, name=ORGANISATION)
    address = create_address(app, "3511 AB", 7, municipality=mun)
    people = {
        "employee": create_user(app, "declarant", org=org, email=EMPLOYEE),
        "org_admin": create_user(app, "org_admin", org=org, email="beheer@alfawonen.nl"),
        "inspector": create_user(app, "inspector", municipality=mun, email=INSPECTOR),
        "municipal_admin": create_user(
            app, "municipal_admin", municipality=mun, email="beheer@utrecht.nl"
        ),
        "system_admin": create_user(app, "system_admin", email="systeem@beheer.nl"),
    }
    employee = client_from(app, EMPLOYEE_IP)
    login(employee, people["employee"])
    filed = employee.post(
        f"/organisatie/meldingen/nieuw/{address.id}",
        data={
            "occupants": "9",
            "start_date": clock.today().isoformat(),
            "separate_contracts": "yes",
        },
    )
    assert filed.status_code == 302
    # The inspector's own action: an export of the inbox (an audit event with its IP address).
    inspector = client_from(app, INSPECTOR_IP)
    login(inspector, people["inspector"])
    assert inspector.get("/inspectie/signalen/export.csv").status_code == 200
    return {"people": people, "mun": mun, "org": org}


def fetch(app: Flask, user: Any, path: str) -> tuple[str, list[list[str]]]:
    """The log page (English) and its CSV export, as ``user``."""
    client = client_from(app, "192.0.2.1")
    login(client, user)
    page = client.get(f"{path}?lang=en")
    assert page.status_code == 200
    export = client.get(f"{path}/export.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig")), delimiter=";"))
    return page.get_data(as_text=True), rows


@pytest.mark.parametrize("role", ["inspector", "municipal_admin"])
def test_municipal_staff_see_the_organisation_not_its_employee_nor_any_ip_address(
    app: Flask, world: dict[str, Any], role: str
) -> None:
    page, rows = fetch(app, world["people"][role], "/inspectie/logboek")
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    csv_text = "\n".join(";".join(row) for row in rows)
    for text in (table, csv_text):
        assert EMPLOYEE not in text
        for ip in (EMPLOYEE_IP, INSPECTOR_IP, "192.0.2.1"):
            assert ip not in text
        # organisation + action + object, in words
        assert ORGANISATION in text
        assert "Declaration filed" in text and "Signal opened" in text
        assert re.search(r"Signal \d+", text) and "Declaration MH-" in text
        # their colleague's own action still shows the colleague
        assert INSPECTOR in text and "Signals exported" in text
        assert "flag.open" not in text and "declaration.new" not in text
    assert "Origin IP address" not in page and rows[0][-1] == "Result"
    assert EMPLOYEE not in page and EMPLOYEE_IP not in page


def test_the_system_administrator_still_sees_the_employee_and_the_ip_address(
    app: Flask, world: dict[str, Any]
) -> None:
    page, rows = fetch(app, world["people"]["system_admin"], "/beheer/logboek")
    csv_text = "\n".join(";".join(row) for row in rows)
    for text in (page, csv_text):
        assert EMPLOYEE in text and EMPLOYEE_IP in text
        assert INSPECTOR in text and INSPECTOR_IP in text
    assert rows[0][-1] == "Origin IP address"


def test_the_organisation_administrator_sees_their_own_staff(
    app: Flask, world: dict[str, Any]
) -> None:
    page, rows = fetch(app, world["people"]["org_admin"], "/organisatie/logboek")
    csv_text = "\n".join(";".join(row) for row in rows)
    for text in (page, csv_text):
        assert EMPLOYEE in text and EMPLOYEE_IP in text
        assert INSPECTOR not in text and INSPECTOR_IP not in text


def test_counts_have_their_plural_in_both_languages(app: Flask, world: dict[str, Any]) -> None:
    with app.app_context():
        for rows in (1, 2):
            audit.record(
                "region.export",
                actor_label="system",
                object_type="region",
                municipality_id=world["mun"].id,
                detail=f"rows={rows}",
            )
        db.session.commit()
    client = app.test_client()
    login(client, world["people"]["inspector"])
    english = client.get("/inspectie/logboek?lang=en").get_data(as_text=True)
    assert "· 1 row<" in english and "· 2 rows<" in english
    dutch = client.get("/inspectie/logboek?lang=nl").get_data(as_text=True)
    assert "· 1 rij<" in dutch and "· 2 rijen<" in dutch
    assert "Regionale cijfers geëxporteerd" in dutch and "Signaal geopend" in dutch
