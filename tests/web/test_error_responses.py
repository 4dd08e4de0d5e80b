"""Errors reveal nothing (docs/security.md T19): no stack trace, SQL or path in any response; under
/api every error is application/problem+json with a human message, for every status code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from tests.api.conftest import body, headers
from tests.api.conftest import make_key as make_key  # the fixture, for this module
from tests.conftest import overrides_for

CANARY = "canary-secret-7f3a"
LEAKS = re.compile(
    r"Traceback|File \"|/work/|site-packages|\.py\b|no_such_table_zz|SELECT|sqlalchemy|psycopg|"
    r"sqlite3|RuntimeError|OperationalError|ProgrammingError|" + CANARY,
    re.IGNORECASE,
)
API_CODES = [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500]


def leaks(response: Any) -> list[str]:
    return LEAKS.findall(response.get_data(as_text=True))


@pytest.fixture
def raising_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A fresh app (routes can only be added before the first request) with routes that fail,
    registered here in the test, never in the product."""
    application = create_app(overrides_for(database_url))
    application.config["PROPAGATE_EXCEPTIONS"] = False  # behave as production does

    def crash() -> Any:
        raise RuntimeError(f"{CANARY} at /work/main/portal/secret.py")

    def bad_sql() -> Any:
        db.session.execute(text(f"SELECT '{CANARY}' FROM no_such_table_zz"))
        return "unreachable"

    def status(code: int) -> Any:
        abort(code)

    for prefix in ("/test-fail", "/api/v1/test-fail"):
        application.add_url_rule(f"{prefix}/crash", f"{prefix}-crash", crash)
        application.add_url_rule(f"{prefix}/sql", f"{prefix}-sql", bad_sql)
        application.add_url_rule(f"{prefix}/status/<int:code>", f"{prefix}-status", status)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/test-fail/crash", "/test-fail/sql"])
def test_html_500_shows_the_error_page_and_nothing_inside(raising_app: Flask, path: str) -> None:
    response = raising_app.test_client().get(path)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert leaks(response) == []
    assert "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/test-fail/crash", "/api/v1/test-fail/sql"])
def test_api_500_is_a_problem_and_nothing_inside(raising_app: Flask, path: str) -> None:
    response = raising_app.test_client().get(path)
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert leaks(response) == []
    assert response.get_json()["detail"]


@pytest.mark.parametrize("code", API_CODES)
def test_every_api_status_is_problem_json_with_a_message(raising_app: Flask, code: int) -> None:
    response = raising_app.test_client().get(f"/api/v1/test-fail/status/{code}")
    assert response.status_code == code
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == code and problem["detail"] and problem["title"]
    assert leaks(response) == []


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 500])
def test_html_error_pages_are_rendered_by_the_portal(raising_app: Flask, code: int) -> None:
    response = raising_app.test_client().get(f"/test-fail/status/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "site-header" in page  # the portal's own page
    assert leaks(response) == []


def test_real_errors_on_both_sides(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    """The same codes as people and systems meet them, not through abort()."""
    make_address("3511 AB", 12)
    key = make_key()
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    html_cases = [
        (client.get("/no-such-page"), 404),
        (client.put("/inloggen"), 405),
        (client.post("/inloggen", data=big, content_type="application/x-www-form-urlencoded"), 413),
    ]
    for response, code in html_cases:
        assert response.status_code == code
        assert response.mimetype == "text/html" and leaks(response) == []
    api = "/api/v1/declarations"
    api_cases = [
        (
            client.post(
                api, data=b"{", headers={**headers(key, "e1"), "Content-Type": "application/json"}
            ),
            400,
        ),
        (client.get(api), 401),
        (client.get("/api/v1/no-such"), 404),
        (client.delete(api, headers=key.auth), 405),
        (
            client.post(
                api, data=big, headers={**headers(key, "e2"), "Content-Type": "application/json"}
            ),
            413,
        ),
        (
            client.post(
                api, data=b"{}", headers={**headers(key, "e3"), "Content-Type": "text/plain"}
            ),
            415,
        ),
        (client.post(api, json=body(occupants=-1), headers=headers(key, "e4")), 422),
    ]
    for response, code in api_cases:
        assert response.status_code == code, (code, response.get_data()[:300])
        assert response.mimetype == "application/problem+json"
        assert json.loads(response.get_data())["detail"]
        assert leaks(response) == []


def test_the_leak_check_would_see_a_debug_page(raising_app: Flask) -> None:
    """Sabotage: with exceptions propagated as in debug, the details reach the client."""
    raising_app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match=CANARY):
        raising_app.test_client().get("/test-fail/crash")
    from werkzeug.debug.tbtools import DebugTraceback

    try:
        raise RuntimeError(f"{CANARY} at /work/main/portal/secret.py")
    except RuntimeError as exc:
        page = DebugTraceback(exc).render_debugger_html(
            evalex=False, secret="s", evalex_trusted=False
        )

    class Page:
        def get_data(self, as_text: bool = True) -> str:
            return page

    assert leaks(Page())
