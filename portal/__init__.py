"""Meldportaal Huisvesting Arbeidsmigranten: the application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.extensions import babel, csrf, db, login_manager, migrate
from portal.settings import (
    ConfigError,
    check_production,
    cookie_settings,
    database_role_problem,
    load_settings,
)

MIGRATIONS_DIR = __path__[0] + "/migrations"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal: settings, extensions, blueprints, CLI, error pages, headers."""
    settings = load_settings(overrides)
    check_production(settings)

    app = Flask(__name__, instance_relative_config=True)
    _quiet_sql_rows()
    app.config.update(settings)
    production = settings["ENV"] == "production"
    app.config.update(cookie_settings(settings))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings["DATABASE_URL"]),
        REMEMBER_COOKIE_DURATION=0,
        WTF_CSRF_TIME_LIMIT=3600,
        BABEL_DEFAULT_LOCALE=settings["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=settings["DISPLAY_TIMEZONE"],
        TESTING=settings["ENV"] == "testing",
    )
    if settings["TRUSTED_PROXY_COUNT"]:
        count = int(settings["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    if app.config["DATABASE_URL"].startswith("sqlite"):
        _ensure_dir(app.instance_path)

    from portal import models  # noqa: F401  (register the tables)

    db.init_app(app)
    if production:
        _check_database_role(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from portal.web import init_web

    init_web(app)

    from portal.cli import register_cli

    register_cli(app)
    return app


def _check_database_role(app: Flask) -> None:
    """Refuse to start in production as a PostgreSQL superuser (docs/security.md T19)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with app.app_context():
            try:
                with db.engine.connect() as connection:
                    problem = database_role_problem(connection)
            finally:
                db.engine.dispose()  # no connection is carried into forked workers
    except SQLAlchemyError as exc:
        raise ConfigError(
            "Refusing to start in production: could not connect to DATABASE_URL to check the "
            f"database role ({type(exc).__name__})"
        ) from None
    if problem:
        raise ConfigError("Refusing to start in production: " + problem)


class _NoResultRows(logging.Filter):
    """Drop SQLAlchemy's DEBUG records of fetched rows ("Row (...)"): they would carry stored
    secrets (TOTP seeds, mail bodies with links) into the log when an operator turns the SQL log
    up to DEBUG. The statements themselves stay, with their parameters hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.DEBUG and str(record.msg).startswith(("Row ", "Col "))
        )


def _quiet_sql_rows() -> None:
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, _NoResultRows) for f in engine_log.filters):
        engine_log.addFilter(_NoResultRows())


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters: SQL parameters (TOTP seeds, mail bodies with links, …) never appear in
    # SQLAlchemy's statement log or in its error messages (docs/security.md T15, ASVS 16.2.5).
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}, "hide_parameters": True}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5, "hide_parameters": True}


def _ensure_dir(path: str) -> None:
    import os

    os.makedirs(path, exist_ok=True)


__all__ = ["babel", "create_app"]
