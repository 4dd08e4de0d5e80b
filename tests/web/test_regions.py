"""Regions: the system admin groups municipalities and records the data-sharing agreement; the
inspectors of a region see its monthly figures, charts and exports; an inspector outside the
region sees none of it (404). Pages are read in English (``?lang=en``)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Address, AuditEvent, Municipality, Region, User
from portal.services.declarations import file_declaration
from portal.services.statistics import refresh_recent
from tests.conftest import login

TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.freeze(datetime(2026, 3, 10, 10, tzinfo=UTC)):
        yield


@pytest.fixture
def towns(make_municipality: Callable[..., Municipality]) -> dict[str, Municipality]:
    return {
        "utrecht": make_municipality("GM0344", "Utrecht"),
        "amersfoort": make_municipality("GM0307", "Amersfoort"),
        "zwolle": make_municipality("GM0193", "Zwolle", "Overijssel"),
    }


def _region(app: Flask, towns: dict[str, Municipality], agreed_on: date | None) -> int:
    with app.app_context():
        region = Region(name="Regio Utrecht", data_sharing_agreed_on=agreed_on)
        db.session.add(region)
        db.session.flush()
        for key in ("utrecht", "amersfoort"):
            db.session.get(Municipality, towns[key].id).region_id = region.id  # type: ignore[union-attr]
        db.session.commit()
        return region.id


def _declare(
    app: Flask, make_user: Callable[..., User], make_address: Callable[..., Address], towns: Any
) -> None:
    user = make_user("declarant")
    a1 = make_address("3511 AB", 1, municipality=towns["utrecht"], floor_area=300)
    b1 = make_address("3811 AA", 2, municipality=towns["amersfoort"], floor_area=300)
    with app.app_context():
        filer = db.session.get(User, user.id)
        for address, n in ((a1, 7), (b1, 11)):
            file_declaration(
                filer, DeclarationInput(n, date(2026, 3, 1), None, 2, True), address_id=address.id
            )
        refresh_recent(TODAY)
        db.session.commit()


# --- the system admin ---------------------------------------------------------------------------


def test_admin_creates_a_region_with_municipalities_and_an_agreement(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], towns: Any
) -> None:
    login_as("system_admin")
    response = client.post(
        "/beheer/regios?lang=en",
        data={"name": "Regio Utrecht", "agreed_on": "1-1-2026", "municipalities": "gm0344, GM0307"},
    )
    assert response.status_code == 302
    with app.app_context():
        region = db.session.execute(select(Region)).scalar_one()
        assert region.data_sharing_agreed_on == date(2026, 1, 1)
        assert sorted(m.code for m in region.municipalities) == ["GM0307", "GM0344"]
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "region_created")
        ).scalar_one()
        assert "GM0307,GM0344" in event.detail
    page = client.get("/beheer/regios?lang=en").get_data(as_text=True)
    assert "Regio Utrecht" in page and "Amersfoort, Utrecht" in page


def test_admin_form_names_every_problem(
    client: FlaskClient, login_as: Callable[..., User], towns: Any, app: Flask
) -> None:
    login_as("system_admin")
    _region(app, towns, None)
    page = client.post(
        "/beheer/regios?lang=en",
        data={"name": "Regio Zwolle", "agreed_on": "31-2-2026", "municipalities": "GM0193"},
    ).get_data(as_text=True)
    assert "31 February 2026 does not exist." in page
    page = client.post(
        "/beheer/regios?lang=en",
        data={"name": "regio utrecht", "municipalities": "GM9999 GM0307"},
    ).get_data(as_text=True)
    assert "There is already a region with this name." in page
    assert "not known municipalities: GM9999" in page
    assert "another region; remove them there first: GM0307 (Regio Utrecht)" in page
    with app.app_context():
        assert len(db.session.execute(select(Region)).scalars().all()) == 1


def test_admin_changes_members_and_removes_the_agreement(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], towns: Any
) -> None:
    login_as("system_admin")
    region_id = _region(app, towns, date(2026, 1, 1))
    form = client.get(f"/beheer/regios/{region_id}?lang=en").get_data(as_text=True)
    assert "GM0307, GM0344" in form and 'value="2026-01-01"' in form
    response = client.post(
        f"/beheer/regios/{region_id}?lang=en",
        data={"name": "Regio Utrecht", "agreed_on": "", "municipalities": "GM0344 GM0193"},
    )
    assert response.status_code == 302
    with app.app_context():
        region = db.session.get(Region, region_id)
        assert region is not None and region.data_sharing_agreed_on is None
        assert sorted(m.code for m in region.municipalities) == ["GM0193", "GM0344"]
        assert db.session.get(Municipality, towns["amersfoort"].id).region_id is None  # type: ignore[union-attr]


def test_regions_are_for_system_admins_only(
    client: FlaskClient, login_as: Callable[..., User], towns: Any
) -> None:
    login_as("inspector", municipality=towns["utrecht"])
    assert client.get("/beheer/regios").status_code == 404


# --- the regional view --------------------------------------------------------------------------


def test_inspector_of_the_region_sees_monthly_figures_chart_and_organisations(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
    towns: Any,
) -> None:
    _region(app, towns, date(2026, 1, 1))
    _declare(app, make_user, make_address, towns)
    login_as("inspector", municipality=towns["amersfoort"])
    response = client.get("/inspectie/regio?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="img"' in page and "<svg" in page  # the chart, with its table below
    assert "Figures of the region per month" in page
    assert "Figures of Utrecht per month" in page and "Figures of Amersfoort per month" in page
    assert ">18<" in page  # 7 + 11 occupants in March, region-wide
    assert "Organisations that house people in the region" in page
    assert "Addresses with an open signal" in page  # the organisation table is there
    orgs = client.get("/inspectie/regio/organisaties.csv?lang=en").get_data().decode("utf-8-sig")
    assert orgs.splitlines()[1].endswith(";2;2;18;2")  # both addresses need a permit
    with app.app_context():
        assert db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "region.organisations_viewed")
        ).scalar_one()


def test_without_an_agreement_the_region_sees_figures_only(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
    towns: Any,
) -> None:
    _region(app, towns, date(2026, 6, 1))  # signed for a later date: not in force yet
    _declare(app, make_user, make_address, towns)
    login_as("municipal_admin", municipality=towns["utrecht"])
    page = client.get("/inspectie/regio?lang=en").get_data(as_text=True)
    assert "There is no data-sharing agreement in force" in page
    assert "Addresses with an open signal" not in page
    assert "Organisatie" not in page  # no organisation name leaks
    assert client.get("/inspectie/regio/organisaties.csv").status_code == 404


def test_inspector_outside_the_region_sees_none_of_it(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
    towns: Any,
) -> None:
    _region(app, towns, date(2026, 1, 1))
    _declare(app, make_user, make_address, towns)
    login_as("inspector", municipality=towns["zwolle"])
    for path in (
        "/inspectie/regio",
        "/inspectie/regio/cijfers.csv",
        "/inspectie/regio/cijfers.xlsx",
        "/inspectie/regio/organisaties.csv",
    ):
        assert client.get(path).status_code == 404, path
    assert "/inspectie/regio" not in client.get("/inspectie/?lang=en").get_data(as_text=True)


def test_declarants_do_not_reach_the_regional_view(
    client: FlaskClient, login_as: Callable[..., User], towns: Any, app: Flask
) -> None:
    _region(app, towns, date(2026, 1, 1))
    login_as("declarant")
    assert client.get("/inspectie/regio").status_code == 404


def test_exports_csv_and_xlsx(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_address: Callable[..., Address],
    towns: Any,
) -> None:
    _region(app, towns, date(2026, 1, 1))
    _declare(app, make_user, make_address, towns)
    login_as("inspector", municipality=towns["utrecht"])
    csv_text = client.get("/inspectie/regio/cijfers.csv?lang=en").get_data().decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("Area;CBS code;Month;")
    assert "Utrecht;GM0344;2026-03;1;7;7;2;" in csv_text
    assert "Regio Utrecht;;2026-03;2;18;18;4;" in csv_text
    assert len(lines) == 1 + 3 * 12
    xlsx = client.get("/inspectie/regio/cijfers.xlsx?lang=en")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        texts = archive.read("xl/sharedStrings.xml").decode()  # the sheet's texts
        assert "<t>Regio Utrecht</t>" in texts and "<v>18</v>" in sheet
        assert 'sheet name="Regio Utrecht"' in archive.read("xl/workbook.xml").decode()


# --- the demo -----------------------------------------------------------------------------------


def test_demo_region_shows_monthly_figures_and_keeps_westland_out(app: Flask, runner: Any) -> None:
    from portal.demo.load import DEMO_PASSWORD

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # idempotent
    utrecht = app.test_client()
    login(
        utrecht, type("U", (), {"email": "inspecteur@utrecht.demo.meldportaal.nl"})(), DEMO_PASSWORD
    )  # type: ignore[arg-type]
    page = utrecht.get("/inspectie/regio?lang=en").get_data(as_text=True)
    assert "Demoregio Utrecht–Rotterdam" in page and "<svg" in page
    assert "Figures of Rotterdam per month" in page
    assert "Flexwerk" in page  # the agency housing people in both municipalities
    westland = app.test_client()
    login(
        westland,
        type("U", (), {"email": "inspecteur@westland.demo.meldportaal.nl"})(),
        DEMO_PASSWORD,
    )  # type: ignore[arg-type]
    assert westland.get("/inspectie/regio").status_code == 404
