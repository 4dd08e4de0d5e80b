"""Dates at the edges through every channel (issue 21): a date outside 1900-01-01 … 2200-12-31
is refused with its field's message in the web forms, the API (problem+json with the field) and
the CSV upload (the row's message); a filter date in the query string of the audit pages, their
exports and the statistics is shown as a mistake and ignored — never a server error.
"""

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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal import clock
from portal.extensions import db
from portal.messages import message
from portal.models import AuditEvent, Declaration, Permit
from portal.services import audit
from tests.conftest import login
from tests.helpers import count
from tests.unit.test_domain_dates import DATE_LIKE

_ERROR = re.compile(r'<p class="error" id="([^"]+)-error">(.*?)</p>', re.S)
_HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)
_ROW_PROBLEM = re.compile(r'<tr><td class="num">\d+</td><td>([^<]*)</td><td>(.*?)</td></tr>', re.S)

OUT_OF_RANGE = ["9999-12-31", "31-12-9999", "0001-01-01", "1-1-1899", "2201-01-01"]


def _range_text(app: Flask) -> str:
    with app.test_request_context():
        return message("date.range")


def _field_errors(page: str) -> dict[str, str]:
    return {
        field: html.unescape(_HIDDEN.sub("", text)).strip() for field, text in _ERROR.findall(page)
    }


@pytest.mark.parametrize("typed", OUT_OF_RANGE)
def test_declaration_forms_refuse_a_date_outside_the_range_at_its_field(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_address: Callable[..., Any],
    typed: str,
) -> None:
    address = make_address("3511 AB", 12)
    login_as("declarant")
    today = clock.today().isoformat()
    new = {"occupants": "3", "separate_contracts": "yes", "start_date": today}
    url = f"/organisatie/meldingen/nieuw/{address.id}"
    for field in ("start_date", "end_date"):
        page = client.post(url, data={**new, field: typed})
        assert page.status_code == 200
        assert _field_errors(page.get_data(as_text=True))[field] == _range_text(app)
    filed = client.post(url, data=new)
    assert filed.status_code == 302
    base = filed.headers["Location"]
    page = client.post(f"{base}/wijzigen", data={"occupants": "2", "effective_date": typed})
    assert _field_errors(page.get_data(as_text=True))["effective_date"] == _range_text(app)
    page = client.post(f"{base}/beeindigen", data={"end_date": typed, "reason": "other"})
    assert _field_errors(page.get_data(as_text=True))["end_date"] == _range_text(app)
    assert count(app, Declaration) == 1


@pytest.mark.parametrize("typed", ["31-12-9999", "1-1-0001", "2201-01-01"])
def test_the_csv_upload_names_the_row_and_column(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_address: Callable[..., Any],
    typed: str,
) -> None:
    make_address("3511 AB", 12)
    login_as("declarant")
    today = clock.today()
    raw = (
        "postcode;huisnummer;huisletter;toevoeging;aantal_bewoners;startdatum;einddatum;"
        "aparte_contracten\r\n"
        f"3511 AB;12;;;3;{typed};;ja\r\n"
        f"3511 AB;12;;;3;{today.day}-{today.month}-{today.year};{typed};ja\r\n"
    ).encode()
    response = client.post(
        "/organisatie/meldingen/bulk",
        data={"file": (io.BytesIO(raw), "meldingen.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    problems = [
        (column, html.unescape(text).strip())
        for column, text in _ROW_PROBLEM.findall(response.get_data(as_text=True))
    ]
    assert problems == [("startdatum", _range_text(app)), ("einddatum", _range_text(app))]


def test_a_permit_with_a_last_day_in_9999_is_refused_on_the_form_and_in_the_import(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    make_address("3511 AB", 12)
    login(client, make_user("municipal_admin", municipality=utrecht))
    form = {
        "decision_reference": "2026/0815",
        "postcode": "3511 AB",
        "house_number": "12",
        "permit_type": "omzettingsvergunning",
        "max_occupants": "8",
        "valid_from": "2026-01-01",
        "valid_until": "31-12-9999",
    }
    page = client.post("/gemeente/vergunningen/nieuw", data=form)
    assert page.status_code == 200
    assert _field_errors(page.get_data(as_text=True))["valid_until"] == _range_text(app)
    header = "besluitnummer;postcode;huisnummer;soort;max_bewoners;geldig_van;geldig_tot;kvk_houder"
    line = "2026/1;3511 AB;12;omzettingsvergunning;8;01-01-2026;31-12-9999;"
    response = client.post(
        "/gemeente/vergunningen/importeren",
        data={"file": (io.BytesIO(f"{header}\n{line}\n".encode()), "vergunningen.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert _range_text(app) in html.unescape(response.get_data(as_text=True))
    assert count(app, Permit) == 0


# --- filters in query strings -------------------------------------------------------------------

AUDIT_PAGES = {
    "org_admin": "/organisatie/logboek",
    "inspector": "/inspectie/logboek",
    "system_admin": "/beheer/logboek",
}


@pytest.fixture
def staff_clients(
    app: Flask, make_user: Callable[..., Any], make_municipality: Callable[..., Any]
) -> dict[str, FlaskClient]:
    utrecht = make_municipality("GM0344", "Utrecht")
    clients: dict[str, FlaskClient] = {}
    for role in AUDIT_PAGES:
        user = make_user(role, **({"municipality": utrecht} if role == "inspector" else {}))
        client = app.test_client()
        login(client, user)
        clients[role] = client
    with app.app_context():
        audit.record("login", actor_label="marker-event", object_type="user", object_id="1")
        db.session.commit()
    return clients


@pytest.mark.parametrize("role", list(AUDIT_PAGES))
@pytest.mark.parametrize("field", ["date_from", "date_until"])
def test_an_audit_filter_date_in_9999_is_named_and_ignored(
    app: Flask, staff_clients: dict[str, FlaskClient], role: str, field: str
) -> None:
    client = staff_clients[role]
    page = client.get(AUDIT_PAGES[role], query_string={field: "9999-12-31"})
    assert page.status_code == 200
    assert _field_errors(page.get_data(as_text=True))[field] == _range_text(app)
    export = client.get(AUDIT_PAGES[role] + "/export.csv", query_string={field: "31-12-9999"})
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    if role == "system_admin":  # the filter was ignored: the event is in the file
        assert "marker-event" in export.get_data(as_text=True)


def test_an_audit_filter_at_the_edges_of_the_range_still_filters(
    app: Flask, staff_clients: dict[str, FlaskClient]
) -> None:
    client = staff_clients["system_admin"]
    everything = {"date_from": "1900-01-01", "date_until": "2200-12-31"}
    export = client.get("/beheer/logboek/export.csv", query_string=everything)
    assert "marker-event" in export.get_data(as_text=True)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    export = client.get("/beheer/logboek/export.csv", query_string={"date_from": tomorrow})
    assert "marker-event" not in export.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="audit.export").count() == 2


FILTER_URLS = [
    *(f"{path}{suffix}" for path in AUDIT_PAGES.values() for suffix in ("", "/export.csv")),
]
_SAMPLE = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("url", FILTER_URLS)
def test_any_date_string_in_an_audit_filter_never_answers_a_server_error(
    staff_clients: dict[str, FlaskClient], url: str
) -> None:
    role = next(r for r, path in AUDIT_PAGES.items() if url.startswith(path))
    client = staff_clients[role]

    @given(date_from=DATE_LIKE, date_until=DATE_LIKE)
    @example(date_from="", date_until="9999-12-31")  # the review's 500: the day after 9999-12-31
    @example(date_from="9999-12-31", date_until="")
    @_SAMPLE
    def check(date_from: str, date_until: str) -> None:
        response = client.get(url, query_string={"date_from": date_from, "date_until": date_until})
        assert response.status_code < 500, (date_from, date_until)

    check()


@given(month=st.one_of(DATE_LIKE, st.from_regex(r"-?[0-9]{1,6}-[0-9]{1,3}", fullmatch=True)))
@_SAMPLE
def test_any_month_in_the_statistics_query_never_answers_a_server_error(
    client: FlaskClient, month: str
) -> None:
    assert client.get("/statistieken", query_string={"month": month}).status_code < 500
    response = client.get("/api/v1/statistics", query_string={"month": month})
    assert response.status_code < 500
