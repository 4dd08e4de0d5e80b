"""Bearer keys only, revocation at once, rate limits, and problem+json for every error status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiKey, AuditEvent, IdempotencyRecord
from portal.services import apikeys
from tests.api.conftest import body, headers
from tests.conftest import login


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    data = response.get_json()
    assert data["status"] == status and data["title"] and data["detail"]
    assert isinstance(data["errors"], list)
    assert "<html" not in response.get_data(as_text=True).lower()
    return dict(data)


def test_keys_are_random_and_stored_only_hashed(app: Flask, make_key: Callable[..., Any]) -> None:
    key = make_key()
    other = make_key()
    assert key.secret.startswith("mhk_") and len(key.secret) == 4 + 43  # 256 bits, base64url
    assert key.secret != other.secret
    with app.app_context():
        stored = db.session.get(ApiKey, key.id)
        assert stored is not None
        assert stored.key_hash == apikeys.hash_key(key.secret)
        assert key.secret not in (stored.key_hash, stored.prefix, stored.name)
        assert stored.prefix == key.secret[:12]


def test_without_a_valid_key_401(client: FlaskClient, make_key: Callable[..., Any]) -> None:
    _is_problem(client.get("/api/v1/declarations"), 401)
    _is_problem(client.get("/api/v1/declarations", headers={"Authorization": "Basic x"}), 401)
    wrong = client.get("/api/v1/declarations", headers={"Authorization": "Bearer mhk_nope"})
    assert _is_problem(wrong, 401)["code"] == "api.unauthorized"
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    key = make_key()
    assert _is_problem(client.get(f"/api/v1/declarations?token={key.secret}"), 401)
    assert client.get("/api/v1/declarations", headers=key.auth).status_code == 200


def test_a_revoked_key_fails_at_once_and_is_audited(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any]
) -> None:
    key = make_key()
    assert client.get("/api/v1/declarations", headers=key.auth).status_code == 200
    with app.app_context():
        stored = db.session.get(ApiKey, key.id)
        assert stored is not None and stored.last_used_at is not None
        assert apikeys.revoke_key(stored) is True
        db.session.commit()
    _is_problem(client.get("/api/v1/declarations", headers=key.auth), 401)
    with app.app_context():
        failures = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "api.auth_failed"))
            .scalars()
            .all()
        )
        assert [(f.actor_label, f.detail, f.result) for f in failures] == [
            (f"api-key:{key.secret[:12]}", "revoked key", "denied")
        ]
        actions = db.session.execute(select(AuditEvent.action)).scalars().all()
        assert "apikey.create" in actions and "apikey.revoke" in actions


def test_a_logged_in_cookie_does_not_authenticate_the_api(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("org_admin")
    login(client, user)
    assert client.get("/organisatie/").status_code == 200
    _is_problem(client.get("/api/v1/declarations"), 401)
    _is_problem(client.post("/api/v1/declarations", json=body()), 401)


def test_csrf_does_not_apply_to_bearer_requests(
    app: Flask, database_url: str, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    from portal import create_app
    from tests.conftest import overrides_for

    csrf_app = create_app({**overrides_for(database_url), "WTF_CSRF_ENABLED": True})
    make_address("3511 AB", 12)
    key = make_key()
    response = csrf_app.test_client().post(
        "/api/v1/declarations", json=body(), headers=headers(key, "csrf")
    )
    assert response.status_code == 201
    with csrf_app.app_context():
        db.engine.dispose()


@pytest.fixture
def rate_limit(app: Flask) -> Iterator[None]:
    saved = app.config["API_RATE_LIMIT"], app.config["API_RATE_WINDOW_SECONDS"]
    app.config.update(API_RATE_LIMIT=3, API_RATE_WINDOW_SECONDS=3600)
    yield
    app.config.update(API_RATE_LIMIT=saved[0], API_RATE_WINDOW_SECONDS=saved[1])


@pytest.mark.usefixtures("rate_limit")
def test_rate_limit_per_key(client: FlaskClient, make_key: Callable[..., Any]) -> None:
    key, other = make_key(), make_key()
    for _ in range(3):
        assert client.get("/api/v1/declarations", headers=key.auth).status_code == 200
    limited = client.get("/api/v1/declarations", headers=key.auth)
    _is_problem(limited, 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 3600
    assert client.get("/api/v1/declarations", headers=other.auth).status_code == 200


@pytest.mark.usefixtures("rate_limit")
def test_failed_keys_are_limited_per_client_address(app: Flask, client: FlaskClient) -> None:
    wrong = {"Authorization": "Bearer mhk_wrong"}
    for _ in range(3):
        assert client.get("/api/v1/declarations", headers=wrong).status_code == 401
    _is_problem(client.get("/api/v1/declarations", headers=wrong), 429)
    with app.app_context():
        audited = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "api.auth_failed"))
            .scalars()
            .all()
        )
        assert len(audited) == 3


def test_problem_json_for_every_error_status(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    auth = key.auth
    # 400: invalid JSON, and a filing without Idempotency-Key
    bad_json = client.post(
        "/api/v1/declarations",
        data=b"{not json",
        headers={**headers(key, "j"), "Content-Type": "application/json"},
    )
    assert _is_problem(bad_json, 400)["code"] == "api.invalid_json"
    missing = client.post("/api/v1/declarations", json=body(), headers=auth)
    assert _is_problem(missing, 400)["code"] == "idempotency.required"
    # 401
    _is_problem(client.get("/api/v1/flags"), 401)
    # 403: an organisation's key on a municipal operation
    assert _is_problem(client.get("/api/v1/flags", headers=auth), 403)["code"] == (
        "api.municipal_key_required"
    )
    # 404: unknown route, unknown reference, negative id (the int converter does not match)
    _is_problem(client.get("/api/v1/nothing-here", headers=auth), 404)
    _is_problem(client.get("/api/nothing", headers=auth), 404)
    _is_problem(client.get("/api/v1/declarations/MH-2026-999999", headers=auth), 404)
    _is_problem(client.patch("/api/v1/flags/-1", json={}, headers=auth), 404)
    # 405
    not_allowed = client.delete("/api/v1/declarations", headers=auth)
    _is_problem(not_allowed, 405)
    assert "POST" in not_allowed.headers["Allow"]
    # 409: the key is still in flight
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                api_key_id=key.id,
                key="busy",
                request_hash=_hash("/api/v1/declarations", body()),
                state="in_flight",
            )
        )
        db.session.commit()
    busy = client.post("/api/v1/declarations", json=body(), headers=headers(key, "busy"))
    assert _is_problem(busy, 409)["code"] == "idempotency.in_flight"
    # 413
    big = client.post(
        "/api/v1/declarations",
        data=b"[" + b"1," * (app.config["MAX_CONTENT_LENGTH"] // 2) + b"1]",
        headers={**headers(key, "big"), "Content-Type": "application/json"},
    )
    _is_problem(big, 413)
    # 415
    form = client.post("/api/v1/declarations", data={"occupants": "3"}, headers=headers(key, "f"))
    _is_problem(form, 415)
    # 422
    invalid = client.post(
        "/api/v1/declarations",
        json=body(occupants=0, occupants_registered_brp=None),
        headers=headers(key, "i"),
    )
    errors = _is_problem(invalid, 422)["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("occupants", "occupants.range")]
    assert errors[0]["message"]


def _hash(path: str, data: dict[str, Any]) -> str:
    import json

    from portal.services.idempotency import request_hash

    return request_hash("POST", path, json.dumps(data).encode())


def test_server_errors_are_problem_json_and_release_the_key(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_address("3511 AB", 12)
    key = make_key()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    from portal.services import declarations

    monkeypatch.setattr(declarations, "issue_receipt", broken)
    failed = client.post("/api/v1/declarations", json=body(), headers=headers(key, "k"))
    problem = _is_problem(failed, 500)
    assert "boom" not in failed.get_data(as_text=True) and "Traceback" not in str(problem)
    with app.app_context():
        assert db.session.execute(select(IdempotencyRecord)).first() is None
    monkeypatch.undo()
    retried = client.post("/api/v1/declarations", json=body(), headers=headers(key, "k"))
    assert retried.status_code == 201
