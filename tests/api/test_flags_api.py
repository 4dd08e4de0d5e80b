"""Municipal keys: their own municipality's flags only, worked through the inspector's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Flag, FlagEvent
from tests.api.conftest import body, headers


def _flags(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(Flag)).scalars().all()
        return {f.address.postcode: f.id for f in rows}


def test_municipal_key_sees_and_works_only_its_flags(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    zeist = make_municipality("GM0355", "Zeist")
    make_address("3511 AB", 12, municipality=utrecht)
    make_address("3701 AA", 3, municipality=zeist)
    org = make_key()
    six = {"occupants": 6, "occupants_registered_brp": None}
    client.post("/api/v1/declarations", json=body(**six), headers=headers(org, "1"))
    client.post(
        "/api/v1/declarations",
        json=body(address={"postcode": "3701 AA", "house_number": 3}, **six),
        headers=headers(org, "2"),
    )
    flags = _flags(app)
    assert set(flags) == {"3511 AB", "3701 AA"}
    inspector = make_user("inspector", municipality=utrecht)
    key = make_key(municipality=utrecht)

    listed = client.get("/api/v1/flags?status=open", headers=key.auth)
    assert listed.status_code == 200
    assert [f["address"]["postcode"] for f in listed.get_json()["items"]] == ["3511 AB"]
    assert listed.get_json()["items"][0]["reasons"]

    mine, theirs = flags["3511 AB"], flags["3701 AA"]
    foreign = client.patch(f"/api/v1/flags/{theirs}", json={"note": "x"}, headers=key.auth)
    assert foreign.status_code == 404

    # The inspector's rules: an open flag cannot be closed at once.
    early = client.patch(f"/api/v1/flags/{mine}", json={"status": "resolved"}, headers=key.auth)
    assert early.status_code == 422
    assert [(e["field"], e["code"]) for e in early.get_json()["errors"]] == [
        ("status", "flag.not_started")
    ]
    # All or nothing: the note is not kept when the status change is refused.
    mixed = client.patch(
        f"/api/v1/flags/{mine}", json={"note": "seen", "status": "bogus"}, headers=key.auth
    )
    assert mixed.status_code == 422
    with app.app_context():
        assert db.session.execute(select(FlagEvent).where(FlagEvent.kind == "note")).first() is None

    started = client.patch(
        f"/api/v1/flags/{mine}",
        json={"status": "in_progress", "assignee": inspector.id, "note": "Visit planned"},
        headers=key.auth,
    )
    assert started.status_code == 200, started.get_json()
    assert started.get_json()["status"] == "in_progress"
    assert started.get_json()["assignee"] == inspector.id

    no_outcome = client.patch(
        f"/api/v1/flags/{mine}", json={"status": "resolved"}, headers=key.auth
    )
    assert no_outcome.get_json()["errors"][0]["field"] == "outcome"
    closed = client.patch(
        f"/api/v1/flags/{mine}",
        json={"status": "resolved", "outcome": "warning"},
        headers=key.auth,
    )
    assert closed.status_code == 200 and closed.get_json()["outcome"] == "warning"

    with app.app_context():
        events = db.session.execute(
            select(FlagEvent.kind, FlagEvent.actor_user_id).where(FlagEvent.flag_id == mine)
        ).all()
        assert ("note", None) in events and ("status", None) in events
        labels = set(
            db.session.execute(
                select(AuditEvent.actor_label).where(AuditEvent.action.like("flag.%"))
            ).scalars()
        )
        assert f"api-key:{key.secret[:12]}" in labels

    assert client.get("/api/v1/flags", headers=org.auth).status_code == 403
    empty = client.patch(f"/api/v1/flags/{mine}", json={}, headers=key.auth)
    assert empty.get_json()["errors"][0]["code"] == "patch.empty"


def test_the_old_dutch_statuses_are_accepted_until_v2_and_answered_in_english(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    """Deprecated, not yet gone: in_behandeling, afgehandeld and geseponeerd still work on input
    (PATCH and the list's filter); every answer and the stored value use the English names."""
    utrecht = make_municipality("GM0344", "Utrecht")
    make_address("3511 AB", 12, municipality=utrecht)
    make_address("3511 AB", 14, municipality=utrecht)
    org = make_key()
    for number, idempotency in ((12, "1"), (14, "2")):
        client.post(
            "/api/v1/declarations",
            json=body(
                address={"postcode": "3511 AB", "house_number": number},
                occupants=6,
                occupants_registered_brp=None,
            ),
            headers=headers(org, idempotency),
        )
    key = make_key(municipality=utrecht)
    with app.app_context():
        first, second = db.session.execute(select(Flag.id).order_by(Flag.id)).scalars().all()

    for flag_id in (first, second):
        started = client.patch(
            f"/api/v1/flags/{flag_id}", json={"status": "in_behandeling"}, headers=key.auth
        )
        assert started.status_code == 200, started.get_json()
        assert started.get_json()["status"] == "in_progress"

    listed = client.get("/api/v1/flags?status=in_behandeling", headers=key.auth)
    assert listed.status_code == 200
    assert [f["status"] for f in listed.get_json()["items"]] == ["in_progress", "in_progress"]
    assert client.get("/api/v1/flags?status=in_progress", headers=key.auth).get_json() == (
        listed.get_json()
    )

    resolved = client.patch(
        f"/api/v1/flags/{first}",
        json={"status": "afgehandeld", "outcome": "warning"},
        headers=key.auth,
    )
    assert resolved.get_json()["status"] == "resolved"
    # The rules judge the mapped name: closing needs an outcome, in Dutch as in English.
    refused = client.patch(
        f"/api/v1/flags/{second}", json={"status": "geseponeerd"}, headers=key.auth
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [
        ("outcome", "flag.outcome_required")
    ]
    dismissed = client.patch(
        f"/api/v1/flags/{second}",
        json={"status": "geseponeerd", "outcome": "unfounded"},
        headers=key.auth,
    )
    assert dismissed.get_json()["status"] == "dismissed"
    with app.app_context():
        stored = db.session.execute(select(Flag.status).order_by(Flag.id)).scalars().all()
        history = db.session.execute(
            select(FlagEvent.to_status).where(FlagEvent.kind == "status").order_by(FlagEvent.id)
        ).scalars()
        assert stored == ["resolved", "dismissed"]
        assert list(history) == ["in_progress", "in_progress", "resolved", "dismissed"]
    closed = client.get("/api/v1/flags?status=closed", headers=key.auth).get_json()
    assert sorted(f["status"] for f in closed["items"]) == ["dismissed", "resolved"]


def test_the_openapi_document_marks_the_dutch_statuses_deprecated(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    flag = document["components"]["schemas"]["Flag"]["properties"]["status"]
    assert flag == {"enum": ["open", "in_progress", "resolved", "dismissed"]}
    change = document["components"]["schemas"]["FlagChange"]["properties"]["status"]["anyOf"]
    assert change[0] == {"enum": ["in_progress", "resolved", "dismissed"]}
    assert change[1]["enum"] == ["in_behandeling", "afgehandeld", "geseponeerd"]
    assert change[1]["deprecated"] is True and "v2" in change[1]["description"]
    assert "deprecated" in document["info"]["description"]
