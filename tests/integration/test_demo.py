"""The demo data set loads, and loading it again changes nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Address, Municipality, MunicipalPolicy, Organisation, User
from tests.conftest import login


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Municipality, Address, Organisation, User, MunicipalPolicy)
        }


def test_demo_load_is_idempotent_and_prints_the_logins(app: Flask, runner: Any) -> None:
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    after_first = _counts(app)
    assert after_first["Municipality"] == 5
    assert after_first["Address"] == 3000
    assert after_first["Organisation"] == 4
    assert after_first["User"] == 9
    assert "demo-wachtwoord-2026" in first.output
    assert "inspecteur@utrecht.demo.meldportaal.nl" in first.output

    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert _counts(app) == after_first
    assert "users added: 0" in second.output


def test_every_demo_login_works(app: Flask, runner: Any) -> None:
    from portal.demo.load import DEMO_PASSWORD, USERS

    runner.invoke(args=["demo", "load"])
    for _label, email, _role, _tenant in USERS:
        client = app.test_client()
        user = type("U", (), {"email": email})()
        login(client, user, DEMO_PASSWORD)  # type: ignore[arg-type]
        assert client.get("/", follow_redirects=True).status_code == 200


def test_demo_is_refused_in_production(app: Flask, runner: Any) -> None:
    app.config["ENV"] = "production"
    try:
        result = runner.invoke(args=["demo", "load"])
    finally:
        app.config["ENV"] = "testing"
    assert result.exit_code == 1
    assert _counts(app)["User"] == 0
