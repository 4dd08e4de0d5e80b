"""The audit trail is append-only for the application's connection (docs/security.md T15; BIO2
8.15.02): migration 0006's trigger refuses every UPDATE and, on PostgreSQL, the DELETE of an
event younger than 365 days (SQLSTATE 42501, insufficient_privilege); an older event may be
deleted (the retention purge). SQLite refuses UPDATE.

Teeth: ``test_without_the_trigger_the_update_goes_through`` drops the trigger inside a
transaction, shows the same UPDATE then succeeds (so the tests above would notice a missing
trigger) and rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit


@pytest.fixture
def events(app: Flask) -> Iterator[dict[str, int]]:
    """A fresh event and one of two years ago (written as the app writes them)."""
    with app.app_context():
        young = audit.record("login", actor_label="young@example.nl", object_type="user")
        old = audit.record("login", actor_label="old@example.nl", object_type="user")
        old.occurred_at = clock.now() - timedelta(days=730)
        db.session.commit()
        ids = {"young": young.id, "old": old.id}
    yield ids


def _dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def test_update_is_refused(app: Flask, events: dict[str, int]) -> None:
    with app.app_context():
        for which in ("young", "old"):
            with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
                conn.execute(
                    text("UPDATE audit_events SET result = 'ok-forged' WHERE id = :id"),
                    {"id": events[which]},
                )
            assert "append-only" in str(caught.value.orig)
            if db.engine.dialect.name == "postgresql":
                assert _sqlstate(caught.value) == "42501"
        # Also through the ORM, the way application code would try it.
        event = db.session.get(AuditEvent, events["young"])
        assert event is not None
        event.detail = "changed"
        with pytest.raises(DBAPIError):
            db.session.commit()
        db.session.rollback()
        forged = db.session.execute(
            text(
                "SELECT count(*) FROM audit_events WHERE result = 'ok-forged' OR detail = 'changed'"
            )
        ).scalar_one()
        assert forged == 0


def test_young_events_cannot_be_deleted_old_ones_can(app: Flask, events: dict[str, int]) -> None:
    if _dialect(app) != "postgresql":
        pytest.skip("the DELETE rule is PostgreSQL's (SQLite refuses UPDATE only)")
    with app.app_context():
        with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events["young"]})
        assert _sqlstate(caught.value) == "42501"
        with db.engine.begin() as conn:
            deleted = conn.execute(
                text("DELETE FROM audit_events WHERE id = :id"), {"id": events["old"]}
            ).rowcount
        assert deleted == 1
        left = db.session.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars().all()
        assert left == [events["young"]]


def test_without_the_trigger_the_update_goes_through(app: Flask, events: dict[str, int]) -> None:
    if _dialect(app) != "postgresql":
        pytest.skip("DDL in a transaction that is rolled back: PostgreSQL")
    with app.app_context():
        conn = db.engine.connect()
        transaction = conn.begin()
        try:
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
            changed = conn.execute(
                text("UPDATE audit_events SET result = 'ok-forged' WHERE id = :id"),
                {"id": events["young"]},
            ).rowcount
            assert changed == 1  # the protection is the trigger: without it the UPDATE works
            deleted = conn.execute(
                text("DELETE FROM audit_events WHERE id = :id"), {"id": events["young"]}
            ).rowcount
            assert deleted == 1
        finally:
            transaction.rollback()
            conn.close()
        # Rolled back: the trigger is there again and refuses.
        with pytest.raises(DBAPIError) as caught, db.engine.begin() as again:
            again.execute(
                text("UPDATE audit_events SET result = 'x' WHERE id = :id"),
                {"id": events["young"]},
            )
        assert _sqlstate(caught.value) == "42501"
