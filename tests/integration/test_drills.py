"""The drills' judging helpers (drills/common.py): they must fail on a mismatch.

The drills themselves (make drills: the T2 crash drill and the T17 restore drill) run minutes
against PostgreSQL and gunicorn and are not part of the normal suite; these tests show that the
parts that decide pass or fail cannot pass what they should catch, and that the crash drill's
worker lookup finds real child processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from drills.common import (
    Check,
    at_least,
    at_most,
    children_of,
    compare_snapshots,
    exact,
    judge,
    report,
)
from portal import clock
from portal.extensions import db

SNAPSHOT = {
    "declarations": (10_006, "5d41402abc4b2a76b9719d911017c592"),
    "receipts": (10_006, "7d793037a0760186574b0282f2f435e7"),
    "alembic_version": (1, "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
}


def test_identical_snapshots_have_no_differences() -> None:
    assert compare_snapshots(SNAPSHOT, dict(SNAPSHOT)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"declarations": (10_005, SNAPSHOT["declarations"][1])}, "10006 rows before, 10005"),
        ({"receipts": (10_006, "0" * 32)}, "content checksum differs"),
        ({"flags": (0, "d41d8cd98f00b204e9800998ecf8427e")}, "flags: not in the source"),
    ],
)
def test_a_changed_table_is_a_difference(change: dict, expected: str) -> None:
    after = {**SNAPSHOT, **change}
    problems = compare_snapshots(SNAPSHOT, after)
    assert len(problems) == 1 and expected in problems[0]


def test_a_table_lost_in_the_restore_is_a_difference() -> None:
    after = {k: v for k, v in SNAPSHOT.items() if k != "receipts"}
    assert compare_snapshots(SNAPSHOT, after) == ["receipts: missing after restore"]


def test_judge_returns_exactly_the_failed_criteria() -> None:
    checks = [
        at_least("kills delivered", 73, 50),
        exact("declarations", 1000, 1000),
        exact("declarations without exactly one receipt", 1, 0),
        at_most("restore seconds (RTO)", 901.0, 900.0),
        at_least("kills delivered (too few)", 49, 50),
    ]
    failed = judge(checks)
    assert [c.name for c in failed] == [
        "declarations without exactly one receipt",
        "restore seconds (RTO)",
        "kills delivered (too few)",
    ]
    assert judge([c for c in checks if c.ok]) == []


def test_report_exits_non_zero_on_a_failed_criterion(capsys: pytest.CaptureFixture[str]) -> None:
    assert report("drill", [exact("duplicates", 0, 0)], {"kills": 73}) == 0
    assert report("drill", [exact("duplicates", 3, 0)], {"kills": 73}) == 1
    out = capsys.readouterr().out
    assert "drill: PASSED" in out and "drill: FAILED (1 criteria)" in out


@pytest.mark.parametrize(
    ("checks", "status"),
    [
        ([exact("declarations without exactly one receipt", 2, 0)], 0),
        ([exact("duplicates", 1, 0), exact("declarations", 201, 200)], 0),
        ([exact("declarations", 201, 200)], 1),  # failed, but not for the sabotage's reason
        ([exact("duplicates", 0, 0), exact("declarations without exactly one receipt", 0, 0)], 1),
    ],
)
def test_a_sabotaged_run_passes_only_when_the_partial_writes_are_caught(
    checks: list[Check], status: int
) -> None:
    from drills.crash import expect_partial_writes

    assert expect_partial_writes(checks) == status


def test_check_records_what_was_measured() -> None:
    assert exact("x", 2, 1) == Check("x", 2, "== 1", False)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield child
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (Linux)")
def test_children_of_finds_the_workers_to_kill(sleeper: subprocess.Popen[bytes]) -> None:
    assert sleeper.pid in children_of(os.getpid())
    assert children_of(sleeper.pid) == []


# --- the crash drill's database checks, on a small real filing set ------------------------------


def _file_through_the_api(app: Flask, client: FlaskClient) -> tuple[dict[str, Any], dict]:
    """Seed as the crash drill does, then file 4 + 4 declarations through the API (a small
    address: its 2nd filing opens a flag, the 3rd and 4th escalate it)."""
    from drills.crash import Outcome, seed_app

    seeded = seed_app(app)
    large, small = seeded["bag_ids"][0], seeded["bag_ids"][1]
    seeded["expected_flagged"] = {small}
    outcomes = {}
    for n, bag_id in enumerate([large, small] * 4):
        key = f"drill-test-{n}"
        answer = client.post(
            "/api/v1/declarations",
            json={
                "bag_id": bag_id,
                "occupants": 1,
                "start_date": clock.today().isoformat(),
                "separate_contracts": True,
            },
            headers={"Authorization": f"Bearer {seeded['secret']}", "Idempotency-Key": key},
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        outcomes[key] = Outcome(status=201, attempts=1, reference=answer.get_json()["reference"])
    return seeded, outcomes


def _failed(database_url: str, seeded: dict[str, Any], outcomes: dict) -> list[str]:
    from drills.crash import database_checks

    checks, _figures = database_checks(database_url, seeded, outcomes, 8)
    return [c.name for c in judge(checks)]


def test_crash_checks_pass_on_whole_filings(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    seeded, outcomes = _file_through_the_api(app, client)
    assert _failed(database_url, seeded, outcomes) == []


def test_crash_checks_catch_a_declaration_without_its_receipt(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    seeded, outcomes = _file_through_the_api(app, client)
    with app.app_context():
        db.session.execute(text("DELETE FROM receipts WHERE id = (SELECT max(id) FROM receipts)"))
        db.session.commit()
    assert _failed(database_url, seeded, outcomes) == ["declarations without exactly one receipt"]


def test_crash_checks_catch_a_lost_alert_and_a_claim_left_in_flight(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    seeded, outcomes = _file_through_the_api(app, client)
    with app.app_context():
        db.session.execute(
            text(
                "DELETE FROM outbox_messages WHERE id = "
                "(SELECT max(id) FROM outbox_messages WHERE kind = 'flag_alert')"
            )
        )
        db.session.execute(
            text(
                "UPDATE idempotency_records SET state = 'in_flight' "
                "WHERE id = (SELECT min(id) FROM idempotency_records)"
            )
        )
        db.session.commit()
    assert _failed(database_url, seeded, outcomes) == [
        "finished idempotency records",
        "claims left in flight",
        "duplicates",  # its declaration is no longer named by a stored response
        "(flag, inspector) pairs without exactly one alert",
    ]


def test_crash_checks_catch_a_lost_digest_line(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    """The escalations held back from immediate alerts (docs/rules.md §1.9) leave a digest line
    in the same transaction; a missing one is caught."""
    seeded, outcomes = _file_through_the_api(app, client)
    with app.app_context():
        db.session.execute(
            text(
                "DELETE FROM alert_digest_lines WHERE id = (SELECT max(id) FROM alert_digest_lines)"
            )
        )
        db.session.commit()
    assert _failed(database_url, seeded, outcomes) == [
        "(flag, inspector) pairs without their digest line"
    ]


def test_crash_checks_catch_a_duplicate_filing(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    seeded, outcomes = _file_through_the_api(app, client)
    # A client whose key was filed twice: the second declaration has no stored response.
    answer = client.post(
        "/api/v1/declarations",
        json={
            "bag_id": seeded["bag_ids"][0],
            "occupants": 1,
            "start_date": clock.today().isoformat(),
            "separate_contracts": True,
        },
        headers={"Authorization": f"Bearer {seeded['secret']}", "Idempotency-Key": "other"},
    )
    assert answer.status_code == 201
    with app.app_context():
        db.session.execute(text("DELETE FROM idempotency_records WHERE key = 'other'"))
        db.session.commit()
    failed = _failed(database_url, seeded, outcomes)
    assert "duplicates" in failed and "declarations (all)" in failed


def test_the_stale_claim_age_is_a_setting(app: Flask, client: FlaskClient) -> None:
    """IDEMPOTENCY_STALE_SECONDS decides when a claim left by a killed worker is taken over
    (the crash drill runs with 15 s; production keeps 300 s)."""
    from datetime import timedelta

    from drills.crash import seed_app
    from portal.models import IdempotencyRecord
    from portal.services.idempotency import request_hash

    seeded = seed_app(app)
    data = {
        "bag_id": seeded["bag_ids"][0],
        "occupants": 1,
        "start_date": clock.today().isoformat(),
        "separate_contracts": True,
    }
    raw = json.dumps(data).encode()
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                api_key_id=seeded["api_key_id"],
                key="orphan",
                request_hash=request_hash("POST", "/api/v1/declarations", raw),
                created_at=clock.now() - timedelta(seconds=20),
            )
        )
        db.session.commit()
    auth = {"Authorization": f"Bearer {seeded['secret']}", "Idempotency-Key": "orphan"}
    post = {"data": raw, "content_type": "application/json", "headers": auth}
    assert app.config["IDEMPOTENCY_STALE_SECONDS"] == 300
    assert client.post("/api/v1/declarations", **post).status_code == 409
    app.config["IDEMPOTENCY_STALE_SECONDS"] = 15
    try:
        assert client.post("/api/v1/declarations", **post).status_code == 201
    finally:
        app.config["IDEMPOTENCY_STALE_SECONDS"] = 300
