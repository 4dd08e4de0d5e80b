"""The audit log pages ("Logboek"): organisation admins see their organisation's events,
inspectors and municipal admins their municipality's, the system admin all; 0 events of another
tenant. Filters by action and dates, newest first, Dutch dates, a pager, and a CSV export that is
itself audited. Only the right roles reach the pages (others: 404 and an "authz_denied" event).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Municipality, Organisation, User
from portal.services import audit
from tests.conftest import login

PAGES = {
    "org": "/organisatie/logboek",
    "municipality": "/inspectie/logboek",
    "system": "/beheer/logboek",
}
ALLOWED = {
    "org": {"org_admin"},
    "municipality": {"inspector", "municipal_admin"},
    "system": {"system_admin"},
}
ROLES = ("declarant", "org_admin", "inspector", "municipal_admin", "system_admin")


def _event(app: Flask, action: str, label: str, **tenant: Any) -> None:
    with app.app_context():
        audit.record(action, actor_label=label, object_type="thing", object_id="1", **tenant)
        db.session.commit()


@pytest.fixture
def tenants(
    app: Flask,
    make_org: Callable[..., Organisation],
    make_municipality: Callable[..., Municipality],
) -> dict[str, Any]:
    own_org, other_org = make_org(name="Eigen B.V."), make_org(name="Ander B.V.")
    own_mun = make_municipality("GM0344", "Utrecht")
    other_mun = make_municipality("GM1783", "Westland")
    _event(app, "declaration.new", "marker-own-org", organisation_id=own_org.id)
    _event(app, "declaration.new", "marker-other-org", organisation_id=other_org.id)
    _event(app, "flag.open", "marker-own-mun", municipality_id=own_mun.id)
    _event(app, "flag.open", "marker-other-mun", municipality_id=other_mun.id)
    _event(app, "login", "marker-no-tenant")
    return {"org": own_org, "other_org": other_org, "mun": own_mun, "other_mun": other_mun}


def _as(
    role: str, app: Flask, make_user: Callable[..., User], tenants: dict[str, Any]
) -> tuple[FlaskClient, User]:
    kwargs: dict[str, Any] = {}
    if role in ("declarant", "org_admin"):
        kwargs["org"] = tenants["org"]
    elif role in ("inspector", "municipal_admin"):
        kwargs["municipality"] = tenants["mun"]
    user = make_user(role, **kwargs)
    client = app.test_client()
    login(client, user)
    return client, user


EXPECTED_MARKERS = {
    "org_admin": {"marker-own-org"},
    "inspector": {"marker-own-mun"},
    "municipal_admin": {"marker-own-mun"},
    "system_admin": {
        "marker-own-org",
        "marker-other-org",
        "marker-own-mun",
        "marker-other-mun",
        "marker-no-tenant",
    },
}
ALL_MARKERS = EXPECTED_MARKERS["system_admin"]


@pytest.mark.parametrize("role", sorted(EXPECTED_MARKERS))
def test_each_role_sees_only_its_own_events(
    app: Flask, make_user: Callable[..., User], tenants: dict[str, Any], role: str
) -> None:
    client, _user = _as(role, app, make_user, tenants)
    area = next(a for a, roles in ALLOWED.items() if role in roles)
    page = client.get(PAGES[area] + "?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = {m for m in ALL_MARKERS if m in html}
    assert shown == EXPECTED_MARKERS[role]  # cross-tenant: 0 events of another tenant
    export = client.get(PAGES[area] + "/export.csv?lang=en")
    assert export.status_code == 200
    table = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig")), delimiter=";"))
    header = ["Time (UTC)", "Actor", "Action", "Object", "Result", "Origin IP address"]
    # Municipal staff see no IP addresses at all (issue 21 C: tests/web/test_audit_minimised.py).
    assert table[0] == (header[:-1] if area == "municipality" else header)
    assert {r[1] for r in table[1:]} & ALL_MARKERS == EXPECTED_MARKERS[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("area", sorted(PAGES))
def test_pages_are_reachable_only_by_the_right_roles(
    app: Flask, make_user: Callable[..., User], tenants: dict[str, Any], role: str, area: str
) -> None:
    client, user = _as(role, app, make_user, tenants)
    for path in (PAGES[area], PAGES[area] + "/export.csv"):
        response = client.get(path)
        if role in ALLOWED[area]:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 404, path
            with app.app_context():
                denied = db.session.execute(
                    select(AuditEvent).where(
                        AuditEvent.action == "authz_denied", AuditEvent.actor_user_id == user.id
                    )
                ).scalars()
                assert any(
                    e.object_id.endswith("audit_log" if path == PAGES[area] else "audit_log_export")
                    for e in denied
                )


def test_anonymous_users_are_sent_to_the_login_page(app: Flask, client: FlaskClient) -> None:
    for path in PAGES.values():
        for url in (path, path + "/export.csv"):
            response = client.get(url)
            assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_the_export_is_audited_with_its_filter(
    app: Flask, make_user: Callable[..., User], tenants: dict[str, Any]
) -> None:
    client, user = _as("inspector", app, make_user, tenants)
    today = clock.today().isoformat()
    response = client.get(f"/inspectie/logboek/export.csv?action=flag.open&date_from={today}")
    assert response.status_code == 200
    with app.app_context():
        exports = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.export"))
            .scalars()
            .all()
        )
        assert len(exports) == 1
        event = exports[0]
        assert event.actor_user_id == user.id and event.result == "ok"
        assert event.municipality_id == tenants["mun"].id
        assert (
            event.object_type == "audit_log"
            and event.object_id == f"municipality:{tenants['mun'].id}"
        )
        assert "action=flag.open" in event.detail and "count=1" in event.detail
        assert event.origin_ip == "127.0.0.1"
    # The export shows up in the municipality's own log, and not in the other's.
    page = client.get("/inspectie/logboek?lang=en").get_data(as_text=True)
    assert "Audit log exported" in page


def test_filters_order_pager_and_dutch_dates(
    app: Flask, make_user: Callable[..., User], tenants: dict[str, Any]
) -> None:
    org_id = tenants["org"].id
    # At 10:00 UTC, so that the events of one day (up to an hour apart) stay on one Dutch day:
    # from late evening on, "now" plus 30 minutes crossed midnight and the test failed.
    base = (clock.now() - timedelta(days=40)).replace(hour=10, minute=0, second=0, microsecond=0)
    with app.app_context():
        for i in range(60):
            event = audit.record(
                "receipt.download" if i % 2 else "declaration.export",
                actor_label=f"bulk-{i:02d}",
                object_type="receipt",
                object_id=str(i),
                organisation_id=org_id,
            )
            event.occurred_at = base + timedelta(days=i % 30, minutes=i)
        db.session.commit()
    client, _user = _as("org_admin", app, make_user, tenants)

    first = client.get("/organisatie/logboek").get_data(as_text=True)  # Dutch, the default
    assert "Logboek" in first or "Audit log" in first
    assert 'rel="next"' in first  # 61+ events, 50 a page
    months = (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    )
    assert any(f" {m} " in first for m in months)  # "12 oktober 2026, 14:03"
    second = client.get("/organisatie/logboek?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second

    # Newest first: the marker event of today comes before the bulk events of weeks ago.
    english = client.get("/organisatie/logboek?lang=en").get_data(as_text=True)
    assert english.index("marker-own-org") < english.index("bulk-")
    assert "Declaration filed" in english and "Receipt downloaded" in english  # labels

    # Filter by action: only that action.
    only = client.get("/organisatie/logboek?lang=en&action=receipt.download").get_data(as_text=True)
    assert "Receipt downloaded" in only.split("<tbody>")[1]
    assert "Declarations exported" not in only.split("<tbody>")[1]
    assert "30 events" in only

    # Filter by dates: the day of the oldest bulk events only.
    day = (base + timedelta(days=0)).astimezone(clock.AMSTERDAM).date()
    ranged = client.get(
        f"/organisatie/logboek?lang=en&date_from={day.isoformat()}&date_until={day.strftime('%d-%m-%Y')}"
    ).get_data(as_text=True)
    body = ranged.split("<tbody>")[1] if "<tbody>" in ranged else ""
    assert "bulk-00" in body and "bulk-30" in body and "marker-own-org" not in body
    # A date that is not valid is shown as an error and ignored.
    bad = client.get("/organisatie/logboek?lang=en&date_from=31-02-2026")
    assert bad.status_code == 200 and "31 February 2026 does not exist." in bad.get_data(
        as_text=True
    )


def test_unknown_action_codes_are_shown_as_they_are(
    app: Flask, make_user: Callable[..., User], tenants: dict[str, Any]
) -> None:
    _event(app, "something.new", "marker-code", organisation_id=tenants["org"].id)
    client, _user = _as("org_admin", app, make_user, tenants)
    page = client.get("/organisatie/logboek?lang=en").get_data(as_text=True)
    assert "something.new" in page


def test_nav_links(app: Flask, make_user: Callable[..., User], tenants: dict[str, Any]) -> None:
    for role, link in (
        ("org_admin", PAGES["org"]),
        ("inspector", PAGES["municipality"]),
        ("municipal_admin", PAGES["municipality"]),
        ("system_admin", PAGES["system"]),
    ):
        client, _user = _as(role, app, make_user, tenants)
        home = {"org_admin": "/organisatie/", "system_admin": "/beheer/"}.get(role, "/inspectie/")
        assert f'href="{link}"' in client.get(home).get_data(as_text=True), role
    client, _user = _as("declarant", app, make_user, tenants)
    assert PAGES["org"] not in client.get("/organisatie/").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count(AuditEvent.id))).scalar_one() > 0
