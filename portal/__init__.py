"""Meldportaal Huisvesting Arbeidsmigranten: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.extensions import babel, csrf, db, login_manager, migrate
from portal.settings import check_production, load_settings

MIGRATIONS_DIR = __path__[0] + "/migrations"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal: settings, extensions, blueprints, CLI, error pages, headers."""
    settings = load_settings(overrides)
    check_production(settings)

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings)
    production = settings["ENV"] == "production"
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings["DATABASE_URL"]),
        SESSION_COOKIE_NAME="__Host-session" if production else "session",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
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
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from portal.web import init_web

    init_web(app)

    from portal.cli import register_cli

    register_cli(app)
    return app


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}


def _ensure_dir(path: str) -> None:
    import os

    os.makedirs(path, exist_ok=True)


__all__ = ["babel", "create_app"]
