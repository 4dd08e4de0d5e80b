"""Tenant isolation: foreign objects and other roles' areas answer 404 (docs/security.md T5)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.models import AuditEvent, User
from tests.conftest import login
from tests.helpers import count


def test_user_of_organisation_a_cannot_touch_a_user_of_organisation_b(
    app: Flask, client: FlaskClient, make_user, make_org
) -> None:  # type: ignore[no-untyped-def]
    org_a, org_b = make_org(name="Bureau Alfa"), make_org(name="Bureau Beta")
    admin_a = make_user("org_admin", org=org_a)
    user_b = make_user("declarant", org=org_b)
    login(client, admin_a)

    assert client.post(f"/organisatie/medewerkers/{user_b.id}/verwijderen").status_code == 404
    page = client.get("/organisatie/medewerkers").get_data(as_text=True)
    assert user_b.email not in page
    assert "Bureau Beta" not in client.get("/organisatie/").get_data(as_text=True)
    with app.app_context():
        from portal.extensions import db

        assert db.session.get(User, user_b.id).removed_at is None


def test_inspector_of_utrecht_sees_nothing_of_westland(
    app: Flask, client: FlaskClient, make_user, make_municipality, make_address
) -> None:  # type: ignore[no-untyped-def]
    utrecht = make_municipality("GM0344", "Utrecht")
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    own = make_address("3511 AB", 1, municipality=utrecht, street="Oudegracht")
    foreign = make_address(
        "2671 AA", 5, municipality=westland, street="Havenstraat", town="Naaldwijk"
    )
    inspector = make_user("inspector", municipality=utrecht)
    login(client, inspector)

    assert client.get(f"/inspectie/adressen/{own.id}").status_code == 200
    assert client.get(f"/inspectie/adressen/{foreign.id}").status_code == 404
    listing = client.get("/inspectie/adressen").get_data(as_text=True)
    assert "Oudegracht" in listing
    assert "Havenstraat" not in listing
    assert "Havenstraat" not in client.get("/inspectie/adressen?postcode=2671AA").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        ("declarant", ["/inspectie/", "/gemeente/", "/beheer/", "/organisatie/medewerkers"]),
        ("org_admin", ["/inspectie/", "/gemeente/", "/beheer/"]),
        ("inspector", ["/organisatie/", "/gemeente/", "/beheer/"]),
        ("municipal_admin", ["/organisatie/", "/beheer/"]),
        ("system_admin", ["/organisatie/", "/inspectie/", "/gemeente/"]),
    ],
)
def test_each_role_gets_404_in_the_areas_of_other_roles(
    app: Flask, client: FlaskClient, login_as, role: str, forbidden: list[str]
) -> None:  # type: ignore[no-untyped-def]
    login_as(role)
    for path in forbidden:
        assert client.get(path).status_code == 404, path
    assert count(app, AuditEvent) >= len(forbidden)


@pytest.mark.parametrize(
    "path", ["/organisatie/", "/inspectie/", "/gemeente/", "/beheer/", "/inspectie/adressen/1"]
)
def test_anonymous_users_are_sent_to_the_login_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]


def test_scoping_helper_denies_unknown_models_and_anonymous_users(ctx) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import OutboxMessage
    from portal.services.queries import NOTHING, Scope, restrict, scoped

    assert "false" in str(scoped(User, NOTHING)).lower() or "0 = 1" in str(scoped(User, NOTHING))
    # A model without rules is invisible to every tenant.
    stmt = restrict(select(OutboxMessage), OutboxMessage, Scope("organisation", 1))
    assert db.session.execute(stmt).all() == []
