"""The access matrix itself: every rule of ``app.url_map`` × every method × every actor, with the
URL filled with tenant-2 objects; returns the violations as readable lines (docs/security.md T5).

Shared by the matrix test, its sabotage ("teeth") test and the header crawl.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from tests.security.conftest import (
    ADDRESS_MARKERS,
    API_ACTORS,
    BROWSER_ACTORS,
    OWNERS,
    TENANT_MARKERS,
    World,
    digest_changes,
    logged_in,
    new_token,
    table_digest,
)
from tests.security.routes import ROLE_OF, ROUTES, Route, methods_of, url_values

LOGIN_PATH = "/inloggen"

# What requests write by design, left out when the matrix compares the database before and after
# (every other row of every table must be unchanged by the whole matrix):
# - audit_events: denials, downloads and exports are audited (docs/security.md T15);
# - user_sessions: logins of the actors, last-seen times, logouts;
# - rate_limit_windows: login and API rate limits count requests;
# - idempotency_records: the API keeps each Idempotency-Key it saw.
LOG_TABLES = frozenset(
    {"audit_events", "user_sessions", "rate_limit_windows", "idempotency_records"}
)
# - users.last_login_at / totp_last_step: the actors' own logins;
# - api_keys.last_used_at: every API call touches its key;
# - receipts.pdf / pdf_rendered_at: a receipt PDF is rendered and stored at its first download.
# Own-tenant POSTs with an empty form that succeed by design (CSRF is off in this matrix; the CSRF
# matrix covers that): account.totp_start gives the organisation actors a pending TOTP secret of
# their own, and admin.outbox_retry (system admin) schedules the message's next attempt.
VOLATILE_COLUMNS = frozenset(
    {
        "users.totp_secret",
        "outbox_messages.next_attempt_at",
        "users.last_login_at",
        "users.totp_last_step",
        "api_keys.last_used_at",
        "receipts.pdf",
        "receipts.pdf_rendered_at",
    }
)
# The two columns above that only those POSTs write: a GET-only run compares them too.
POST_ONLY_COLUMNS = frozenset({"users.totp_secret", "outbox_messages.next_attempt_at"})
ORG_ROLES = ("declarant", "org_admin", "api_org")


@dataclass
class Outcome:
    """One request of the matrix and what it answered."""

    actor: str
    endpoint: str
    method: str
    url: str
    status: int
    location: str
    content_type: str
    response: TestResponse


@dataclass
class MatrixReport:
    violations: list[str] = field(default_factory=list)
    requests: int = 0
    rules: int = 0
    rules_covered: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def is_api(rule: Rule) -> bool:
    return rule.rule.startswith("/api/")


def body_text(response: TestResponse) -> str:
    """The searchable text of a response (the XML inside an XLSX, the text of a PDF's pages)."""
    data = response.get_data()
    kind = response.content_type or ""
    if "spreadsheetml" in kind:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    if "pdf" in kind:
        try:
            reader = PdfReader(io.BytesIO(data))
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except (PyPdfError, ValueError):  # an uploaded file that is no real PDF: its bytes
            return data.decode("latin-1")
    return data.decode("utf-8", "replace")


def leaked(text: str, markers: tuple[str, ...]) -> list[str]:
    return [m for m in markers if m in text]


def send(
    client: FlaskClient, actor: str, method: str, url: str, world: World, api: bool
) -> TestResponse:
    headers: dict[str, str] = {}
    if actor.startswith("key_"):
        headers["Authorization"] = f"Bearer {world.keys[actor]}"
    if api and method in ("POST", "PATCH", "PUT"):
        headers["Idempotency-Key"] = new_token()
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={} if method != "GET" else None, headers=headers)


def to_login(response: TestResponse) -> bool:
    return response.status_code == 302 and (
        urlsplit(response.headers.get("Location", "")).path == LOGIN_PATH
    )


def expectation(route: Route, actor: str, api: bool) -> str:
    """What ``actor`` must get: 'login', 'api401', 'api403', '404', or 'any' (under 500)."""
    role = ROLE_OF[actor]
    access = route.access
    if api:
        if access == "api_public":
            return "any"
        if role not in ("api_org", "api_mun"):
            return "api401"  # anonymous, or a browser session (cookies are ignored)
        if (access == "api_org" and role != "api_org") or (
            access == "api_mun" and role != "api_mun"
        ):
            return "api403"
        return "404" if route.foreign else "any"
    if access == "public":
        return "any"
    if role is None or role.startswith("api_"):
        return "login"  # an API key means nothing to a page
    if access == "login":
        return "any"
    assert isinstance(access, tuple)
    if role not in access:
        return "404"
    return "404" if route.foreign else "any"


def judge(route: Route, outcome: Outcome, want: str, markers: tuple[str, ...]) -> list[str]:
    problems = []
    status = outcome.status
    if status >= 500:
        problems.append(f"answered {status}")
    elif want == "login" and not to_login(outcome.response):
        problems.append(f"answered {status} {outcome.location}, expected 302 to {LOGIN_PATH}")
    elif want == "api401" and status != 401:
        problems.append(f"answered {status}, expected 401")
    elif want == "api403" and status != 403:
        problems.append(f"answered {status}, expected 403")
    elif want == "404" and status != 404:
        problems.append(f"answered {status} {outcome.location}, expected 404")
    if 200 <= status < 300 and markers:
        found = leaked(body_text(outcome.response), markers)
        if found:
            problems.append(f"shows tenant-2 data {found}")
    return problems


def markers_for(actor: str, route: Route | None, world: World) -> tuple[str, ...]:
    """What ``actor`` must never see: tenant 2's texts (none for the system admin)."""
    role = ROLE_OF[actor]
    if role == "system_admin":
        return ()
    found = (*TENANT_MARKERS, world["b_reference"], world["b_amended_reference"])
    if route is not None and route.register and role in ORG_ROLES:
        return found
    return found + ADDRESS_MARKERS


def ordered_rules(app: Flask) -> list[Rule]:
    """Every rule; the logout last (it ends the actor's session)."""
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "account.logout", r.rule))
    return rules


def requests_of(
    app: Flask, world: World, methods: tuple[str, ...] | None = None
) -> Iterator[tuple[Rule, Route, str, str]]:
    adapter = app.url_map.bind("portal.test")
    for rule in ordered_rules(app):
        route = ROUTES.get(rule.endpoint)
        if route is None:
            continue
        for method in methods_of(rule):
            if methods is not None and method not in methods:
                continue
            url = adapter.build(rule.endpoint, url_values(route, world.ids), method=method)
            yield rule, route, method, url


def run_matrix(
    app: Flask,
    world: World,
    actors: tuple[str, ...] = BROWSER_ACTORS + API_ACTORS,
    keep: Callable[[Outcome], bool] | None = None,
    methods: tuple[str, ...] | None = None,
) -> MatrixReport:
    report = MatrixReport()
    rules = list(app.url_map.iter_rules())
    report.rules = len(rules)
    for rule in rules:
        if rule.endpoint not in ROUTES:
            report.violations.append(
                f"{rule.endpoint} {rule.rule}: missing from tests/security/routes.py"
            )
    known = {r.endpoint for r in rules}
    report.violations += [
        f"{name}: in tests/security/routes.py but not a route"
        for name in ROUTES
        if name not in known
    ]
    report.rules_covered = sum(1 for r in rules if r.endpoint in ROUTES)
    skip = VOLATILE_COLUMNS - POST_ONLY_COLUMNS if methods == ("GET",) else VOLATILE_COLUMNS
    before = table_digest(app, LOG_TABLES, skip)

    for actor in actors:
        client = logged_in(app, world, actor)
        for rule, route, method, url in requests_of(app, world, methods):
            api = is_api(rule)
            response = send(client, actor, method, url, world, api)
            report.requests += 1
            outcome = Outcome(
                actor,
                rule.endpoint,
                method,
                url,
                response.status_code,
                response.headers.get("Location", ""),
                response.content_type or "",
                response,
            )
            want = expectation(route, actor, api)
            for problem in judge(route, outcome, want, markers_for(actor, route, world)):
                report.violations.append(f"{actor:9} {method:5} {url} [{rule.endpoint}]: {problem}")
            if keep is not None and keep(outcome):
                report.outcomes.append(outcome)
            else:
                response.close()
    changes = digest_changes(before, table_digest(app, LOG_TABLES, skip))
    report.violations += [f"the matrix changed data: {c}" for c in changes]
    report.violations += controls(app, world)
    return report


def controls(app: Flask, world: World) -> list[str]:
    """Each foreign URL works for its owner (GET): so the 404s above are refusals, not typos."""
    owners = {name: logged_in(app, world, name) for name in OWNERS.values()}
    owner_role = {
        "decl_b": "declarant",
        "admin_b": "org_admin",
        "insp_2": "inspector",
        "madmin_2": "municipal_admin",
        "key_b": "api_org",
        "key_m2": "api_mun",
    }
    problems = []
    for rule, route, method, url in requests_of(app, world):
        if not route.foreign or method != "GET":
            continue
        api = is_api(rule)
        statuses = []
        for name, client in owners.items():
            role = owner_role[name]
            allowed = (
                (route.access == "api_any" and role.startswith("api_"))
                or route.access == role
                or (isinstance(route.access, tuple) and role in route.access)
            )
            if not allowed:
                continue
            response = send(client, name, method, url, world, api)
            statuses.append(response.status_code)
            response.close()
        if not any(200 <= s < 300 for s in statuses):
            problems.append(f"control: {url} [{rule.endpoint}] fails for its owner too: {statuses}")
    return problems


def format_report(report: MatrixReport) -> str:
    lines = [
        f"{len(report.violations)} violation(s) in {report.requests} requests over "
        f"{report.rules_covered}/{report.rules} routes:"
    ]
    lines += [f"  {v}" for v in report.violations]
    return "\n".join(lines)
