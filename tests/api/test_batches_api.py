"""POST /batches: the upload's checks and filing, as JSON or CSV; all or nothing; dry runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.models import Batch, Declaration
from tests.api.conftest import body, headers
from tests.helpers import count


def test_json_batch_dry_run_then_filed(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    second = make_address("3511 AB", 14)
    key = make_key()
    by_bag = body(bag_id=second.nummeraanduiding_id)
    del by_bag["address"]
    items = [body(), by_bag]

    dry = client.post("/api/v1/batches?dry_run=true", json=items, headers=key.auth)
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json()["valid"] == 2 and dry.get_json()["reference"] is None
    assert count(app, Declaration) == 0

    filed = client.post("/api/v1/batches", json=items, headers=headers(key, "batch-1"))
    assert filed.status_code == 201, filed.get_json()
    result = filed.get_json()
    assert len(result["references"]) == 2
    assert [r["status"] for r in result["rows"]] == ["ok", "ok"]
    assert [r["reference"] for r in result["rows"]] == result["references"]
    assert client.get(result["receipt"]["pdf_url"], headers=key.auth).status_code == 200
    again = client.post("/api/v1/batches", json=items, headers=headers(key, "batch-1"))
    assert again.get_json() == result
    assert count(app, Declaration) == 2 and count(app, Batch) == 1


def test_a_bad_row_files_nothing_and_names_the_row(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    items = [body(), body(occupants=0, occupants_registered_brp=None)]
    response = client.post("/api/v1/batches", json=items, headers=headers(key, "bad"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert [(r["line"], r["status"]) for r in problem["rows"]] == [(1, "ok"), (2, "invalid")]
    assert problem["errors"][0]["field"] == "2.occupants"
    assert problem["errors"][0]["code"] == "occupants.range"
    assert count(app, Declaration) == 0


def test_csv_batch(
    app: Flask, client: FlaskClient, make_key: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    today = clock.today().strftime("%d-%m-%Y")
    csv = (
        "postcode;huisnummer;aantal_bewoners;startdatum;aparte_contracten\n"
        f"3511 AB;12;3;{today};ja\n"
    ).encode()
    response = client.post(
        "/api/v1/batches",
        data=csv,
        headers={**headers(key, "csv"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["references"]) == 1
    broken = client.post(
        "/api/v1/batches?dry_run=true",
        data=b"nothing;useful\n1;2\n",
        headers={**key.auth, "Content-Type": "text/csv"},
    )
    assert broken.status_code == 422
    assert broken.get_json()["errors"][0]["code"] == "batch.header"


def test_batches_need_an_organisation_key_and_an_idempotency_key(
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    municipal = make_key(municipality=make_municipality())
    org = make_key()
    refused = client.post("/api/v1/batches?dry_run=true", json=[body()], headers=municipal.auth)
    assert refused.status_code == 403
    missing = client.post("/api/v1/batches", json=[body()], headers=org.auth)
    assert missing.status_code == 400 and missing.get_json()["code"] == "idempotency.required"
    wrong_type = client.post(
        "/api/v1/batches?dry_run=true",
        data=b"x",
        headers={**org.auth, "Content-Type": "application/xml"},
    )
    assert wrong_type.status_code == 415
