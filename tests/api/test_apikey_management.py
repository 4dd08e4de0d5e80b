"""Creating, listing and revoking keys: on the command line and on the admins' pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiKey, AuditEvent
from tests.api.conftest import body
from tests.conftest import login


def _secret(text: str) -> str:
    match = re.search(r"mhk_[A-Za-z0-9_-]{43}", text)
    assert match, text
    return match.group(0)


def test_cli_create_use_list_revoke(
    app: Flask,
    client: FlaskClient,
    runner: Any,
    make_org: Callable[..., Any],
    make_municipality: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    org = make_org(kvk="12345678")
    make_municipality("GM0344", "Utrecht")
    make_address("3511 AB", 12)
    result = runner.invoke(args=["apikeys", "create", "--org", "12345678", "--name", "ERP"])
    assert result.exit_code == 0, result.output
    secret = _secret(result.output)
    auth = {"Authorization": f"Bearer {secret}"}
    filed = client.post(
        "/api/v1/declarations", json=body(), headers={**auth, "Idempotency-Key": "cli"}
    )
    assert filed.status_code == 201

    municipal = runner.invoke(args=["apikeys", "create", "--municipality", "gm0344"])
    assert municipal.exit_code == 0, municipal.output
    assert (
        client.get(
            "/api/v1/flags", headers={"Authorization": f"Bearer {_secret(municipal.output)}"}
        ).status_code
        == 200
    )

    listed = runner.invoke(args=["apikeys", "list", "--org", "12345678"])
    assert secret[:12] in listed.output and "ERP" in listed.output and "active" in listed.output
    assert secret not in listed.output

    revoked = runner.invoke(args=["apikeys", "revoke", secret[:12]])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/declarations", headers=auth).status_code == 401
    again = runner.invoke(args=["apikeys", "revoke", secret[:12]])
    assert again.exit_code == 1

    for bad in (
        ["apikeys", "create", "--org", "99999999"],
        ["apikeys", "create"],
        ["apikeys", "create", "--org", "12345678", "--municipality", "GM0344"],
        ["apikeys", "create", "--municipality", "GM9999"],
    ):
        assert runner.invoke(args=bad).exit_code != 0
    with app.app_context():
        assert (
            db.session.execute(select(ApiKey).where(ApiKey.organisation_id == org.id))
            .scalar_one()
            .revoked_at
            is not None
        )


def test_org_admin_creates_sees_once_and_revokes(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    admin = login_as("org_admin")
    page = client.get("/organisatie/api-sleutels")
    assert page.status_code == 200
    assert "/organisatie/api-sleutels" in client.get("/organisatie/").get_data(as_text=True)

    empty = client.post("/organisatie/api-sleutels", data={"name": "  "})
    assert empty.status_code == 200 and "error-summary" in empty.get_data(as_text=True)

    created = client.post("/organisatie/api-sleutels", data={"name": "Planning"})
    assert created.status_code == 200
    secret = _secret(created.get_data(as_text=True))
    assert created.headers["Cache-Control"] == "no-store"
    shown = client.get("/organisatie/api-sleutels").get_data(as_text=True)
    assert secret not in shown and secret[:12] in shown and "Planning" in shown
    assert 'scope="col"' in shown
    assert (
        client.get(
            "/api/v1/declarations", headers={"Authorization": f"Bearer {secret}"}
        ).status_code
        == 200
    )
    with app.app_context():
        key = db.session.execute(select(ApiKey)).scalar_one()
        assert key.organisation_id == admin.organisation_id
        assert key.created_by_user_id == admin.id
        key_id = key.id
    response = client.post(f"/organisatie/api-sleutels/{key_id}/intrekken")
    assert response.status_code == 302
    assert (
        client.get(
            "/api/v1/declarations", headers={"Authorization": f"Bearer {secret}"}
        ).status_code
        == 401
    )
    with app.app_context():
        actions = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_user_id).where(
                AuditEvent.action.like("apikey.%")
            )
        ).all()
        assert sorted(actions) == [("apikey.create", admin.id), ("apikey.revoke", admin.id)]


def test_declarants_and_other_organisations_cannot_manage_keys(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_user: Callable[..., Any],
    make_key: Callable[..., Any],
) -> None:
    foreign = make_key()
    login_as("declarant")
    assert client.get("/organisatie/api-sleutels").status_code == 404
    assert "/organisatie/api-sleutels" not in client.get("/organisatie/").get_data(as_text=True)
    admin = app.test_client()
    login(admin, make_user("org_admin"))
    assert admin.post(f"/organisatie/api-sleutels/{foreign.id}/intrekken").status_code == 404
    assert client.get("/api/v1/declarations", headers=foreign.auth).status_code == 200


def test_municipal_admin_manages_municipal_keys(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    login_as("municipal_admin", municipality=utrecht)
    assert "/gemeente/api-sleutels" in client.get("/gemeente/").get_data(as_text=True)
    created = client.post("/gemeente/api-sleutels", data={"name": "Zaaksysteem"})
    secret = _secret(created.get_data(as_text=True))
    listed = client.get("/api/v1/flags", headers=headers_for(secret))
    assert listed.status_code == 200
    with app.app_context():
        key = db.session.execute(select(ApiKey)).scalar_one()
        assert key.municipality_id == utrecht.id and key.organisation_id is None


def headers_for(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
