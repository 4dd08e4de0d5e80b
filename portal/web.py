"""Web wiring (infrastructure): language, login loader, error pages, headers, template helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, has_request_context, render_template, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from portal.extensions import babel, db, login_manager
from portal.presentation import labels
from portal.views import links

LANG_COOKIE = "lang"
ROLE_LABELS = {
    "declarant": _l("Declarant"),
    "org_admin": _l("Organisation administrator"),
    "inspector": _l("Inspector"),
    "municipal_admin": _l("Municipal administrator"),
    "system_admin": _l("System administrator"),
}


def select_locale() -> str:
    """Dutch first: ?lang= (remembered in a cookie), the cookie, else the default.

    The API has no cookie and no ?lang=: it answers in the first supported language of
    Accept-Language, else the default.
    """
    from flask import current_app

    supported = current_app.config["LOCALES"]
    if not has_request_context():
        return str(current_app.config["DEFAULT_LOCALE"])
    if _is_api_path():
        return _api_locale(list(supported), str(current_app.config["DEFAULT_LOCALE"]))
    wanted = request.args.get("lang") or request.cookies.get(lang_cookie_name(current_app))
    if wanted in supported:
        return str(wanted)
    return str(current_app.config["DEFAULT_LOCALE"])


def _api_locale(supported: list[str], default: str) -> str:
    """The first language of Accept-Language (by quality) whose primary tag is supported:
    ``nl-NL,en;q=0.5`` is Dutch (werkzeug's best_match would take the exact ``en`` first)."""
    for value, quality in request.accept_languages:  # sorted by quality, best first
        if quality <= 0:  # "not this one"
            continue
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary in supported:
            return primary
    return default


def _is_api_path() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def init_web(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    _init_login(app)
    _init_sqlite(app)
    _init_templates(app)
    _init_errors(app)
    _init_headers(app)
    _init_input_guard(app)

    from portal.services import eherkenning, staff_oidc
    from portal.views import register_blueprints

    eherkenning.init_app(app)
    staff_oidc.init_app(app)
    register_blueprints(app)


def load_session_user(token: str) -> Any:
    """Flask-Login's loader. Runs before every view (views.load_user_first), so committing the
    session's last-seen time or its expiry here never carries half of a view's changes."""
    from flask import flash
    from flask_babel import gettext

    from portal.services.sessions import check_session
    from portal.views.transaction import commit_now

    if has_request_context() and request.path.startswith("/api/"):
        return None  # the API authenticates by bearer key only; cookies are ignored there
    result = check_session(token)
    if result.changed:  # only then: a commit expires the loaded user, to be read again
        commit_now()
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
    app.jinja_env.globals["page_url"] = links.page_url  # a global: imported macros use it
    app.jinja_env.globals["sort_url"] = links.sort_url

    @app.context_processor
    def _language() -> dict[str, Any]:
        current = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {
            "current_locale": current,
            "other_locales": [loc for loc in app.config["LOCALES"] if loc != current],
            "lang_url": links.this_page_in,
            "role_label": lambda role: str(ROLE_LABELS.get(role, role)),
        }


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
        429: _l("Too many requests"),
        500: _l("Something went wrong on our side"),
    }

    def render_error(error: Any) -> Any:
        from portal.views.api.errors import from_any_error, is_api_request
        from portal.views.transaction import roll_back

        if is_api_request():  # never an HTML page under /api: problem+json (RFC 9457)
            return from_any_error(error)
        code = getattr(error, "code", 500) or 500
        if code == 500:
            roll_back()
        return render_template("errors/error.html", code=code, title=titles.get(code)), code

    for code in titles:
        app.register_error_handler(code, render_error)

    def other_http_error(error: Any) -> Any:
        """A code without a page of its own (401, 409, 415, 422, …): under /api a problem too,
        for every code (abort() in app-level code or a before_request hook would otherwise give
        werkzeug's HTML page there); elsewhere werkzeug's plain page."""
        from portal.views.api.errors import from_any_error, is_api_request

        return from_any_error(error) if is_api_request() else error

    app.register_error_handler(HTTPException, other_http_error)


# docs/security.md T14. No inline script or style anywhere (tests/web/test_security_headers.py
# checks the templates and the pages), so neither script-src nor style-src needs 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
# Pages behind a login: never kept by a browser or proxy cache, even without a session cookie.
AUTHENTICATED_AREAS = ("/organisatie", "/inspectie", "/gemeente", "/beheer", "/account", "/api/")


def lang_cookie_name(app: Flask) -> str:
    """``__Host-lang`` where cookies are Secure (production: Path=/, no Domain), else ``lang``."""
    return "__Host-lang" if app.config["SESSION_COOKIE_SECURE"] else LANG_COOKIE


def _init_input_guard(app: Flask) -> None:
    """Refuse a NUL character anywhere in a web request's parameters with 400 (docs/security.md T7):
    PostgreSQL cannot hold one in text, so it would otherwise fail deep inside a query as a 500.
    The API refuses it per field with a 422 problem (views/api/io.py)."""
    from flask import abort

    @app.before_request
    def _refuse_nul() -> None:
        if request.path.startswith("/api/") or request.endpoint == "static":
            return
        if "\x00" in request.path:
            abort(400)
        values = [*request.args.items(multi=True)]
        if request.method in ("POST", "PUT", "PATCH"):
            values += request.form.items(multi=True)
            values += [
                (name, file.filename or "") for name, file in request.files.items(multi=True)
            ]
        if any("\x00" in name or "\x00" in value for name, value in values):
            abort(400)


def _init_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Browsers ignore HSTS over plain http, so it is sent always (and can be tested).
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if (
            response.mimetype
            and response.mimetype.startswith("text/")
            and ("charset" not in (response.content_type or ""))
        ):
            response.content_type = f"{response.mimetype}; charset=utf-8"
        user = g.get("_login_user")
        if (user is not None and user.is_authenticated) or request.path.startswith(
            AUTHENTICATED_AREAS
        ):
            headers["Cache-Control"] = "no-store"
        elif request.endpoint != "static":
            # Public pages carry CSRF tokens tied to the session: not for shared caches either.
            headers.setdefault("Cache-Control", "no-store")
        wanted = request.args.get("lang")
        cookie = lang_cookie_name(app)
        if wanted in app.config["LOCALES"] and request.cookies.get(cookie) != wanted:
            response.set_cookie(
                cookie,
                wanted,
                max_age=365 * 24 * 3600,
                path="/",
                samesite="Lax",
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
            )
        if _is_api_path():  # the language its detail and field messages are in
            headers["Content-Language"] = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return response
