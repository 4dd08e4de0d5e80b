"""End-to-end fixtures: the real app under gunicorn with the demo data, and headless Chromium.

One server and one browser per test session. The server runs on a free loopback port against a
fresh database of its own, never the one the rest of the suite uses: a SQLite file in a temporary
directory, or with TEST_DATABASE_URL a PostgreSQL database named after it plus ``_e2e`` (created
and dropped here). It is migrated with ``flask db upgrade`` and filled with ``flask demo load``.
The tests skip when Debian's Chromium (/usr/bin/chromium) or Playwright for Python is missing.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.e2e.support import with_axe

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-wachtwoord-2026"
DEMO_TOTP_SECRET = "MELDPORTAALDEMOGEHEIMTOTPSLEUTEL"
STAFF_ROLES = {"inspector", "municipal_admin", "system_admin"}

# The demo logins by role (README "Demo logins").
ROLE_EMAILS = {
    "declarant": "declarant@flexwerk.demo.meldportaal.nl",
    "org_admin": "beheer@flexwerk.demo.meldportaal.nl",
    "housing_provider": "verhuur@hnl.demo.meldportaal.nl",
    "inspector": "inspecteur@utrecht.demo.meldportaal.nl",
    "municipal_admin": "beheer@utrecht.demo.meldportaal.nl",
    "system_admin": "systeembeheer@demo.meldportaal.nl",
}
STAFF_EMAILS = {ROLE_EMAILS[r] for r in ("inspector", "municipal_admin", "system_admin")}


def _missing_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install playwright)"
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "axe-playwright-python is not installed"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """The running portal: its address, its database file and the environment it runs with."""

    base_url: str
    database_url: str
    env: dict[str, str]
    totp_steps: dict[str, int] = field(default_factory=dict)
    # The test OpenID Provider the portal logs organisations in at (None: node is missing).
    provider: Any = None
    _engine: Any = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def flask(self, *args: str) -> str:
        """Run ``flask --app wsgi ARGS`` against this server's database; return its output."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the server's database (outbox, ids) the way an operator would. ``sql`` uses
        ``?`` placeholders on both SQLite and PostgreSQL."""
        if self._engine is None:
            self._engine = sqlalchemy.create_engine(self.database_url, poolclass=NullPool)
        if self._engine.dialect.name == "postgresql":
            sql = sql.replace("?", "%s")
        with self._engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(sql, params).fetchall()]

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self.query(sql, params)
        assert rows, f"no row for {sql} {params}"
        return rows[0][0]

    def totp_code(self, email: str) -> str:
        """A fresh demo TOTP code: each code works once, so never reuse a time step."""
        import pyotp

        now_step = int(time.time()) // 30
        # Never the previous step: it could expire between here and the server's check.
        step = max(now_step, self.totp_steps.get(email, -1) + 1)
        while step > now_step + 1:  # only one step of drift is accepted: wait for the clock
            time.sleep(1)
            now_step = int(time.time()) // 30
        self.totp_steps[email] = step
        return str(pyotp.TOTP(DEMO_TOTP_SECRET).at(step * 30))


@pytest.fixture(scope="session")
def e2e_ready() -> None:
    reason = _missing_reason()
    if reason:
        if os.environ.get("E2E_REQUIRED"):  # CI installs the browser: a skip there is a failure
            pytest.fail(f"E2E_REQUIRED is set but the browser tests cannot run: {reason}")
        pytest.skip(reason)


@contextmanager
def _fresh_database(workdir: Path) -> Iterator[str]:
    """A database for the server alone: SQLite in ``workdir``, or ``<TEST_DATABASE_URL>_e2e``."""
    wanted = os.environ.get("TEST_DATABASE_URL")
    if not wanted:
        yield f"sqlite:///{workdir / 'portal.sqlite3'}"
        return
    from portal.settings import normalise_database_url

    url = make_url(normalise_database_url(wanted))
    name = f"{url.database}_e2e"
    admin = sqlalchemy.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop)
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop)
        admin.dispose()


@pytest.fixture(scope="session")
def server(e2e_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("e2e-server")
    base_url = f"http://127.0.0.1:{_free_port()}"
    with _fresh_database(workdir) as database_url, _provider(workdir, base_url) as provider:
        yield from _serve(workdir, database_url, base_url, provider)


@contextmanager
def _provider(workdir: Path, base_url: str) -> Iterator[Any]:
    """The test OpenID Provider (tests/oidc_provider.py) with the portal at ``base_url`` as its
    client, or None where node or its packages are missing."""
    from tests.oidc_provider import Provider, missing

    if missing():
        yield None
        return
    provider = Provider(workdir, portal_base=base_url)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def _serve(workdir: Path, database_url: str, base_url: str, provider: Any) -> Iterator[Server]:
    port = int(base_url.rsplit(":", 1)[1])
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PORTAL_") and key != "TEST_DATABASE_URL"
    }
    env.update(
        {
            "PORTAL_ENV": "development",
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_SECRET_KEY": "e2e-only-secret-key-0123456789-abcdefghijklmnop",
            "PORTAL_MAIL_ECHO": "false",
            "PORTAL_PUBLIC_BASE_URL": base_url,
            # Every browser logs in from 127.0.0.1: the per-address limits would stop the suite.
            "PORTAL_LOGIN_IP_ATTEMPTS": "100000",
            "PORTAL_SIGNUP_IP_LIMIT": "100000",
            "PORTAL_UPLOAD_LIMIT": "100000",
            "PORTAL_DOWNLOAD_LIMIT": "100000",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if provider is not None:
        from tests.oidc_provider import portal_settings

        env.update({f"PORTAL_{k}": v for k, v in portal_settings(provider).items()})
    srv = Server(base_url=base_url, database_url=database_url, env=env, provider=provider)
    srv.flask("db", "upgrade")
    srv.flask("demo", "load")
    log = (workdir / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(
                    "gunicorn did not start:\n" + (workdir / "gunicorn.log").read_text()
                )
            time.sleep(0.2)
        yield srv
    finally:
        srv.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser(e2e_ready: None) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where the tests leave their screenshots: the directory ``E2E_SCREENSHOTS`` names, or
    ``None`` (no screenshots) when it is not set."""
    wanted = os.environ.get("E2E_SCREENSHOTS")
    if not wanted:
        return None
    path = Path(wanted)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _new_context(browser: Browser, server: Server) -> BrowserContext:
    context = browser.new_context(
        base_url=server.base_url,
        viewport={"width": 1280, "height": 900},
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for one test."""
    ctx = _new_context(browser, server)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def log_in(page: Page, server: Server, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form; staff complete the second step with a fresh TOTP code."""
    page.goto("/inloggen?lang=nl")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if email in STAFF_EMAILS or "/tweede-stap" in page.url:
        assert "/account/tweede-stap" in page.url, page.url
        page.fill("#code", server.totp_code(email))
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
    assert "/inloggen" not in page.url and "/tweede-stap" not in page.url, page.content()


ANONYMOUS = "anonymous"


@pytest.fixture(scope="session")
def role_page(browser: Browser, server: Server) -> Iterator[Callable[[str], Page]]:
    """A logged-in page per demo role, made once and shared (each login is one TOTP code);
    ``role_page(ANONYMOUS)`` is a shared page that is never logged in, for the checks of the
    public pages (a browser profile per check cost a renderer process each)."""
    pages: dict[str, Page] = {}
    contexts: list[BrowserContext] = []

    def get(role: str) -> Page:
        if role not in pages:
            ctx = with_axe(_new_context(browser, server))
            contexts.append(ctx)
            pg = ctx.new_page()
            if role != ANONYMOUS:
                log_in(pg, server, ROLE_EMAILS[role])
            pages[role] = pg
        return pages[role]

    try:
        yield get
    finally:
        for ctx in contexts:
            ctx.close()
