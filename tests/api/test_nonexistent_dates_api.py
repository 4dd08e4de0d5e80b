"""A day the month does not have through the API (issue 23): 2026-02-31 has the API's format,
so the 422 names the real problem with its own code, ``date.nonexistent``, and a message that
names the day (in Dutch, the API's language) — for a declaration and for a batch item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.api.conftest import body, headers


def test_the_api_names_a_day_that_does_not_exist(
    client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    response = client.post(
        "/api/v1/declarations",
        json=body(start_date="2026-02-31"),
        headers=headers(key, "d1"),
    )
    assert response.status_code == 422
    [error] = [e for e in response.get_json()["errors"] if e["field"] == "start_date"]
    assert error == {
        "field": "start_date",
        "code": "date.nonexistent",
        "message": "31 februari 2026 bestaat niet.",
    }
    batch = client.post(
        "/api/v1/batches", json=[body(start_date="2026-02-31")], headers=headers(key, "b")
    )
    assert batch.status_code == 422
    assert {
        "field": "1.start_date",
        "code": "date.nonexistent",
        "message": "31 februari 2026 bestaat niet.",
    } in batch.get_json()["errors"]
