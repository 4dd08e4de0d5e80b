"""SIGNUP_MODE (issue 18): with ``eherkenning`` the password sign-up is gone and only proven
organisations create API keys; with ``open`` (development, the demo) both work as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.models import ApiKey, Organisation
from tests.conftest import create_org, create_user, login, overrides_for


@pytest.fixture
def proven_only(app: Flask, database_url: str) -> Iterator[Flask]:
    application = create_app({**overrides_for(database_url), "SIGNUP_MODE": "eherkenning"})
    yield application
    with application.app_context():
        db.engine.dispose()  # its pooled connections, closed (PostgreSQL warns otherwise)


def test_the_password_sign_up_is_404_when_organisations_must_be_proven(
    proven_only: Flask, client: object
) -> None:
    closed = proven_only.test_client()
    assert closed.get("/aanmelden").status_code == 404
    assert closed.post("/aanmelden", data={"kvk_number": "90000011"}).status_code == 404
    assert "/aanmelden" not in closed.get("/").get_data(as_text=True)
    assert "/aanmelden" not in closed.get("/inloggen").get_data(as_text=True)
    # The default outside production stays open (development and the demo).
    assert client.get("/aanmelden").status_code == 200  # type: ignore[attr-defined]


def _create_key(app: Flask, verified: bool) -> tuple[int, str]:
    org = create_org(app)
    if verified:
        with app.app_context():
            db.session.get(Organisation, org.id).verified_at = datetime.now(UTC)  # type: ignore[union-attr]
            db.session.commit()
    admin = create_user(app, "org_admin", org=org)
    client = app.test_client()
    login(client, admin)
    answer = client.post("/organisatie/api-sleutels", data={"name": "Planning"})
    with app.app_context():
        count = db.session.query(ApiKey).filter_by(organisation_id=org.id).count()
    return count, answer.get_data(as_text=True)


def test_an_unproven_organisation_creates_no_api_key_when_proof_is_required(
    proven_only: Flask,
) -> None:
    count, page = _create_key(proven_only, verified=False)
    assert count == 0
    assert "Alleen een organisatie die met eHerkenning is aangetoond" in page


def test_a_proven_organisation_creates_api_keys_when_proof_is_required(proven_only: Flask) -> None:
    count, _page = _create_key(proven_only, verified=True)
    assert count == 1


def test_open_sign_up_keeps_api_keys_for_every_organisation(app: Flask) -> None:
    count, _page = _create_key(app, verified=False)
    assert count == 1
