"""Web wiring (infrastructure): language, login loader, error pages, headers, template helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, has_request_context, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event

from portal import labels
from portal.extensions import babel, db, login_manager

LANG_COOKIE = "lang"
ROLE_LABELS = {
    "declarant": _l("Declarant"),
    "org_admin": _l("Organisation administrator"),
    "inspector": _l("Inspector"),
    "municipal_admin": _l("Municipal administrator"),
    "system_admin": _l("System administrator"),
}


def select_locale() -> str:
    """Dutch first: ?lang= (remembered in a cookie), the cookie, else the default."""
    from flask import current_app

    supported = current_app.config["LOCALES"]
    if not has_request_context():
        return str(current_app.config["DEFAULT_LOCALE"])
    wanted = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in supported:
        return str(wanted)
    return str(current_app.config["DEFAULT_LOCALE"])


def init_web(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    _init_login(app)
    _init_sqlite(app)
    _init_templates(app)
    _init_errors(app)
    _init_headers(app)

    from portal.views import register_blueprints

    register_blueprints(app)


def load_session_user(token: str) -> Any:
    """Flask-Login's loader. Runs before every view (views.load_user_first), so committing the
    session's last-seen time or its expiry here never carries half of a view's changes."""
    from flask import flash
    from flask_babel import gettext

    from portal.services.sessions import check_session

    if has_request_context() and request.path.startswith("/api/"):
        return None  # the API authenticates by bearer key only; cookies are ignored there
    result = check_session(token)
    if result.changed:
        db.session.commit()
    if result.expired:
        flash(gettext("Your session has ended. Please log in again."), "info")
    return result.user


def _init_login(app: Flask) -> None:
    login_manager.login_view = "account.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)


def _init_sqlite(app: Flask) -> None:
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def _init_templates(app: Flask) -> None:
    def nl_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return format_datetime(value, "d MMMM y, HH:mm")
        return format_date(value, fmt)

    def nl_number(value: int | float | None) -> str:
        return "" if value is None else format_decimal(value)

    app.jinja_env.filters["nl_date"] = nl_date
    app.jinja_env.filters["nl_number"] = nl_number
    app.jinja_env.filters["iso_date"] = labels.iso_date
    app.jinja_env.globals.update(labels.TEMPLATE_GLOBALS)
    app.jinja_env.globals["filing_findings"] = _filing_findings

    @app.context_processor
    def _language() -> dict[str, Any]:
        current = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {
            "current_locale": current,
            "other_locales": [loc for loc in app.config["LOCALES"] if loc != current],
            "lang_url": _lang_url,
            "role_label": lambda role: str(ROLE_LABELS.get(role, role)),
        }

    def _lang_url(locale: str) -> str:
        """This page in another language (GET pages), else the home page in it."""
        if request.method == "GET" and request.endpoint and request.endpoint != "static":
            args = {**request.args.to_dict(), **(request.view_args or {}), "lang": locale}
            return url_for(request.endpoint, **args)
        return url_for("public.home", lang=locale)


def _filing_findings(receipt: Any) -> list[Any]:
    from portal.services.declarations import filing_findings

    return filing_findings(receipt)


def _init_errors(app: Flask) -> None:
    titles = {
        400: _l("The request could not be processed"),
        403: _l("No access"),
        404: _l("Page not found"),
        405: _l("This action is not possible here"),
        413: _l("The upload is too large"),
        500: _l("Something went wrong on our side"),
    }

    def render_error(error: Any) -> Any:
        from portal.views.api.errors import from_any_error, is_api_request

        if is_api_request():  # never an HTML page under /api: problem+json (RFC 9457)
            return from_any_error(error)
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code, title=titles.get(code)), code

    for code in titles:
        app.register_error_handler(code, render_error)


def _init_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config["ENV"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if getattr(g, "_login_user", None) is not None or request.path.startswith(
            ("/organisatie", "/inspectie", "/gemeente", "/beheer", "/account")
        ):
            headers["Cache-Control"] = "no-store"
        wanted = request.args.get("lang")
        if wanted in app.config["LOCALES"] and request.cookies.get(LANG_COOKIE) != wanted:
            response.set_cookie(
                LANG_COOKIE,
                wanted,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=app.config["ENV"] == "production",
                httponly=True,
            )
        return response
