"""Concurrent filings at one address are serialised by the address lock (PostgreSQL).

20 threads × 10 declarations of 1 occupant at one address whose limit is 60 (docs/security.md T1).
Every declaration is stored, the address has exactly one open flag whose total is the true total,
and the findings each filer got follow the order the lock imposed: exactly the filings after the
60th see ``over_limit``.

Sabotage (shown by hand, 2026-11-27): with ``SABOTAGE_NO_LOCK=1`` the address is read without
``FOR UPDATE``. Then concurrent filers evaluate before each other's commits, so findings stop
matching the commit order, and two filers create the flag at once and one fails on the
one-open-flag-per-address index. Run: SABOTAGE_NO_LOCK=1 TEST_DATABASE_URL=… pytest this file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Declaration, Flag, Permit, Receipt, User
from portal.services import declarations as service

THREADS = 20
PER_THREAD = 10
LIMIT = 60


@pytest.fixture
def address_with_limit(app: Flask, make_address: Callable[..., Any]) -> Any:
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("row locks need PostgreSQL (SQLite serialises all writers anyway)")
    address = make_address("3511 AB", 20, floor_area=LIMIT * 12)
    with app.app_context():
        db.session.add(
            Permit(
                address_id=address.id,
                municipality_id=address.municipality_id,
                permit_type="huisvestingsvergunning",
                max_occupants=LIMIT,
                valid_from=clock.today() - timedelta(days=1),
                valid_until=None,
            )
        )
        db.session.commit()
    return address


def test_concurrent_filings_are_all_counted_in_lock_order(
    app: Flask,
    address_with_limit: Any,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if os.environ.get("SABOTAGE_NO_LOCK"):
        original = service.lock_address

        def unlocked(address_id: int) -> Any:
            return db.session.get(service.Address, address_id)

        monkeypatch.setattr(service, "lock_address", unlocked)
        assert original is not unlocked
    users = [make_user("declarant", org=make_org()) for _ in range(THREADS)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker(user_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(PER_THREAD):
                    user = db.session.get(User, user_id)
                    service.file_declaration(
                        user,
                        DeclarationInput(
                            occupants=1, start_date=clock.today(), separate_contracts=True
                        ),
                        address_id=address_with_limit.id,
                    )
                    db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(u.id,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    total = THREADS * PER_THREAD
    with app.app_context():
        stored = db.session.execute(select(func.count(), func.sum(Declaration.occupants))).one()
        assert tuple(stored) == (total, total)
        flags = db.session.execute(select(Flag).where(Flag.status == "open")).scalars().all()
        assert len(flags) == 1
        assert flags[0].occupants == total
        assert flags[0].limit == LIMIT

        # In lock order (reference numbers are drawn after the lock), filing n saw a total of n.
        import json

        receipts = db.session.execute(select(Receipt).order_by(Receipt.id)).scalars().all()
        by_order = sorted(receipts, key=lambda r: int(r.reference.rsplit("-", 1)[1]))
        saw_over = [
            any(f["code"] == "over_limit" for f in json.loads(r.snapshot_json)["findings"])
            for r in by_order
        ]
        assert saw_over == [n > LIMIT for n in range(1, total + 1)]
