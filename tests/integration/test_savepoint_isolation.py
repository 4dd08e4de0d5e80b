"""The savepoint-per-test session (``in_savepoint`` in tests/conftest.py) on top of a world built
once for the module: a test's commits, made by a service and by views through the test client,
are seen by that test, but not by another connection while it runs, and not by the next test.

``test_b`` runs after ``test_a`` (file order) and checks that it did in the same process; if
not, it skips. (``make test`` sends a file whole to one worker, ``--dist loadfile``; with
``--dist loadgroup`` the grouping by file did not take effect under pytest 9.2 and pytest-xdist
3.8, because xdist sets ``item._nodeid`` while pytest 9.2 reads ``Node.nodeid`` from ``_id``, and
the two tests could land on different workers.) Shown once by sabotage, on
SQLite and PostgreSQL: with the fixture's ``outer.rollback()`` replaced by ``outer.commit()``,
``test_b`` fails (it finds A's two permits). With the line merely deleted both still pass:
closing the connection rolls its open transaction back as well. Without the pysqlite workaround
(no ``isolation_level = None``, no BEGIN), ``test_a`` fails on SQLite: the first SAVEPOINT then
opens the transaction and its RELEASE commits, so another connection sees the permit.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.domain.permits import PermitFields
from portal.extensions import db
from portal.models import Address, AuditEvent, Municipality, Organisation, Permit, User, UserSession
from portal.services import permit_register
from tests.conftest import create_address, create_municipality, create_org, create_user, login

_ran: list[str] = []


@pytest.fixture(scope="module")
def _world(app: Flask, module_tables: None) -> dict[str, Any]:
    utrecht = create_municipality(app, "GM0344", "Utrecht")
    return {
        "utrecht": utrecht,
        "admin": create_user(app, "municipal_admin", municipality=utrecht),
        "holder": create_org(app, name="Woonbedrijf", kvk="12345678", kinds=("housing_provider",)),
        "address": create_address(app, "3511 AB", 12, municipality=utrecht),
        "other": create_address(app, "3511 AB", 14, municipality=utrecht),
    }


@pytest.fixture
def world(_world: dict[str, Any], in_savepoint: Any) -> dict[str, Any]:
    return _world


def _count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _count_elsewhere(app: Flask, model: Any) -> int:
    """Counted through a connection of its own, outside the test's transaction."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def _fields() -> PermitFields:
    return PermitFields(
        decision_reference="2026/0815",
        postcode="3511AB",
        house_number="12",
        holder_kvk="12345678",
        permit_type="omzettingsvergunning",
        max_occupants="8",
        valid_from="01-01-2026",
        valid_until="31-12-2030",
    )


def test_a_commits_through_a_service_and_views(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    with app.app_context():
        admin = db.session.get(User, world["admin"].id)
        permit_register.create_permit(admin, _fields())
        db.session.commit()
    login(client, world["admin"])  # the log-in views commit a session and audit events
    form = {
        "decision_reference": "2026/0816",
        "postcode": "3511 AB",
        "house_number": "14",
        "holder_kvk": "12345678",
        "permit_type": "omzettingsvergunning",
        "max_occupants": "8",
        "valid_from": "2026-01-01",
        "valid_until": "31-12-2030",
    }
    response = client.post("/gemeente/vergunningen/nieuw", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    with app.app_context():  # a new session on the test's connection sees every commit
        assert _count(Permit) == 2
        assert _count(UserSession) == 1
        assert _count(AuditEvent) >= 3  # two permit.create and the log-in
    assert _count_elsewhere(app, Permit) == 0  # they were savepoints, not commits
    assert _count_elsewhere(app, UserSession) == 0
    _ran.append("a")


def test_b_sees_the_world_but_nothing_of_test_a(app: Flask, world: dict[str, Any]) -> None:
    if _ran != ["a"]:  # see the module's docstring: under xdist test_a may run elsewhere
        pytest.skip("test_a did not run before this test in this process: nothing to prove")
    with app.app_context():
        assert _count(Municipality) == 1
        assert _count(User) == 1
        assert _count(Organisation) == 1
        assert _count(Address) == 2
        assert db.session.get(User, world["admin"].id) is not None
        assert _count(Permit) == 0
        assert _count(UserSession) == 0
        assert _count(AuditEvent) == 0
