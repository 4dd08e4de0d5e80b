"""The inspector's pages: inbox, CSV export, dossier, notes, assignment, status, alert settings.

Flags come from the real rules: declarations are filed through ``file_declaration``. Pages are
read in English (``?lang=en``) where a test looks for words, so the tests do not depend on the
state of the Dutch catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from portal import clock, create_app
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import AuditEvent, Declaration, Flag, FlagEvent, User
from portal.services.declarations import amend_declaration, file_declaration
from tests.conftest import overrides_for


def declare(app: Flask, user: Any, address: Any, occupants: int, **kwargs: Any) -> int:
    """File a declaration through the real service; returns the address's flag id (or 0)."""
    with app.app_context():
        data = DeclarationInput(
            occupants=occupants,
            start_date=kwargs.pop("start_date", clock.today()),
            separate_contracts=True,
        )
        file_declaration(db.session.get(User, user.id), data, address_id=address.id)
        db.session.commit()
        flag_id = db.session.execute(
            select(Flag.id).where(Flag.address_id == address.id)
        ).scalar_one_or_none()
        return flag_id or 0


def flag_row(app: Flask, flag_id: int) -> Flag:
    with app.app_context():
        flag = db.session.get(Flag, flag_id)
        assert flag is not None
        db.session.expunge(flag)
        return flag


def events_by(app: Flask, user: Any) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(FlagEvent.kind, FlagEvent.detail)
            .where(FlagEvent.actor_user_id == user.id)
            .order_by(FlagEvent.id)
        ).all()
        return [(kind, detail) for kind, detail in rows]


def english(client: FlaskClient) -> None:
    client.get("/?lang=en")


@pytest.fixture
def town(
    app: Flask,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> dict[str, Any]:
    utrecht = make_municipality("GM0344", "Utrecht")
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    flex = make_org(name="Flexwerk B.V.", kvk="90000011")
    west = make_org(name="Westland Personeel", kvk="90000012")

    def address(postcode: str, number: int, street: str, **kwargs: Any) -> Any:
        return make_address(postcode, number, municipality=utrecht, street=street, **kwargs)

    return {
        "utrecht": utrecht,
        "westland": westland,
        "a": make_user("declarant", org=flex),
        "b": make_user("declarant", org=west),
        "address": address,
        "foreign": make_address(
            "2671 AA", 5, municipality=westland, street="Havenstraat", town="Naaldwijk"
        ),
    }


# --- tenant isolation --------------------------------------------------------------------------


def test_a_flag_of_another_municipality_is_never_shown_counted_exported_or_changed(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    own_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    foreign_id = declare(app, town["a"], town["foreign"], 9)
    inspector = login_as("inspector", municipality=town["utrecht"])

    for status in ("current", "open", "in_progress", "closed", "all"):
        page = client.get(f"/inspectie/signalen?status={status}").get_data(as_text=True)
        assert "Havenstraat" not in page and f"/signalen/{foreign_id}" not in page
    assert "Oudegracht" in client.get("/inspectie/signalen").get_data(as_text=True)
    export = client.get("/inspectie/signalen/export.csv?status=all").get_data(as_text=True)
    assert "Oudegracht" in export and "Havenstraat" not in export
    dashboard = client.get("/inspectie/").get_data(as_text=True)
    assert re.search(r'id="count-open">1<', dashboard)

    assert client.get(f"/inspectie/signalen/{own_id}").status_code == 200
    assert client.get(f"/inspectie/signalen/{foreign_id}").status_code == 404
    posts = {
        "notitie": {"text": "gezien"},
        "toewijzen": {"assignee": str(inspector.id)},
        "status": {"to_status": "in_progress"},
    }
    for action, data in posts.items():
        response = client.post(f"/inspectie/signalen/{foreign_id}/{action}", data=data)
        assert response.status_code == 404, action
    foreign = flag_row(app, foreign_id)
    assert (foreign.status, foreign.assignee_user_id) == ("open", None)
    assert events_by(app, inspector) == []


def test_other_roles_and_anonymous_users_do_not_reach_the_inbox(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    assert client.get("/inspectie/signalen").status_code == 302
    assert client.post(
        f"/inspectie/signalen/{flag_id}/notitie", data={"text": "x"}
    ).status_code in (
        302,
        400,
    )
    login_as("declarant")
    assert client.get("/inspectie/signalen").status_code == 404
    assert client.get(f"/inspectie/signalen/{flag_id}").status_code == 404


def test_a_municipal_admin_works_the_inbox_too(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    login_as("municipal_admin", municipality=town["utrecht"])
    assert "Oudegracht" in client.get("/inspectie/signalen").get_data(as_text=True)
    response = client.post(
        f"/inspectie/signalen/{flag_id}/status", data={"to_status": "in_progress"}
    )
    assert response.status_code == 303
    assert flag_row(app, flag_id).status == "in_progress"


# --- the inbox ---------------------------------------------------------------------------------


def _order(page: str, streets: list[str]) -> list[str]:
    return sorted(streets, key=page.index)


def test_inbox_sorts_by_severity_age_and_postcode_area(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    with clock.freeze(now - timedelta(days=9)):
        declare(app, town["a"], town["address"]("3521 CD", 1, "Amsterdamsestraatweg"), 5)
    with clock.freeze(now - timedelta(days=3)):
        declare(app, town["a"], town["address"]("3531 EF", 2, "Biltstraat"), 8)
    declare(app, town["b"], town["address"]("3511 GH", 3, "Catharijnesingel"), 6)
    login_as("inspector", municipality=town["utrecht"])
    streets = ["Amsterdamsestraatweg", "Biltstraat", "Catharijnesingel"]

    def order(sort: str) -> list[str]:
        page = client.get(f"/inspectie/signalen?sort={sort}").get_data(as_text=True)
        return _order(page, streets)

    # Over the limit of 4 by 1, 4 and 2.
    assert order("severity") == ["Biltstraat", "Catharijnesingel", "Amsterdamsestraatweg"]
    assert order("") == order("severity")  # the default
    assert order("age") == ["Amsterdamsestraatweg", "Biltstraat", "Catharijnesingel"]
    assert order("postcode") == ["Catharijnesingel", "Amsterdamsestraatweg", "Biltstraat"]


def test_inbox_filters_by_status_reason_and_assignee(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    permit_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    # 36 m²: at most 3 people by floor area, so 5 is over the limit and needs a permit.
    area_id = declare(
        app, town["a"], town["address"]("3512 AB", 2, "Lange Nieuwstraat", floor_area=36), 5
    )
    inspector = login_as("inspector", municipality=town["utrecht"])
    client.post(f"/inspectie/signalen/{area_id}/toewijzen", data={"assignee": str(inspector.id)})
    client.post(f"/inspectie/signalen/{area_id}/status", data={"to_status": "in_progress"})

    def streets(query: str) -> set[str]:
        page = client.get(f"/inspectie/signalen?{query}").get_data(as_text=True)
        return {s for s in ("Oudegracht", "Lange Nieuwstraat") if s in page}

    assert streets("") == {"Oudegracht", "Lange Nieuwstraat"}
    assert streets("status=open") == {"Oudegracht"}
    assert streets("status=in_progress") == {"Lange Nieuwstraat"}
    assert streets("status=closed") == set()
    assert streets("reason=over_limit") == {"Lange Nieuwstraat"}
    assert streets("reason=permit_required") == {"Oudegracht", "Lange Nieuwstraat"}
    assert streets("assignee=me") == {"Lange Nieuwstraat"}
    assert streets("assignee=nobody") == {"Oudegracht"}
    # Hostile or unknown values are ignored, never an error.
    assert streets("status=%27+OR+1%3D1--&sort=%3Cscript%3E&page=-3") == {
        "Oudegracht",
        "Lange Nieuwstraat",
    }
    dashboard = client.get("/inspectie/").get_data(as_text=True)
    assert re.search(r'id="count-open">1<', dashboard)
    assert re.search(r'id="count-in-progress">1<', dashboard)
    assert re.search(r'id="count-mine">1<', dashboard)
    assert permit_id != area_id


def test_inbox_pages_through_many_flags(
    app: Flask, client: FlaskClient, login_as, town: dict, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from portal.views import inspector as views

    monkeypatch.setattr(views, "INBOX_PER_PAGE", 2)
    for n, street in enumerate(("Achter Clarenburg", "Breedstraat", "Choorstraat"), start=1):
        declare(app, town["a"], town["address"](f"351{n} AB", n, street), 4 + n)
    english(client)
    login_as("inspector", municipality=town["utrecht"])
    first = client.get("/inspectie/signalen").get_data(as_text=True)
    assert "Choorstraat" in first and "Breedstraat" in first and "Achter Clarenburg" not in first
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/inspectie/signalen?page=2").get_data(as_text=True)
    assert "Achter Clarenburg" in second and "Choorstraat" not in second
    assert "3 signals" in second


def test_csv_export_is_dutch_excel_neutralised_and_audited(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    hostile = '=HYPERLINK("http://evil.example","klik")'
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 7, hostile), 6)
    declare(app, town["a"], town["foreign"], 9)
    login_as("inspector", municipality=town["utrecht"])

    response = client.get("/inspectie/signalen/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 2  # header and the one flag of Utrecht
    assert ";" in lines[0]
    row = lines[1]
    assert row.startswith(f"{flag_id};")
    assert "'=HYPERLINK" in row
    assert ";=HYPERLINK" not in row and '"=HYPERLINK' not in row
    assert clock.today().strftime("%d-%m-%Y") in row
    assert ";6;4;2;" in row  # occupants, limit, over by
    with app.app_context():
        audits = db.session.execute(
            select(AuditEvent.object_type, AuditEvent.detail).where(
                AuditEvent.action == "flag.export"
            )
        ).all()
    # The object of an export is the municipality whose signals were exported.
    assert len(audits) == 1 and audits[0][0] == "municipality" and "rows=1" in audits[0][1]


# --- the dossier -------------------------------------------------------------------------------


def test_dossier_shows_both_organisations_the_chart_and_its_table(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    address = town["address"]("3511 AB", 12, "Oudegracht")
    declare(app, town["a"], address, 3)
    flag_id = declare(app, town["b"], address, 4)
    declare(app, town["b"], address, 2, start_date=clock.today() + timedelta(days=20))
    english(client)
    login_as("inspector", municipality=town["utrecht"])

    response = client.get(f"/inspectie/signalen/{flag_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("Flexwerk B.V.", "90000011", "Westland Personeel", "90000012"):
        assert text in page
    table = page[page.index('id="declarations"') : page.index('id="permits"')]
    counts = re.findall(r'<td class="num">(\d+)</td>', table)
    assert sorted(counts) == ["2", "3", "4"]
    assert re.search(r'id="total-today">7<', page)
    # The chart: inline SVG with a title and description, and the same figures as a table.
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="occupancy-chart" role="img"' in page
    assert (
        '<title id="occupancy-chart-title">' in page and '<desc id="occupancy-chart-desc">' in page
    )
    timeline = page[page.index('id="timeline-table"') : page.index('id="declarations"')]
    assert re.findall(r'<td class="num">(\d+)</td>', timeline)[:3] == ["7", "4", "3"]
    assert "<script" not in page
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "BAG address ID" in page  # the address block


def test_assign_start_close_and_the_history(
    app: Flask, client: FlaskClient, login_as, make_user, town: dict
) -> None:  # type: ignore[no-untyped-def]
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    colleague = make_user("inspector", municipality=town["utrecht"], email="collega@utrecht.nl")
    make_user("inspector", municipality=town["westland"], email="ander@westland.nl")
    english(client)
    inspector = login_as("inspector", municipality=town["utrecht"])
    base = f"/inspectie/signalen/{flag_id}"

    page = client.get(base).get_data(as_text=True)
    assert "collega@utrecht.nl" in page and "ander@westland.nl" not in page

    assert client.post(f"{base}/toewijzen", data={"assignee": str(colleague.id)}).status_code == 303
    assert client.post(f"{base}/toewijzen", data={"assignee": str(inspector.id)}).status_code == 303
    assert client.post(f"{base}/status", data={"to_status": "in_progress"}).status_code == 303
    response = client.post(
        f"{base}/status", data={"to_status": "resolved", "outcome": "enforcement_started"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The status of the signal has been changed." in page

    flag = flag_row(app, flag_id)
    assert (flag.status, flag.outcome, flag.assignee_user_id) == (
        "resolved",
        "enforcement_started",
        inspector.id,
    )
    assert [kind for kind, _ in events_by(app, inspector)] == [
        "assigned",
        "assigned",
        "status",
        "status",
    ]
    history = page[page.index('id="history"') :]
    assert history.index("In progress → Handled") < history.index("Open → In progress")
    assert "Enforcement started" in history and "collega@utrecht.nl" in history
    with app.app_context():
        actions = db.session.execute(
            select(AuditEvent.action, func.count())
            .where(AuditEvent.object_type == "flag", AuditEvent.actor_user_id == inspector.id)
            .group_by(AuditEvent.action)
        ).all()
    assert dict(actions) == {"flag.assign": 2, "flag.status": 2}


def test_closing_without_an_outcome_and_changing_a_closed_flag_are_refused(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    english(client)
    login_as("inspector", municipality=town["utrecht"])
    base = f"/inspectie/signalen/{flag_id}"

    page = client.post(
        f"{base}/status",
        data={"to_status": "resolved", "outcome": "warning"},
        follow_redirects=True,
    )
    assert "Start handling the signal first." in page.get_data(as_text=True)
    client.post(f"{base}/status", data={"to_status": "in_progress"})
    response = client.post(f"{base}/status", data={"to_status": "dismissed"})
    # Post/redirect/get: the refusal sends the browser back to the signal's own page.
    assert response.status_code == 303
    assert response.headers["Location"] == base
    shown = client.get(base)
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Nothing was changed. See the message at the form." in text
    assert "Choose the outcome of the inspection to close the signal." in text
    assert 'role="alert"' in text
    assert 'href="#outcome-0"' in text  # the summary links to the field
    assert 'aria-describedby="outcome-error"' in text
    assert re.search(
        r'<input checked id="to_status-\d" name="to_status" type="radio" value="dismissed"', text
    )
    assert flag_row(app, flag_id).status == "in_progress"
    # Shown once: a reload of the page is a plain page again.
    again = client.get(base).get_data(as_text=True)
    assert "Choose the outcome of the inspection to close the signal." not in again

    client.post(f"{base}/status", data={"to_status": "dismissed", "outcome": "unfounded"})
    assert (flag_row(app, flag_id).status, flag_row(app, flag_id).outcome) == (
        "dismissed",
        "unfounded",
    )
    for data in (
        {"to_status": "in_progress"},
        {"to_status": "resolved", "outcome": "warning"},
    ):
        response = client.post(f"{base}/status", data=data)
        assert (response.status_code, response.headers["Location"]) == (303, base)
        text = client.get(base).get_data(as_text=True)
        assert "This signal is closed." in text
    assert flag_row(app, flag_id).status == "dismissed"


def test_notes_are_kept_and_shown_as_literal_text(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    english(client)
    inspector = login_as("inspector", municipality=town["utrecht"])
    payload = "<script>alert('x')</script> {{7*7}}\n<b>vet</b>"
    response = client.post(f"/inspectie/signalen/{flag_id}/notitie", data={"text": payload})
    assert response.status_code == 303
    page = client.get(f"/inspectie/signalen/{flag_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; {{7*7}}" in page
    assert "&lt;b&gt;vet&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<b>vet" not in page
    assert events_by(app, inspector) == [("note", payload)]

    empty = client.post(f"/inspectie/signalen/{flag_id}/notitie", data={"text": "  "})
    assert (empty.status_code, empty.headers["Location"]) == (303, f"/inspectie/signalen/{flag_id}")
    assert "Write a note." in client.get(empty.headers["Location"]).get_data(as_text=True)
    # A note too long for the session cookie is not put in it: the page answers the post
    # itself, with the text still in the field (nothing typed is lost).
    long_note = "lang " * 801
    too_long = client.post(f"/inspectie/signalen/{flag_id}/notitie", data={"text": long_note})
    assert too_long.status_code == 200
    text = too_long.get_data(as_text=True)
    assert "A note is at most 4,000 characters." in text and long_note.strip() in text
    assert len(events_by(app, inspector)) == 1


def test_the_address_page_links_to_its_flag(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    address = town["address"]("3511 AB", 1, "Oudegracht")
    quiet = town["address"]("3511 AB", 2, "Oudegracht")
    flag_id = declare(app, town["a"], address, 6)
    declare(app, town["a"], quiet, 2)
    login_as("inspector", municipality=town["utrecht"])
    assert f"/inspectie/signalen/{flag_id}" in client.get(
        f"/inspectie/adressen/{address.id}"
    ).get_data(as_text=True)
    assert "/inspectie/signalen/" not in client.get(f"/inspectie/adressen/{quiet.id}").get_data(
        as_text=True
    )


def test_alert_settings_choose_immediate_digest_or_none(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    english(client)
    inspector = login_as("inspector", municipality=town["utrecht"])
    page = client.get("/inspectie/meldingen-instellingen").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="immediate"', page)
    response = client.post("/inspectie/meldingen-instellingen", data={"alert_mode": "digest"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(User, inspector.id).alert_mode == "digest"
    bad = client.post("/inspectie/meldingen-instellingen", data={"alert_mode": "hourly"})
    assert "Choose how you want to receive alerts." in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, inspector.id).alert_mode == "digest"


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    application = create_app({**overrides_for(database_url), "WTF_CSRF_ENABLED": True})
    yield application
    with application.app_context():
        db.engine.dispose()


def test_every_form_on_the_dossier_carries_a_csrf_token_and_a_post_without_one_is_refused(
    app: Flask, csrf_app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    flag_id = declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    inspector = login_as("inspector", municipality=town["utrecht"])
    # The same server-side session, in an app with CSRF protection on (as in production).
    protected = csrf_app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    protected.set_cookie("session", cookie.value)
    base = f"/inspectie/signalen/{flag_id}"

    for action, data in (
        ("notitie", {"text": "zonder token"}),
        ("toewijzen", {"assignee": str(inspector.id)}),
        ("status", {"to_status": "in_progress"}),
    ):
        assert protected.post(f"{base}/{action}", data=data).status_code == 400, action
    assert events_by(app, inspector) == []

    page = protected.get(base).get_data(as_text=True)
    forms = re.findall(r"<form method=\"post\".*?</form>", page, flags=re.S)
    assert len(forms) >= 4  # start handling, assign, assign to me, note (and logout)
    assert all('name="csrf_token"' in form for form in forms)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = protected.post(f"{base}/notitie", data={"text": "met token", "csrf_token": token[1]})
    assert response.status_code == 303
    assert events_by(app, inspector) == [("note", "met token")]


# --- the inbox shows today's figures --------------------------------------------------------------


def _inbox_row(page: str, street: str) -> str:
    match = re.search(rf"<tr>\s*<td><a [^>]*>{street} .*?</tr>", page, flags=re.S)
    assert match is not None, street
    return match.group(0)


def test_the_inbox_shows_todays_total_and_limit_not_those_at_opening(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    address = town["address"]("3511 AB", 1, "Oudegracht")
    flag_id = declare(app, town["a"], address, 8)
    assert (flag_row(app, flag_id).occupants, flag_row(app, flag_id).limit) == (8, 4)
    with app.app_context():
        declaration = db.session.execute(
            select(Declaration).where(Declaration.address_id == address.id)
        ).scalar_one()
        amend_declaration(db.session.get(User, town["a"].id), declaration, 3, clock.today())
        db.session.commit()
    english(client)
    login_as("inspector", municipality=town["utrecht"])
    row = _inbox_row(
        client.get("/inspectie/signalen?status=all").get_data(as_text=True), "Oudegracht"
    )
    assert '<td class="num">3 / 4</td>' in row
    assert "8 / 4" not in row
    assert flag_row(app, flag_id).status not in ("open", "in_progress")  # the portal resolved it
    # The flag page keeps the figures the flag was opened with.
    assert "8 / 4" in client.get(f"/inspectie/signalen/{flag_id}").get_data(as_text=True)


def test_the_inbox_reads_todays_figures_in_a_fixed_number_of_statements(
    app: Flask, client: FlaskClient, login_as, town: dict
) -> None:  # type: ignore[no-untyped-def]
    declare(app, town["a"], town["address"]("3511 AB", 1, "Oudegracht"), 6)
    login_as("inspector", municipality=town["utrecht"])

    def statements() -> int:
        seen: list[str] = []
        with app.app_context():
            engine = db.engine

        def count(*args: Any) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/inspectie/signalen").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    one = statements()
    for number, street in ((2, "Biltstraat"), (3, "Catharijnesingel"), (4, "Drift")):
        declare(app, town["b"], town["address"](f"3512 A{number}", number, street), 7)
    assert statements() == one
