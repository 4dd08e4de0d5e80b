"""The production guard (docs/security.md T19): every insecure setting refused at start, by name;
the database role must not be a superuser; ``flask --app wsgi check-deploy``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from portal import create_app
from portal.cli.security import deploy_checks
from portal.settings import DEV_SECRET, ConfigError, check_production, production_checks

GOOD_SECRET = "k" * 32
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
on_postgres = pytest.mark.skipif(
    not POSTGRES_URL.startswith("postgresql"), reason="needs PostgreSQL (TEST_DATABASE_URL)"
)
APP_ROLE = "portal_guard_test_role"


def production(**changes: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "DEBUG": False,
        "DATABASE_URL": "postgresql+psycopg://portal@db.internal/portal",
        "PUBLIC_BASE_URL": "https://meldportaal.example.nl",
        "EHERKENNING_DISCOVERY_URL": "https://broker.example.nl/.well-known/openid-configuration",
        "EHERKENNING_CLIENT_ID": "meldportaal",
        "EHERKENNING_CLIENT_SECRET": "broker-client-secret",
    }
    settings.update(changes)
    return settings


INSECURE = [
    ({"SECRET_KEY": DEV_SECRET}, "SECRET_KEY"),
    ({"SECRET_KEY": "k" * 31}, "SECRET_KEY"),
    ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"DEBUG": True}, "DEBUG"),
    ({"DATABASE_URL": "sqlite:///portal.sqlite3"}, "DATABASE_URL"),
    ({"DATABASE_URL": "sqlite://"}, "DATABASE_URL"),
    ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
    ({"PUBLIC_BASE_URL": "http://meldportaal.example.nl"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL"),
    ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    ({"SESSION_COOKIE_NAME": "session"}, "SESSION_COOKIE_NAME"),
    ({"SESSION_COOKIE_DOMAIN": ".example.nl"}, "SESSION_COOKIE_NAME/HTTPONLY/SAMESITE/DOMAIN"),
    ({"SESSION_COOKIE_HTTPONLY": False}, "SESSION_COOKIE_NAME/HTTPONLY"),
    ({"SESSION_COOKIE_SAMESITE": None}, "SAMESITE"),
    ({"SESSION_COOKIE_PATH": "/portal"}, "PATH"),
    # Anyone could claim any KvK number (issue 18): refused unless allowed on purpose.
    ({"SIGNUP_MODE": "open"}, "SIGNUP_MODE=open"),
    ({"SIGNUP_MODE": "anything"}, "SIGNUP_MODE must be one of"),
    ({"EHERKENNING_CLIENT_SECRET": ""}, "needs EHERKENNING_CLIENT_SECRET"),
    ({"EHERKENNING_DISCOVERY_URL": "", "EHERKENNING_CLIENT_ID": ""}, "EHERKENNING_DISCOVERY_URL"),
]


def test_open_sign_up_passes_in_production_only_when_allowed_on_purpose() -> None:
    check_production(production(SIGNUP_MODE="open", ALLOW_OPEN_SIGNUP=True))
    # Without a broker, but open on purpose: eHerkenning is not needed then.
    check_production(
        production(SIGNUP_MODE="open", ALLOW_OPEN_SIGNUP=True, EHERKENNING_DISCOVERY_URL="")
    )


def test_a_production_configuration_that_passes() -> None:
    check_production(production())
    assert all(problem is None for _name, problem in production_checks(production()))
    # 32 bytes is enough even when they are fewer characters.
    check_production(production(SECRET_KEY="é" * 16))


@pytest.mark.parametrize(("changes", "named"), INSECURE, ids=[str(c) for c, _ in INSECURE])
def test_each_insecure_setting_is_refused_by_name(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match="Refusing to start in production") as refused:
        check_production(production(**changes))
    assert named in str(refused.value)
    # The app itself refuses before it touches the database.
    with pytest.raises(ConfigError, match=named.split("/")[0]):
        create_app(production(**changes))


def test_outside_production_nothing_is_refused() -> None:
    check_production({**production(DEBUG=True, SECRET_KEY="x"), "ENV": "development"})


def test_check_deploy_lists_every_check_and_fails_on_the_test_configuration(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("ok    SECRET_KEY") for line in lines), result.output
    assert any(line.startswith("ok    DEBUG is off") for line in lines)
    assert any(line.startswith("ok    SESSION_COOKIE_SECURE") for line in lines)
    assert any(line.startswith("FAIL  PUBLIC_BASE_URL") for line in lines)
    assert any(line.startswith("FAIL  SECURITY_CONTACT") for line in lines)
    database = [line for line in lines if "DATABASE_URL is PostgreSQL" in line]
    superuser = [line for line in lines if "superuser" in line]
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert database[0].startswith("FAIL")
    else:  # the test database is used as postgres, a superuser
        assert database[0].startswith("ok") and superuser[0].startswith("FAIL"), superuser


def test_check_deploy_judges_a_development_app_as_production_would(app: Flask) -> None:
    with app.app_context():
        names = dict(deploy_checks({**app.config, "ENV": "development"}))
    assert names["SESSION_COOKIE_SECURE is on"] is None  # derived as production would


@pytest.fixture
def ordinary_role() -> Iterator[str]:
    """A login role without superuser rights on the test database; its URL."""
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(
            text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
                f"THEN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER; END IF; END $$"
            )
        )
    url = make_url(POSTGRES_URL).set(username=APP_ROLE, password=None)
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {APP_ROLE}"))
    admin.dispose()


@on_postgres
def test_production_refuses_a_superuser_database_role() -> None:
    with pytest.raises(ConfigError, match="superuser") as refused:
        create_app(production(DATABASE_URL=POSTGRES_URL))
    assert "DATABASE_URL" in str(refused.value)


@on_postgres
def test_production_starts_as_an_ordinary_role_and_check_deploy_passes(
    ordinary_role: str,
) -> None:
    app = create_app(production(DATABASE_URL=ordinary_role, SECURITY_CONTACT="cvd@gemeente.nl"))
    try:
        assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
        result = app.test_cli_runner().invoke(args=["check-deploy"])
        assert result.exit_code == 0, result.output
        assert "FAIL" not in result.output and "all checks passed" in result.output
    finally:
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()


@on_postgres
def test_the_superuser_check_has_teeth(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sabotage: with the role check short-circuited, a superuser would start."""
    import portal

    monkeypatch.setattr(portal, "database_role_problem", lambda _connection: None)
    app = create_app(production(DATABASE_URL=POSTGRES_URL))
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
