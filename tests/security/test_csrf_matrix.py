"""CSRF on every state-changing browser route, and GETs that write nothing (docs/security.md T13).

Every POST/PUT/PATCH/DELETE rule outside /api (enumerated from ``app.url_map``) is posted by a
role that may use it, on its own objects, three times: without a token, with the token of
another session, and with this session's token after it expired (the signer's clock moved
3601 s on: Flask-WTF signs the token with itsdangerous' ``TimestampSigner`` and refuses it after
``WTF_CSRF_TIME_LIMIT`` = 3600 s). Each must answer 400 from the CSRF check and change no row.
A control post with the session's valid token passes the CSRF check, so the refusals are the
check's doing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFError

from tests.conftest import PASSWORD, current_totp_code
from tests.security.conftest import World, digest_changes, table_digest
from tests.security.matrix import (
    LOG_TABLES,
    VOLATILE_COLUMNS,
    format_report,
    is_api,
    run_matrix,
)
from tests.security.routes import ROUTES

REFUSED = "X-Test-Csrf-Refused"
# The actor who posts each kind of route: on tenant-2 objects, so their owners.
POSTER = {
    "public": "anonymous",
    "login": "decl_b",
    "declarant": "decl_b",
    "org_admin": "admin_b",
    "inspector": "insp_2",
    "municipal_admin": "madmin_2",
    "system_admin": "sysadmin",
}
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def marked_csrf_app(csrf_app: Flask) -> Iterator[Flask]:
    """The CSRF-protected app, marking the responses of its CSRF check (test instrumentation: the
    refusal is still the real check's, it only gets a header so it is told apart from a view's
    own 400)."""

    @csrf_app.errorhandler(CSRFError)
    def _mark(error: CSRFError) -> Any:
        return error.description, 400, {REFUSED: "1"}

    yield csrf_app


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_login(app: Flask, world: World, name: str) -> FlaskClient:
    """Log in through the real forms, tokens included."""
    client = app.test_client()
    if name == "anonymous":
        client.get("/inloggen")
        return client
    user = world.users[name]
    token = token_of(client.get("/inloggen").get_data(as_text=True))
    response = client.post(
        "/inloggen", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    if urlsplit(response.headers["Location"]).path == "/account/tweede-stap":
        token = token_of(client.get("/account/tweede-stap").get_data(as_text=True))
        code = current_totp_code(app, user.email)
        response = client.post("/account/tweede-stap", data={"code": code, "csrf_token": token})
        assert response.status_code == 302
    return client


def session_token(client: FlaskClient) -> str:
    """The session's token, from a page with a form (the logout button when logged in)."""
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    if "csrf_token" not in page:
        page = client.get("/inloggen").get_data(as_text=True)
    return token_of(page)


def poster_of(access: Any) -> str:
    if isinstance(access, tuple):
        return POSTER[access[-1] if "org_admin" in access else access[0]]
    return POSTER[access]


def state_changing_routes(app: Flask, world: World) -> list[tuple[str, str, str, str]]:
    """(endpoint, method, url, actor) of every state-changing browser rule; logout last."""
    adapter = app.url_map.bind("portal.test")
    found = []
    for rule in sorted(
        app.url_map.iter_rules(), key=lambda r: (r.endpoint == "account.logout", r.rule)
    ):
        if is_api(rule):
            continue
        route = ROUTES[rule.endpoint]
        values = {k: v[1:] if v.startswith("=") else world.ids[v] for k, v in route.params.items()}
        for method in sorted(set(rule.methods or ()) & set(STATE_CHANGING)):
            url = adapter.build(rule.endpoint, values, method=method)
            found.append((rule.endpoint, method, url, poster_of(route.access)))
    return found


def run_csrf_matrix(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    routes = state_changing_routes(app, world)
    assert routes, "no state-changing routes found"
    clients = {actor: csrf_login(app, world, actor) for actor in {r[3] for r in routes}}
    foreign_token = session_token(app.test_client())
    own_tokens = {actor: session_token(c) for actor, c in clients.items()}
    real_timestamp = itsdangerous.timed.TimestampSigner.get_timestamp
    problems: list[str] = []
    before = table_digest(app, LOG_TABLES, VOLATILE_COLUMNS)
    for endpoint, method, url, actor in routes:
        client = clients[actor]
        variants: list[tuple[str, dict[str, str], bool]] = [
            ("no token", {}, False),
            ("another session's token", {"csrf_token": foreign_token}, False),
            ("expired token", {"csrf_token": own_tokens[actor]}, True),
        ]
        for label, data, expired in variants:
            if expired:
                monkeypatch.setattr(
                    itsdangerous.timed.TimestampSigner,
                    "get_timestamp",
                    lambda self: real_timestamp(self) + 3601,
                )
            try:
                response = client.open(url, method=method, data=data)
            finally:
                monkeypatch.setattr(
                    itsdangerous.timed.TimestampSigner, "get_timestamp", real_timestamp
                )
            if response.status_code != 400 or response.headers.get(REFUSED) != "1":
                problems.append(
                    f"{actor:9} {method} {url} [{endpoint}] {label}: answered "
                    f"{response.status_code}, expected 400 from the CSRF check"
                )
    after = table_digest(app, LOG_TABLES, VOLATILE_COLUMNS)
    problems += [f"refused posts changed data: {c}" for c in digest_changes(before, after)]
    # Control: the same session's valid token passes the CSRF check (nothing else is sent, so
    # forms fail their own validation; logout is left out, it would end the session).
    for endpoint, method, url, actor in routes:
        if endpoint == "account.logout":
            continue
        response = clients[actor].open(url, method=method, data={"csrf_token": own_tokens[actor]})
        if response.headers.get(REFUSED):
            problems.append(f"control: {url} [{endpoint}] refuses its own valid token")
    return problems


def test_every_state_changing_route_refuses_missing_foreign_and_expired_tokens(
    marked_csrf_app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = run_csrf_matrix(marked_csrf_app, world, monkeypatch)
    routes = state_changing_routes(marked_csrf_app, world)
    print(f"{len(routes)} state-changing browser routes × 3 variants")
    assert problems == [], "\n".join(problems)


def test_the_csrf_matrix_catches_protection_switched_off(
    marked_csrf_app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sabotage kept in CI: with CSRFProtect's check off, the matrix reports the routes."""
    monkeypatch.setitem(marked_csrf_app.config, "WTF_CSRF_CHECK_DEFAULT", False)
    problems = run_csrf_matrix(marked_csrf_app, world, monkeypatch)
    assert any("[account.logout] no token" in p for p in problems), problems
    assert sum("expected 400 from the CSRF check" in p for p in problems) > 50, problems


def test_get_routes_write_nothing(app: Flask, world: World) -> None:
    """Every GET route of every role changes no row outside the documented exceptions
    (tests/security/matrix.py LOG_TABLES and VOLATILE_COLUMNS: audit events of downloads and
    denials, session last-seen, rate-limit windows, a receipt PDF stored at its first download)."""
    report = run_matrix(app, world, methods=("GET",))
    print(format_report(report))
    assert report.violations == [], format_report(report)


def test_the_get_crawl_catches_a_get_that_writes(app: Flask, world: World) -> None:
    """Sabotage kept in CI: a GET of the dashboard that changes the organisation's e-mail address
    and the user's TOTP secret (a column only POSTs may change) is reported."""
    from flask import request
    from sqlalchemy import update

    from portal.extensions import db
    from portal.models import Organisation, User

    def write_on_get() -> None:
        if request.method == "GET" and request.path == "/organisatie/":
            db.session.execute(update(Organisation).values(contact_email="get@schrijft.test"))
            mine = update(User).where(User.id == world["decl_a"])
            db.session.execute(mine.values(totp_secret="JBSWY3DPEHPK3PXP"))
            db.session.commit()

    app.before_request_funcs.setdefault(None, []).append(write_on_get)
    try:
        report = run_matrix(app, world, actors=("decl_a",), methods=("GET",))
    finally:
        app.before_request_funcs[None].remove(write_on_get)
    text = "\n".join(report.violations)
    assert "the matrix changed data: organisations" in text, text
    assert "the matrix changed data: users" in text, text


def test_the_api_ignores_the_session_cookie(app: Flask, world: World) -> None:
    from tests.security.conftest import logged_in

    client = logged_in(app, world, "admin_a")
    assert client.get("/organisatie/").status_code == 200  # the cookie is a live session
    for url in ("/api/v1/declarations", f"/api/v1/declarations/{world['a_reference']}"):
        assert client.get(url).status_code == 401, url
    response = client.post("/api/v1/declarations", json={}, headers={"Idempotency-Key": "k1"})
    assert response.status_code == 401
