"""Security headers and cookies (docs/security.md T14): every GET route for every role, the
templates without inline script or style, the cookie flags, and the Server header under real
gunicorn."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from portal import create_app
from portal.settings import cookie_settings
from tests.conftest import PASSWORD, login, overrides_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT_ROOT / "portal" / "templates"
# Served to browsers under the CSP. email/ goes to mail clients, receipts/ to WeasyPrint only.
WEB_TEMPLATES = [
    path
    for path in sorted(TEMPLATES.rglob("*.html"))
    if path.relative_to(TEMPLATES).parts[0] not in ("email", "receipts")
]
INLINE = [
    ("inline script", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)),
    ("inline style element", re.compile(r"<style\b", re.IGNORECASE)),
    ("style attribute", re.compile(r"\sstyle\s*=", re.IGNORECASE)),
    ("event handler attribute", re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)),
    ("javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
]
ROLES = [None, "declarant", "org_admin", "inspector", "municipal_admin", "system_admin"]


def inline_code(html: str) -> list[str]:
    return [name for name, pattern in INLINE if pattern.search(html)]


def test_the_inline_check_catches_what_it_should() -> None:
    assert inline_code('<p style="color:red">') == ["style attribute"]
    assert inline_code('<svg onload="x()">') == ["event handler attribute"]
    assert inline_code("<script>alert(1)</script>") == ["inline script"]
    assert inline_code('<script src="/static/x.js"></script><a href="javascript:x">') == [
        "javascript: URL"
    ]
    assert inline_code('<p class="on-top">once upon</p><input data-online="1">') == []


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style(path: Path) -> None:
    assert inline_code(path.read_text()) == []


def _sample_url(app: Flask, rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__
        values[name] = (
            1 if kind == "IntegerConverter" else "portal.css" if name == "filename" else "x"
        )
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _get_rules(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())),
        key=lambda r: r.rule,
    )


def check_headers(response: Any, *, logged_in: bool) -> list[str]:
    """What is wrong with one response's security headers (empty: nothing)."""
    h = response.headers
    wrong = []
    csp = h.get("Content-Security-Policy", "")
    for part in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        if part not in csp:
            wrong.append(f"CSP lacks {part}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        wrong.append("CSP allows unsafe-inline/eval")
    hsts = h.get("Strict-Transport-Security", "")
    match = re.search(r"max-age=(\d+)", hsts)
    if not match or int(match.group(1)) < 31_536_000 or "includeSubDomains" not in hsts:
        wrong.append(f"HSTS {hsts!r}")
    if h.get("X-Content-Type-Options") != "nosniff":
        wrong.append("nosniff")
    if h.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
        wrong.append("Referrer-Policy")
    if h.get("Cross-Origin-Opener-Policy") != "same-origin":
        wrong.append("COOP")
    if "camera=()" not in h.get("Permissions-Policy", ""):
        wrong.append("Permissions-Policy")
    content_type = h.get("Content-Type", "")
    if content_type.startswith("text/") and "charset=utf-8" not in content_type.lower():
        wrong.append(f"Content-Type {content_type!r}")
    if logged_in and "no-store" not in h.get("Cache-Control", ""):
        wrong.append("Cache-Control no-store")
    if re.search(r"\d", h.get("Server", "")):
        wrong.append(f"Server {h.get('Server')!r}")
    return wrong


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_get_route_for_every_role_has_the_security_headers(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    role: str | None,
) -> None:
    if role:
        login(client, make_user(role))
    problems: dict[str, list[str]] = {}
    html_pages = 0
    rules = _get_rules(app)
    for rule in rules:
        if rule.endpoint == "account.logout":
            continue
        url = _sample_url(app, rule)
        response = client.get(url)
        assert response.status_code < 500, url
        # Static files are the same for everyone and carry no user data: cacheable.
        wrong = check_headers(response, logged_in=role is not None and rule.endpoint != "static")
        if response.mimetype == "text/html":
            html_pages += 1
            wrong += inline_code(response.get_data(as_text=True))
        response.close()
        if wrong:
            problems[url] = wrong
    assert problems == {}
    assert len(rules) >= 80 and html_pages > 20, (len(rules), html_pages)


def test_the_header_check_fails_without_the_protection(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    """Sabotage: strip the headers after the portal set them; the check must see it."""
    login(client, make_user("declarant"))

    def strip(response: Any) -> Any:
        for name in ("Content-Security-Policy", "Strict-Transport-Security", "Cache-Control"):
            response.headers.pop(name, None)
        response.headers["Server"] = "Werkzeug/3.1"
        return response

    app.after_request_funcs.setdefault(None, []).insert(0, strip)
    try:
        wrong = check_headers(client.get("/organisatie/"), logged_in=True)
    finally:
        app.after_request_funcs[None].remove(strip)
    assert any("CSP" in w for w in wrong) and "Cache-Control no-store" in wrong
    assert any("HSTS" in w for w in wrong) and any("Server" in w for w in wrong)


def test_public_pages_are_not_cached_and_authenticated_areas_never_are(
    app: Flask, client: FlaskClient
) -> None:
    for path in ("/", "/inloggen", "/organisatie/", "/inspectie/", "/api/v1/declarations"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


@pytest.fixture
def secure_cookie_app(database_url: str) -> Iterator[Flask]:
    """The test app with production's cookie settings (production itself needs PostgreSQL)."""
    overrides = {**overrides_for(database_url), **cookie_settings({"ENV": "production"})}
    application = create_app(overrides)
    yield application
    with application.app_context():
        from portal.extensions import db

        db.engine.dispose()


def test_cookies_are_host_prefixed_secure_httponly_and_samesite_in_production(
    app: Flask, secure_cookie_app: Flask, make_user: Callable[..., Any]
) -> None:
    assert cookie_settings({"ENV": "production"})["SESSION_COOKIE_NAME"] == "__Host-session"
    client = secure_cookie_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    user = make_user("declarant")
    response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    cookies = [
        *response.headers.getlist("Set-Cookie"),
        *client.get("/?lang=en").headers.getlist("Set-Cookie"),
    ]
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"__Host-session", "__Host-lang"} <= names, cookies
    for cookie in cookies:
        attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert "secure" in attributes and "httponly" in attributes, cookie
        assert "path=/" in attributes and "samesite=lax" in attributes, cookie
        assert not any(a.startswith("domain") for a in attributes), cookie


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# README "Deployment": the production command line (bound to a free loopback port here).
README_GUNICORN = [
    "--workers", "2", "--worker-class", "sync", "--timeout", "30", "--graceful-timeout", "30",
    "--max-requests", "1000", "--max-requests-jitter", "100", "--forwarded-allow-ips", "127.0.0.1",
]  # fmt: skip
# gunicorn writes "Server: <gunicorn.http.wsgi.SERVER>" itself (Response.default_headers); up to
# 21.x that was SERVER_SOFTWARE, "gunicorn/<version>" (pyproject.toml: gunicorn>=23).
LEAKY_CONFIG = (
    "import gunicorn.http.wsgi as w\nw.SERVER = w.SERVER_SOFTWARE  # as gunicorn < 22 did\n"
)


def _gunicorn_answers(tmp_path: Path, extra: list[str], paths: list[str]) -> dict[str, Any]:
    """Start the portal under real gunicorn on a free loopback port; the headers of each path."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="development",
        PORTAL_DATABASE_URL=f"sqlite:///{tmp_path / 'g.sqlite3'}",
        PORTAL_SECRET_KEY="gunicorn-test-secret-0123456789-abcdefghijkl",
        PORTAL_MAIL_ECHO="false",
        PYTHONDONTWRITEBYTECODE="1",
    )
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *README_GUNICORN,
            *extra,
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    answers: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 30
        for path in paths:
            while True:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}{path}", timeout=2
                    ) as answer:
                        answers[path] = answer.headers
                        answers[path]["X-Test-Status"] = str(answer.status)
                        break
                except urllib.error.HTTPError as error:  # 404 and the like: headers too
                    answers[path] = error.headers
                    answers[path]["X-Test-Status"] = str(error.code)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError((tmp_path / "gunicorn.log").read_text()) from None
                    time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    return answers


GUNICORN_PATHS = ["/healthz", "/", "/no-such-page", "/static/portal.css"]


def test_gunicorn_does_not_reveal_its_version(tmp_path: Path) -> None:
    """The real server with the README's command line: no version in Server, headers set."""
    answers = _gunicorn_answers(tmp_path, [], GUNICORN_PATHS)
    assert set(answers) == set(GUNICORN_PATHS)
    statuses = {path: headers["X-Test-Status"] for path, headers in answers.items()}
    assert statuses == {"/healthz": "200", "/": "200", "/no-such-page": "404",
                        "/static/portal.css": "200"}  # fmt: skip
    for path, headers in answers.items():
        servers = headers.get_all("Server") or []
        assert servers == ["gunicorn"], (path, servers)
        assert check_headers(headers_response(headers), logged_in=False) == [], path


def test_the_server_check_sees_a_gunicorn_that_shows_its_version(tmp_path: Path) -> None:
    """Sabotage: gunicorn patched (-c config) to send SERVER_SOFTWARE as older releases did."""
    config = tmp_path / "leaky.conf.py"
    config.write_text(LEAKY_CONFIG)
    headers = _gunicorn_answers(tmp_path, ["-c", str(config)], ["/healthz"])["/healthz"]
    assert any(re.search(r"\d", s) for s in headers.get_all("Server") or [])
    assert any("Server" in w for w in check_headers(headers_response(headers), logged_in=False))


class headers_response:
    def __init__(self, headers: Any) -> None:
        self.headers = headers
