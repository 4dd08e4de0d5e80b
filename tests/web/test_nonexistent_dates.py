"""A day the month does not have (issue 23): "31-02-2026" is written the allowed way, so the
message names the real problem — "31 februari 2026 bestaat niet" — instead of asking for another
format. The CSV upload (check page and error report) and a web form, in both languages;
tests/api/test_nonexistent_dates_api.py has the API, tests/unit/test_domain_dates.py the parser."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from tests.batch_support import HEADER, excel_csv, row, seed_register
from tests.web.test_batch_upload import _upload


@pytest.fixture
def register(app: Flask, make_municipality: Callable[..., Any]) -> list[int]:
    return seed_register(app, 3, make_municipality().id)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "31 februari 2026 bestaat niet."), ("en", "31 February 2026 does not exist.")],
)
def test_a_csv_row_with_31_february_names_the_day(
    client: FlaskClient, login_as: Callable[..., Any], register: list[int], lang: str, expected: str
) -> None:
    login_as("declarant")
    start = clock.today() - timedelta(days=1)
    rows = [row(0, start), row(1, start, startdatum="31-02-2026"), row(2, start)]
    response = _upload(client, excel_csv(rows, header=HEADER))
    assert response.status_code == 302
    check_url = response.headers["Location"]
    page = client.get(f"{check_url}?lang={lang}").get_data(as_text=True)
    assert expected in page
    assert "JJJJ-MM-DD" not in page and "YYYY-MM-DD" not in page
    report = client.get(f"{check_url}/fouten.csv?lang={lang}").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(report), delimiter=";"))
    assert [r[0] for r in table[1:]] == ["3"]
    assert table[1][-1] == f"startdatum: {expected}"


def test_the_declaration_form_names_the_day_in_english(
    client: FlaskClient, login_as: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    login_as("declarant")
    address = make_address("3511 AB", 12)
    page = client.post(
        f"/organisatie/meldingen/nieuw/{address.id}?lang=en",
        data={"occupants": "2", "start_date": "29-02-2027", "separate_contracts": "yes"},
    ).get_data(as_text=True)
    assert "29 February 2027 does not exist." in page
