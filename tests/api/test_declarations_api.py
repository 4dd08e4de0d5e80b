"""The API as a new user meets it: file, replay, amend, end, fetch the receipt; tenants apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Declaration, IdempotencyRecord
from tests.api.conftest import body, headers
from tests.helpers import count


def test_file_replay_amend_end_and_receipt(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address("3511 AB", 12, floor_area=100)
    key = make_key()

    first = client.post("/api/v1/declarations", json=body(), headers=headers(key, "k-1"))
    assert first.status_code == 201, first.get_json()
    filed = first.get_json()
    reference = filed["reference"]
    assert first.headers["Location"] == f"/api/v1/declarations/{reference}"
    assert filed["address"]["bag_id"] == address.nummeraanduiding_id
    assert filed["occupants"] == 3 and filed["status"] == "active"
    assert set(filed["receipt"]) == {"verification_code", "sha256", "pdf_url"}
    assert filed["findings"] == []

    replay = client.post("/api/v1/declarations", json=body(), headers=headers(key, "k-1"))
    assert replay.status_code == 201
    assert replay.get_json() == filed
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert count(app, Declaration) == 1

    amended = client.post(
        f"/api/v1/declarations/{reference}/amendments",
        json={"occupants": 6, "effective_date": clock.today().isoformat()},
        headers=headers(key, "k-2"),
    )
    assert amended.status_code == 201, amended.get_json()
    amendment = amended.get_json()
    assert amendment["kind"] == "amendment" and amendment["supersedes"] == reference
    assert [f["code"] for f in amendment["findings"]] == ["permit_required"]
    finding = amendment["findings"][0]
    assert finding["severity"] and finding["message"] and finding["limit"] == 4

    # The original is now superseded: amending it again is refused as the form refuses it.
    again = client.post(
        f"/api/v1/declarations/{reference}/amendments",
        json={"occupants": 5, "effective_date": clock.today().isoformat()},
        headers=headers(key, "k-3"),
    )
    assert again.status_code == 422
    assert again.get_json()["errors"][0]["code"] == "declaration.superseded"

    ended = client.post(
        f"/api/v1/declarations/{amendment['reference']}/end",
        json={"end_date": clock.today().isoformat(), "reason": "returned_home"},
        headers=headers(key, "k-4"),
    )
    assert ended.status_code == 201, ended.get_json()
    end = ended.get_json()
    assert end["kind"] == "end" and end["end_reason"] == "returned_home"

    shown = client.get(f"/api/v1/declarations/{reference}", headers=key.auth).get_json()
    assert shown["latest_reference"] == end["reference"]

    pdf = client.get(end["receipt"]["pdf_url"], headers=key.auth)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")

    listed = client.get("/api/v1/declarations?status=all", headers=key.auth).get_json()
    assert [d["reference"] for d in listed["items"]] == [end["reference"]]
    assert listed["total"] == 1

    with app.app_context():
        filings = db.session.execute(select(Declaration)).scalars().all()
        assert len(filings) == 3
        assert all(d.api_key_id == key.id and d.filed_by_user_id is None for d in filings)
        labels = set(
            db.session.execute(
                select(AuditEvent.actor_label).where(AuditEvent.action.like("declaration.%"))
            ).scalars()
        )
        assert labels == {f"api-key:{key.secret[:12]}"}
        assert count(app, IdempotencyRecord) == 4


def test_file_by_bag_id(
    client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    address = make_address("3511 AB", 12)
    key = make_key()
    data = body(bag_id=address.nummeraanduiding_id)
    del data["address"]
    response = client.post("/api/v1/declarations", json=data, headers=headers(key, "b"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["address"]["postcode"] == "3511 AB"


def test_another_organisations_declaration_is_404(
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    make_address("3511 AB", 12)
    mine, theirs = make_key(), make_key()
    filed = client.post("/api/v1/declarations", json=body(), headers=headers(theirs, "x"))
    reference = filed.get_json()["reference"]

    for path in (f"/api/v1/declarations/{reference}", f"/api/v1/receipts/{reference}.pdf"):
        response = client.get(path, headers=mine.auth)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    amend = client.post(
        f"/api/v1/declarations/{reference}/amendments",
        json={"occupants": 2, "effective_date": clock.today().isoformat()},
        headers=headers(mine, "y"),
    )
    assert amend.status_code == 404
    listed = client.get("/api/v1/declarations?status=all", headers=mine.auth).get_json()
    assert listed["items"] == [] and listed["total"] == 0
    assert client.get(f"/api/v1/declarations/{reference}", headers=theirs.auth).status_code == 200


def test_municipal_key_reads_its_municipality_and_cannot_file(
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    zeist = make_municipality("GM0355", "Zeist")
    make_address("3511 AB", 12, municipality=utrecht)
    make_address("3701 AA", 3, municipality=zeist)
    org = make_key()
    client.post("/api/v1/declarations", json=body(), headers=headers(org, "1"))
    client.post(
        "/api/v1/declarations",
        json=body(address={"postcode": "3701AA", "house_number": 3}),
        headers=headers(org, "2"),
    )
    municipal = make_key(municipality=utrecht)
    listed = client.get("/api/v1/declarations", headers=municipal.auth).get_json()
    assert [d["municipality"] for d in listed["items"]] == ["GM0344"]
    refused = client.post("/api/v1/declarations", json=body(), headers=headers(municipal, "3"))
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "api.organisation_key_required"
    filtered = client.get("/api/v1/declarations?municipality=GM0355", headers=org.auth).get_json()
    assert [d["municipality"] for d in filtered["items"]] == ["GM0355"]


def test_address_lookup_lists_candidates(
    client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12, letter="A")
    make_address("3511 AB", 12, letter="B")
    key = make_key()
    found = client.get(
        "/api/v1/addresses?postcode=3511ab&house_number=12", headers=key.auth
    ).get_json()
    assert found["status"] == "choose"
    assert [c["house_letter"] for c in found["candidates"]] == ["A", "B"]
    one = client.get(
        "/api/v1/addresses?postcode=3511ab&house_number=12&house_letter=b", headers=key.auth
    ).get_json()
    assert one["status"] == "found" and len(one["candidates"]) == 1
    bad = client.get("/api/v1/addresses?postcode=0000AA&house_number=x", headers=key.auth)
    assert bad.status_code == 422
    assert {e["field"]: e["code"] for e in bad.get_json()["errors"]} == {
        "postcode": "postcode.leading_zero",
        "house_number": "house_number.format",
    }
    # Filing at an ambiguous number (letter and addition left out) says so and names the
    # candidates; with both null the body names the plain 12, which the register lacks.
    open_address = {"postcode": "3511 AB", "house_number": 12}
    response = client.post(
        "/api/v1/declarations", json=body(address=open_address), headers=headers(key, "a")
    )
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert error["code"] == "address.ambiguous" and "12A" in error["message"]
    response = client.post("/api/v1/declarations", json=body(), headers=headers(key, "b"))
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert error["code"] == "address.not_in_register" and "12B" in error["message"]


def test_list_filters_are_checked(client: FlaskClient, make_key: Callable[..., Any]) -> None:
    key = make_key()
    response = client.get(
        "/api/v1/declarations?status=bogus&municipality=GM9999&page=0", headers=key.auth
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {
        "status",
        "municipality",
        "page",
    }


def test_future_start_is_future(
    client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    later = (clock.today() + timedelta(days=10)).isoformat()
    response = client.post(
        "/api/v1/declarations", json=body(start_date=later), headers=headers(key, "f")
    )
    assert response.get_json()["status"] == "future"
