"""The database rate limiter: fixed windows shared by every worker (SQLite and PostgreSQL).

Two ``create_app()`` objects on one database stand in for two gunicorn workers: each has its own
engine and connection pool, so nothing is shared in process memory except the clock; one test
also counts from a separate OS process.

Sabotage (shown by hand on PostgreSQL): with the INSERT taken out of its SAVEPOINT, the two race
tests fail ("current transaction is aborted"): the unique violation poisons the caller's
transaction, so the retry UPDATE cannot run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from portal import clock, create_app
from portal.extensions import db
from portal.models import RateLimitWindow
from portal.services.ratelimit import KEY_MAX_LENGTH, hit, purge_rate_limits, window_start
from tests.conftest import overrides_for

ROOT = Path(__file__).resolve().parents[2]
# A worker in another process: hits ``key`` n times at MOMENT, committing each, prints the results.
CHILD = """
import json, sys
from datetime import datetime
from portal import clock, create_app
from portal.extensions import db
from portal.services.ratelimit import hit
from tests.conftest import overrides_for

url, key, n, moment = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = create_app(overrides_for(url))
with clock.freeze(datetime.fromisoformat(moment)), app.app_context():
    allowed = []
    for _ in range(n):
        allowed.append(hit(key, 30, 600).allowed)
        db.session.commit()
    db.engine.dispose()
print(json.dumps(allowed))
"""

# 10:03:20 UTC: 200 s into a 10-minute window that started at 10:00:00.
MOMENT = datetime(2026, 3, 10, 10, 3, 20, tzinfo=UTC)


@pytest.fixture
def second_app(app: Flask) -> Iterator[Flask]:
    """Another worker: a separate app object, engine and pool on the same database."""
    other = create_app(overrides_for(app.config["DATABASE_URL"]))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _hits(application: Flask, key: str) -> int:
    with application.app_context():
        total = db.session.execute(
            select(func.coalesce(func.sum(RateLimitWindow.hits), 0)).where(
                RateLimitWindow.key == key
            )
        ).scalar_one()
        db.session.rollback()
        return int(total)


def _hit_and_commit(application: Flask, key: str, limit: int, window: int) -> Any:
    with application.app_context():
        result = hit(key, limit, window)
        db.session.commit()
        return result


def test_window_start_is_the_moment_floored_to_the_window() -> None:
    assert window_start(MOMENT, 600) == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    assert window_start(MOMENT, 60) == datetime(2026, 3, 10, 10, 3, tzinfo=UTC)
    assert window_start(MOMENT, 3600) == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        window_start(MOMENT, 0)


def test_hits_up_to_the_limit_pass_and_the_next_waits_for_the_window(app: Flask) -> None:
    with clock.freeze(MOMENT):
        results = [_hit_and_commit(app, "verify:203.0.113.7", 5, 600) for _ in range(7)]
    assert [r.allowed for r in results] == [True] * 5 + [False] * 2
    assert {r.retry_after for r in results[:5]} == {0}
    assert {r.retry_after for r in results[5:]} == {400}  # 10:10:00 - 10:03:20
    assert _hits(app, "verify:203.0.113.7") == 7


def test_the_window_rolls_over_on_its_boundary(app: Flask) -> None:
    key = "verify:198.51.100.1"
    with clock.freeze(datetime(2026, 3, 10, 10, 0, 0, tzinfo=UTC)):
        assert all(_hit_and_commit(app, key, 3, 600).allowed for _ in range(3))
    with clock.freeze(datetime(2026, 3, 10, 10, 9, 59, 500000, tzinfo=UTC)):
        late = _hit_and_commit(app, key, 3, 600)
    assert (late.allowed, late.retry_after) == (False, 1)  # half a second, rounded up
    with clock.freeze(datetime(2026, 3, 10, 10, 10, 0, tzinfo=UTC)):
        fresh = [_hit_and_commit(app, key, 3, 600) for _ in range(4)]
    assert [r.allowed for r in fresh] == [True, True, True, False]
    assert fresh[-1].retry_after == 600
    with app.app_context():
        windows = db.session.execute(
            select(RateLimitWindow.window_start, RateLimitWindow.hits)
            .where(RateLimitWindow.key == key)
            .order_by(RateLimitWindow.window_start)
        ).all()
    assert [(w.astimezone(UTC).time().isoformat(), n) for w, n in windows] == [
        ("10:00:00", 4),
        ("10:10:00", 4),
    ]


def test_keys_are_counted_apart(app: Flask) -> None:
    with clock.freeze(MOMENT):
        assert all(_hit_and_commit(app, "verify:192.0.2.1", 2, 600).allowed for _ in range(2))
        assert not _hit_and_commit(app, "verify:192.0.2.1", 2, 600).allowed
        assert _hit_and_commit(app, "verify:192.0.2.2", 2, 600).allowed
        assert _hit_and_commit(app, "login:192.0.2.1", 2, 600).allowed


def test_an_overlong_key_is_stored_as_a_digest_and_still_counted(app: Flask) -> None:
    key = "verify:" + "x" * 500
    with clock.freeze(MOMENT):
        assert _hit_and_commit(app, key, 1, 600).allowed
        assert not _hit_and_commit(app, key, 1, 600).allowed
        assert _hit_and_commit(app, "verify:" + "x" * 499 + "y", 1, 600).allowed
    with app.app_context():
        keys = db.session.execute(select(RateLimitWindow.key)).scalars().all()
    assert len(keys) == 2
    assert all(k.startswith("verify:sha256:") and len(k) <= KEY_MAX_LENGTH for k in keys)


def test_hit_never_commits(app: Flask) -> None:
    with clock.freeze(MOMENT), app.app_context():
        hit("verify:192.0.2.9", 5, 600)
        hit("verify:192.0.2.9", 5, 600)
        db.session.rollback()
    assert _hits(app, "verify:192.0.2.9") == 0


def test_two_workers_share_one_count(app: Flask, second_app: Flask) -> None:
    key = "verify:203.0.113.50"
    with clock.freeze(MOMENT):
        results = [
            _hit_and_commit(app if n % 2 == 0 else second_app, key, 30, 600) for n in range(31)
        ]
    assert all(r.allowed for r in results[:30])
    assert not results[30].allowed  # the 31st, counted by the second worker
    assert _hits(app, key) == _hits(second_app, key) == 31


def test_a_worker_in_another_process_shares_the_count(app: Flask) -> None:
    """Not only two app objects in one process: a second OS process sees the same count."""
    key = "verify:203.0.113.77"
    with clock.freeze(MOMENT):
        before = [_hit_and_commit(app, key, 30, 600) for _ in range(10)]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, app.config["DATABASE_URL"], key, "21", MOMENT.isoformat()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert json.loads(child.stdout.strip().splitlines()[-1]) == [True] * 20 + [False]
    with clock.freeze(MOMENT):
        after = _hit_and_commit(app, key, 30, 600)
    assert all(r.allowed for r in before)
    assert not after.allowed
    assert _hits(app, key) == 32


def test_two_workers_creating_the_same_window_at_once_both_count(
    app: Flask, second_app: Flask
) -> None:
    """Worker 1 has inserted the window but not committed; worker 2 finds no row to update.

    On PostgreSQL worker 2's INSERT waits on the primary key, fails with a unique violation once
    worker 1 commits, rolls back its SAVEPOINT and counts with the UPDATE instead. (On SQLite
    worker 2 already waits at its UPDATE, because SQLite has one writer at a time.)
    """
    key = "verify:203.0.113.99"
    with second_app.app_context():
        engine = db.engine
    savepoint_rollbacks: list[str] = []

    def on_rollback_savepoint(_conn: Any, name: str, _context: Any) -> None:
        savepoint_rollbacks.append(name)

    event.listen(engine, "rollback_savepoint", on_rollback_savepoint)
    second: list[Any] = []
    errors: list[BaseException] = []

    def worker_two() -> None:
        try:
            second.append(_hit_and_commit(second_app, key, 5, 600))
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        with clock.freeze(MOMENT):
            with app.app_context():
                first = hit(key, 5, 600)
                thread = threading.Thread(target=worker_two)
                thread.start()
                time.sleep(0.5)
                assert thread.is_alive(), "worker 2 should wait for worker 1's uncommitted row"
                db.session.commit()
            thread.join(timeout=20)
    finally:
        event.remove(engine, "rollback_savepoint", on_rollback_savepoint)
    assert errors == []
    assert first.allowed and second and second[0].allowed
    assert _hits(app, key) == 2
    if engine.dialect.name == "postgresql":
        assert len(savepoint_rollbacks) == 1  # the unique-violation path was taken


def test_concurrent_hits_from_two_workers_lose_no_count(app: Flask, second_app: Flask) -> None:
    threads, per_thread, limit = 8, 10, 50
    key = "verify:203.0.113.200"
    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)
    lock = threading.Lock()

    def worker(application: Flask) -> None:
        try:
            with application.app_context():
                barrier.wait()
                for _ in range(per_thread):
                    allowed = hit(key, limit, 600).allowed
                    db.session.commit()
                    with lock:
                        results.append(allowed)
        except BaseException as exc:  # reported below
            errors.append(exc)

    with clock.freeze(MOMENT):
        pool = [
            threading.Thread(target=worker, args=(app if n % 2 else second_app,))
            for n in range(threads)
        ]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=60)
    assert errors == []
    assert len(results) == threads * per_thread
    assert results.count(True) == limit
    assert _hits(app, key) == threads * per_thread


def test_purge_deletes_only_windows_older_than_the_cut_off(app: Flask) -> None:
    start = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    for minutes in (0, 10, 20, 30):
        with clock.freeze(start + timedelta(minutes=minutes)):
            _hit_and_commit(app, "verify:192.0.2.3", 30, 600)
            _hit_and_commit(app, "login:192.0.2.3", 30, 600)
    with app.app_context():
        assert purge_rate_limits(start + timedelta(minutes=20)) == 4
        db.session.commit()
        assert purge_rate_limits(start + timedelta(minutes=20)) == 0
        left = db.session.execute(select(RateLimitWindow.window_start)).scalars().all()
    assert sorted({w.astimezone(UTC).strftime("%H:%M") for w in left}) == ["10:20", "10:30"]
