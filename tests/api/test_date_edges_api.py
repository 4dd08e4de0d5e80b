"""Dates at the edges through the API (issue 21): a date outside 1900-01-01 … 2200-12-31 in a
request body is a 422 problem+json naming the field with ``date.range``, as the other
validation errors are answered; tests/web/test_date_edges.py has the forms, the CSV upload and
the filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import body, headers


@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "2201-01-01", "1899-12-31"])
def test_the_api_refuses_a_date_outside_the_range_as_a_field_problem(
    client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any], typed: str
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    for n, field in enumerate(("start_date", "end_date")):
        response = client.post(
            "/api/v1/declarations", json=body(**{field: typed}), headers=headers(key, f"d{n}")
        )
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        problem = response.get_json()
        assert problem["code"] == "api.invalid"
        assert {"field": field, "code": "date.range"} in [
            {"field": e["field"], "code": e["code"]} for e in problem["errors"]
        ]
    filed = client.post("/api/v1/declarations", json=body(), headers=headers(key, "ok"))
    reference = filed.get_json()["reference"]
    for path, payload in (
        ("amendments", {"occupants": 2, "effective_date": typed}),
        ("end", {"end_date": typed, "reason": "other"}),
    ):
        response = client.post(
            f"/api/v1/declarations/{reference}/{path}", json=payload, headers=headers(key, path)
        )
        assert response.status_code == 422
        [error] = response.get_json()["errors"]
        assert error["code"] == "date.range" and error["field"] in payload
    batch = client.post("/api/v1/batches", json=[body(start_date=typed)], headers=headers(key, "b"))
    assert batch.status_code == 422
    assert {"field": "1.start_date", "code": "date.range"} in [
        {"field": e["field"], "code": e["code"]} for e in batch.get_json()["errors"]
    ]
