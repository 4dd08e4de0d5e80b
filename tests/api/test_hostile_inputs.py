"""Hostile inputs (SECURITY.md T7): every one is a 4xx problem with a message, never a 5xx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.models import Declaration
from tests.api.conftest import body, headers
from tests.helpers import count

STRINGS = [
    "' OR 1=1--",
    '"; DROP TABLE declarations; --',
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "a\r\nSet-Cookie: x=y",
    "nul\x00byte",
    "x" * 10_000,
    "👷‍♀️\u202etxet",
    "0000AA",
    "1234 SA",
    "12345",
]
VALUES: list[Any] = [*STRINGS, -1, 0, 10**30, 1.5, True, None, [], {}, float("1e308")]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_hostile_values_in_every_field(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    value: Any,
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    fields = [
        "occupants",
        "occupants_registered_brp",
        "start_date",
        "end_date",
        "separate_contracts",
        "declared_for_kvk",
        "bag_id",
        "address",
        "unknown_field",
    ]
    for n, name in enumerate(fields):
        data = body(**{name: value})
        response = client.post("/api/v1/declarations", json=data, headers=headers(key, f"h{n}"))
        assert response.status_code < 500, (name, value)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
            assert all(e["message"] for e in response.get_json()["errors"])
            assert "<script" not in response.get_data(as_text=True)
    for name in ("postcode", "house_number", "house_letter", "house_number_addition"):
        address = {"postcode": "3511 AB", "house_number": 12, name: value}
        response = client.post(
            "/api/v1/declarations", json=body(address=address), headers=headers(key, f"a{name}")
        )
        assert response.status_code < 500, (name, value)
    if isinstance(value, str):
        for path in (
            f"/api/v1/addresses?postcode={value}&house_number={value}",
            f"/api/v1/declarations?status={value}&municipality={value}&page={value}",
            f"/api/v1/declarations/{value}",
            f"/api/v1/receipts/{value}.pdf",
        ):
            response = client.get(path.replace("\x00", "%00"), headers=key.auth)
            assert response.status_code < 500, path[:80]
            assert response.mimetype in ("application/json", "application/problem+json")


def test_broken_bodies(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    cases: list[tuple[bytes, str, int]] = [
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),  # deep nesting
        (b"\xff\xfe garbage", "application/json", 400),
        (b"", "application/json", 400),
        (b"[1, 2]", "application/json", 422),
        (b'"text"', "application/json", 422),
        (b"NaN", "application/json", 422),
        (b"occupants=3", "application/x-www-form-urlencoded", 415),
        (b"{}", "text/plain", 415),
    ]
    for n, (raw, content_type, status) in enumerate(cases):
        response = client.post(
            "/api/v1/declarations",
            data=raw,
            headers={**headers(key, f"b{n}"), "Content-Type": content_type},
        )
        assert response.status_code == status, (raw[:20], response.get_json())
        assert response.mimetype == "application/problem+json"
    assert count(app, Declaration) == 0
