"""Hostile inputs (docs/security.md T7): every one is a 4xx problem with a message, never a 5xx."""

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


# --- hardening: the rest of the API, more broken bodies (docs/security.md T7) ---------------------

from tests.web.test_hostile_forms import PAYLOADS  # noqa: E402

API_VALUES: list[Any] = [*PAYLOADS, -1, 0, 10**30, -(10**30), 1.5, True, False, None, [], {}]
DEEP = 10_000


def _problem_or_ok(response: Any, what: str) -> None:
    assert response.status_code < 500, what
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json", what
        problem = response.get_json()
        assert problem["detail"], what
        assert all(e["message"] for e in problem["errors"]), what
    assert "<script" not in response.get_data(as_text=True), what
    assert "X-Injected" not in response.headers, what


def test_hostile_values_in_amendments_ends_flags_batches_and_queries(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    make_address("3511 AB", 12, municipality=utrecht)
    key = make_key()
    municipal = make_key(municipality=utrecht)
    filed = client.post(
        "/api/v1/declarations", json=body(occupants=6), headers=headers(key, "seed")
    ).get_json()
    reference = filed["reference"]
    flags = client.get("/api/v1/flags", headers=municipal.auth).get_json()
    flag_id = flags["items"][0]["id"] if flags.get("items") else 1
    cases = 0
    for n, value in enumerate(API_VALUES):
        posts = [
            (f"/api/v1/declarations/{reference}/amendments", {"occupants": value}),
            (
                f"/api/v1/declarations/{reference}/amendments",
                {"occupants": 3, "effective_date": value},
            ),
            (f"/api/v1/declarations/{reference}/end", {"end_date": value, "reason": "ended"}),
            (f"/api/v1/declarations/{reference}/end", {"end_date": None, "reason": value}),
            ("/api/v1/batches?dry_run=true", [body(occupants=value)]),
            (
                "/api/v1/batches?dry_run=true",
                [body(address={"postcode": value, "house_number": 12})],
            ),
        ]
        for m, (path, data) in enumerate(posts):
            response = client.post(path, json=data, headers=headers(key, f"v{n}-{m}"))
            _problem_or_ok(response, f"{path} {value!r:.40}")
            cases += 1
        for field_name in ("status", "assignee", "note"):
            response = client.patch(
                f"/api/v1/flags/{flag_id}", json={field_name: value}, headers=municipal.auth
            )
            _problem_or_ok(response, f"flag {field_name} {value!r:.40}")
            cases += 1
        if isinstance(value, str):
            text = value.replace("\x00", "%00").replace("#", "%23").replace("&", "%26")
            for path in (
                f"/api/v1/flags?status={text}&page={text}&per_page={text}",
                f"/api/v1/declarations?page={text}&per_page={text}",
                f"/api/v1/statistics?municipality={text}&month={text}&format={text}",
                f"/api/v1/addresses?postcode={text}&house_number=12&house_letter={text}",
            ):
                response = client.get(path, headers=municipal.auth if "flags" in path else key.auth)
                _problem_or_ok(response, path[:80])
                cases += 1
    print(f"hostile API cases (amend/end/flags/batches/queries): {cases}")
    assert cases >= 400


def _nested(kind: str, depth: int) -> bytes:
    if kind == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    if kind == "array":
        return b"[" * depth + b"]" * depth
    # deep inside a real field
    return b'{"occupants": ' + b"[" * depth + b"]" * depth + b"}"


BROKEN: list[tuple[bytes, str, int]] = [
    (_nested("object", DEEP), "application/json", 400),
    (_nested("array", DEEP), "application/json", 400),
    (_nested("field", DEEP), "application/json", 400),
    (b'{"occupants": 3,}', "application/json", 400),
    (b"{'occupants': 3}", "application/json", 400),
    (b'{"occupants": 3 /* comment */}', "application/json", 400),
    (b'\xef\xbb\xbf{"occupants": 3}', "application/json", 422),  # BOM allowed; fields missing
    (b'{"occupants": Infinity}', "application/json", 422),
    (b'{"occupants": 1e999999}', "application/json", 422),
    (b'{"occupants": ' + b"9" * 5000 + b"}", "application/json", 400),
    (b'{"occupants": "\\ud800"}', "application/json", 422),
    (b'{"occupants": 3, "occupants": "x"}', "application/json", 422),
    (b"null", "application/json", 422),
    (b"true", "application/json", 422),
    (b"<declaration/>", "application/xml", 415),
    (b"--b\r\n\r\n{}\r\n--b--", "multipart/form-data; boundary=b", 415),
    (b'{"occupants": 3}', "application/json-patch+json", 415),
    (b'{"occupants": 3}', "", 415),
    ('{"occupants": "drie ë"}'.encode("latin-1"), "application/json; charset=latin-1", 400),
]


@pytest.mark.parametrize(("raw", "content_type", "status"), BROKEN, ids=range(len(BROKEN)))
def test_more_broken_bodies_are_refused_with_a_problem(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    raw: bytes,
    content_type: str,
    status: int,
) -> None:
    key = make_key()
    for path in ("/api/v1/declarations", "/api/v1/batches?dry_run=true"):
        request_headers = {**headers(key, f"broken-{path}")}
        if content_type:
            request_headers["Content-Type"] = content_type
        response = client.post(path, data=raw, headers=request_headers)
        assert response.status_code < 500, path
        if path == "/api/v1/declarations":
            assert response.status_code == status, (raw[:40], response.get_json())
        assert 400 <= response.status_code < 500
        _problem_or_ok(response, f"{path} {raw[:30]!r}")
