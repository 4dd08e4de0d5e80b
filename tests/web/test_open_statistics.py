"""Open statistics: the public page and GET /api/v1/statistics never show a count below 5, and an
outsider who tries to work a hidden count out from the totals fails."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Address, Municipality, User
from portal.services.declarations import file_declaration
from portal.services.statistics import OPEN_MEASURES, refresh_recent
from tests.unit.test_domain_statistics import attack

TODAY = date(2026, 3, 10)
# March is published once its figures are final: not while it runs, nor in April (the nightly
# job still recomputes it then), but from 1 May.
PUBLISHED_ON = datetime(2026, 5, 10, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.freeze(PUBLISHED_ON):
        yield


@pytest.fixture
def figures(
    app: Flask,
    make_municipality: Callable[..., Municipality],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
) -> dict[str, int]:
    """Utrecht 3 occupants at 1 address; Amersfoort 6 at 5 addresses + 4 at 1 in two postcode
    areas; Zwolle 12 at 6 addresses in one area; Almere nothing."""
    towns = {
        "utrecht": make_municipality("GM0344", "Utrecht"),
        "amersfoort": make_municipality("GM0307", "Amersfoort"),
        "zwolle": make_municipality("GM0193", "Zwolle", "Overijssel"),
        "almere": make_municipality("GM0034", "Almere", "Flevoland"),
    }
    user = make_user("declarant")
    plan = [
        ("utrecht", "3511 AB", 3),
        *[("amersfoort", "3811 AA", n) for n in (2, 1, 1, 1, 1)],
        ("amersfoort", "3812 BB", 4),
        *[("zwolle", "8011 AA", 2) for _ in range(6)],
    ]
    addresses = [
        make_address(postcode, i + 1, municipality=towns[town], floor_area=400)
        for i, (town, postcode, _n) in enumerate(plan)
    ]
    with app.app_context(), clock.freeze(datetime(2026, 3, 10, 10, tzinfo=UTC)):
        filer = db.session.get(User, user.id)
        for address, (_town, _postcode, n) in zip(addresses, plan, strict=True):
            file_declaration(
                filer,
                DeclarationInput(n, date(2026, 3, 1), None, None, True),
                address_id=address.id,
            )
        refresh_recent(TODAY)
        db.session.commit()
    return {"utrecht": 3, "amersfoort": 10, "zwolle": 12, "almere": 0}


def _numbers_below_five(values: list[object]) -> list[object]:
    return [v for v in values if isinstance(v, int) and v < 5]


def test_api_json_hides_small_counts_and_they_cannot_be_recovered(
    client: FlaskClient, figures: dict[str, int]
) -> None:
    response = client.get("/api/v1/statistics?month=2026-03")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["months"] == ["2026-03"]
    rows = {r["municipality_code"]: r for r in body["rows"]}
    assert rows["GM0344"]["occupants"] == "<5"
    assert rows["GM0034"]["occupants"] == "<5"  # zero is below 5 too
    for measure in OPEN_MEASURES:
        shown = [rows[code][measure] for code in sorted(rows)]
        total = body["totals"][0][measure]
        assert not _numbers_below_five([*shown, total])
        truth = {"GM0344": 3, "GM0307": 10, "GM0193": 12, "GM0034": 0}
        for i, possible in attack(shown, total).items():
            assert len(possible) > 1, (measure, sorted(rows)[i], possible)
            if measure == "occupants":
                assert truth[sorted(rows)[i]] in possible


def test_postcode_areas_are_broken_down_only_where_safe(
    client: FlaskClient, figures: dict[str, int]
) -> None:
    response = client.get("/api/v1/statistics?level=postcode&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    areas = [r for r in rows if r["postcode_area"]]
    # Zwolle's single area equals its total (12): it is shown. Amersfoort's 5 + 1 addresses
    # cannot be broken down: a listed area has at least one, so "x" + "<5" = 6 leaves only 5 + 1
    # (the rule that a "<5" of a listed area is 1…4). Utrecht's 3 is too small to break down.
    by_area = {r["postcode_area"]: r for r in areas}
    assert (by_area["8011"]["addresses_occupied"], by_area["8011"]["occupants"]) == ("6", "12")
    assert "3811" not in by_area and "3812" not in by_area
    assert "3511" not in by_area
    for row in rows:
        for measure in ("addresses_occupied", "occupants"):
            value = row[measure]
            assert value in ("<5", "x") or int(value) >= 5, row


def test_api_refuses_bad_parameters_with_problem_json(client: FlaskClient) -> None:
    for query, field in (
        ("month=maart", "month"),
        ("month=2020-01", "month"),
        ("level=street", "level"),
        ("format=xml", "format"),
    ):
        response = client.get(f"/api/v1/statistics?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"][0]["field"] == field


def test_public_page_shows_no_number_below_five(
    client: FlaskClient, figures: dict[str, int]
) -> None:
    page = client.get("/statistieken?lang=en").get_data(as_text=True)
    assert "Open statistics" in page and "&lt;5" in page
    table = page[page.index("<table") : page.index("</table>")]
    cells = re.findall(r'<td class="num">([^<]*)</td>', table)
    assert cells, table
    for cell in cells:
        assert cell in ("&lt;5", "x") or int(cell.replace(".", "")) >= 5, cell
    assert "Almere" not in table  # every figure hidden: left out of the page table


@pytest.mark.parametrize(
    ("today", "published"),
    [
        pytest.param(datetime(2026, 3, 31, 10, tzinfo=UTC), [], id="running-month-never"),
        pytest.param(datetime(2026, 4, 30, 10, tzinfo=UTC), [], id="month-before-not-yet"),
        pytest.param(datetime(2026, 5, 1, 10, tzinfo=UTC), ["2026-03"], id="final-from-1-may"),
    ],
)
def test_only_final_months_are_published(
    client: FlaskClient, figures: dict[str, int], today: datetime, published: list[str]
) -> None:
    """A figure that is still recomputed every night is never published: two downloads a day
    apart could be subtracted from each other."""
    with clock.freeze(today):
        body = client.get("/api/v1/statistics").get_json()
        asked = client.get("/api/v1/statistics?month=2026-03")
    assert body["months"] == published
    assert asked.status_code == (200 if published else 422)


def test_public_page_without_figures(client: FlaskClient) -> None:
    page = client.get("/statistieken?lang=en").get_data(as_text=True)
    assert "There are no figures yet." in page
