"""Security headers on every GET route for every role (docs/security.md T14, the test half).

The crawl is the access matrix's GET half (tests/security/matrix.py, same route table), so every
route × every actor is visited; each response is then held to the header rules below.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.security.conftest import World, logged_in
from tests.security.matrix import Outcome, run_matrix

CSP_REQUIRED = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
REFERRER_POLICIES = ("no-referrer", "same-origin")  # same-origin or stricter
HSTS_MIN_AGE = 31536000


def directive(csp: str, name: str) -> str:
    for part in csp.split(";"):
        words = part.strip().split()
        if words and words[0] == name:
            return " ".join(words[1:])
    return ""


def header_problems(outcome: Outcome) -> list[str]:
    headers = outcome.response.headers
    problems = []
    kind = outcome.content_type
    if kind.startswith("text/") and "charset=" not in kind:
        problems.append(f"Content-Type without charset: {kind}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    server = headers.get("Server", "")
    if re.search(r"\d", server) or "werkzeug" in server.lower():
        problems.append(f"Server header leaks a version: {server!r}")
    # Static files (CSS, fonts) are the same for everyone and carry no user data: cacheable, as
    # tests/web/test_security_headers.py has it. Every other response to a logged-in actor (and
    # to an API key) must not be stored.
    authenticated = outcome.actor != "anonymous" and outcome.endpoint != "static"
    if authenticated and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(
            f"authenticated response without no-store: {headers.get('Cache-Control')!r}"
        )
    if kind.startswith("text/html"):
        csp = headers.get("Content-Security-Policy", "")
        problems += [f"CSP lacks {d}" for d in CSP_REQUIRED if d not in csp]
        for name in ("script-src", "default-src"):
            if "'unsafe-inline'" in directive(csp, name):
                problems.append(f"CSP {name} allows 'unsafe-inline'")
        hsts = headers.get("Strict-Transport-Security", "")
        age = re.search(r"max-age=(\d+)", hsts)
        if not age or int(age.group(1)) < HSTS_MIN_AGE or "includesubdomains" not in hsts.lower():
            problems.append(f"HSTS {hsts!r}")
    for cookie in headers.getlist("Set-Cookie"):
        lowered = cookie.lower()
        if "httponly" not in lowered or "samesite=" not in lowered or "domain=" in lowered:
            problems.append(f"cookie flags: {cookie.split(';')[0].split('=')[0]} {cookie[-80:]!r}")
    return problems


def test_the_header_rules_catch_missing_headers(app: Flask, world: World) -> None:
    """Sabotage kept in CI: with the portal's headers stripped after they were set (and a
    version-revealing Server header), the rules above report each of them."""

    def strip(response: Any) -> Any:
        for name in (
            "Content-Security-Policy",
            "Strict-Transport-Security",
            "Cache-Control",
            "X-Content-Type-Options",
            "Referrer-Policy",
        ):
            response.headers.pop(name, None)
        response.headers["Server"] = "Werkzeug/3.1.3 Python/3.11"
        response.content_type = "text/html"
        return response

    client = logged_in(app, world, "decl_a")
    app.after_request_funcs.setdefault(None, []).insert(0, strip)
    try:
        response = client.get("/organisatie/")
    finally:
        app.after_request_funcs[None].remove(strip)
    outcome = Outcome(
        "decl_a", "org.dashboard", "GET", "/organisatie/", 200, "", response.content_type, response
    )
    found = " | ".join(header_problems(outcome))
    for expected in (
        "Content-Type without charset",
        "nosniff",
        "Referrer-Policy",
        "Server header leaks",
        "without no-store",
        "CSP lacks default-src",
        "HSTS",
    ):
        assert expected in found, (expected, found)


def test_every_get_response_of_every_role_carries_the_security_headers(
    app: Flask, world: World
) -> None:
    report = run_matrix(app, world, methods=("GET",), keep=lambda outcome: True)
    failures: dict[str, list[str]] = {}
    html = 0
    for outcome in report.outcomes:
        html += outcome.content_type.startswith("text/html")
        for problem in header_problems(outcome):
            failures.setdefault(problem, []).append(
                f"{outcome.actor} {outcome.url} ({outcome.status})"
            )
        outcome.response.close()
    print(f"{len(report.outcomes)} GET responses, {html} HTML, {report.rules_covered} routes")
    summary = "\n".join(
        f"{problem}: {len(where)} responses, e.g. {where[:3]}"
        for problem, where in failures.items()
    )
    assert report.outcomes and html > 100
    assert failures == {}, summary
