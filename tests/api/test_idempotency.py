"""Idempotency-Key (docs/security.md T3): replay, a different body, in flight, concurrent
repeats."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Declaration, IdempotencyRecord
from tests.api.conftest import body, headers
from tests.helpers import count


def test_same_key_same_body_replays_one_row(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    first = client.post("/api/v1/declarations", json=body(), headers=headers(key, "same"))
    # The same JSON with another key order and spacing is the same request.
    raw = json.dumps(dict(reversed(list(body().items()))), indent=2)
    again = client.post(
        "/api/v1/declarations",
        data=raw,
        headers={**headers(key, "same"), "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert again.headers["Location"] == first.headers["Location"]
    assert count(app, Declaration) == 1


def test_same_key_different_body_is_422(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    assert client.post("/api/v1/declarations", json=body(), headers=headers(key, "k")).status_code
    other = client.post("/api/v1/declarations", json=body(occupants=4), headers=headers(key, "k"))
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency.mismatch"
    assert count(app, Declaration) == 1


def test_keys_are_per_api_key(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    one, two = make_key(), make_key()
    a = client.post("/api/v1/declarations", json=body(), headers=headers(one, "shared"))
    b = client.post("/api/v1/declarations", json=body(), headers=headers(two, "shared"))
    assert a.status_code == b.status_code == 201
    assert a.get_json()["reference"] != b.get_json()["reference"]


def test_a_refusal_is_stored_and_replayed(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    first = client.post("/api/v1/declarations", json=body(occupants=0), headers=headers(key, "r"))
    again = client.post("/api/v1/declarations", json=body(occupants=0), headers=headers(key, "r"))
    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json()
    assert again.mimetype == "application/problem+json"
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_bad_idempotency_key_is_400(client: FlaskClient, make_key: Callable[..., Any]) -> None:
    key = make_key()
    for bad in ("", "x" * 256, "with space"):
        response = client.post("/api/v1/declarations", json=body(), headers=headers(key, bad))
        assert response.status_code == 400
        assert response.get_json()["code"] == "idempotency.format"


def test_in_flight_is_409_and_nothing_filed(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    from portal.services.idempotency import request_hash

    make_address("3511 AB", 12)
    key = make_key()
    data = body()
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                api_key_id=key.id,
                key="busy",
                request_hash=request_hash(
                    "POST", "/api/v1/declarations", json.dumps(data).encode()
                ),
            )
        )
        db.session.commit()
    response = client.post("/api/v1/declarations", json=data, headers=headers(key, "busy"))
    assert response.status_code == 409
    assert count(app, Declaration) == 0


def test_a_claim_left_in_flight_by_a_killed_worker_is_taken_over(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    from portal import clock
    from portal.services.idempotency import STALE_AFTER, request_hash

    make_address("3511 AB", 12)
    key = make_key()
    data = body()
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                api_key_id=key.id,
                key="orphan",
                request_hash=request_hash(
                    "POST", "/api/v1/declarations", json.dumps(data).encode()
                ),
                created_at=clock.now() - STALE_AFTER - timedelta(seconds=1),
            )
        )
        db.session.commit()
    first = client.post("/api/v1/declarations", json=data, headers=headers(key, "orphan"))
    assert first.status_code == 201
    again = client.post("/api/v1/declarations", json=data, headers=headers(key, "orphan"))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert count(app, Declaration) == 1


def test_concurrent_repeats_file_exactly_once(
    app: Flask, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    """20 threads send the same request with the same key at once (real concurrency on
    PostgreSQL; SQLite serialises the writers): one filing, every other answer a replay of it or
    409 while the first was in flight."""
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("real concurrency needs PostgreSQL (TEST_DATABASE_URL)")
    make_address("3511 AB", 12)
    key = make_key()
    barrier = threading.Barrier(20)
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/declarations", json=body(), headers=headers(key, "race"))
        data = response.get_json()
        with lock:
            answers.append((response.status_code, data.get("reference")))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count(app, Declaration) == 1
    created = {ref for status, ref in answers if status == 201}
    assert len(created) == 1
    assert {status for status, _ in answers} <= {201, 409}
    with app.app_context():
        record = db.session.execute(select(IdempotencyRecord)).scalar_one()
        assert record.state == "done" and record.response_status == 201
