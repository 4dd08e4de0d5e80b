"""The daily job clears what has outlived its use: batch uploads never filed nor discarded, and
the stored responses of idempotency keys, both after 24 hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, BatchUpload, IdempotencyRecord


def test_daily_run_removes_uploads_and_idempotency_records_older_than_a_day(
    app: Flask, ctx: Flask, runner: Any, make_user: Callable[..., Any]
) -> None:
    user = make_user("declarant")
    key = ApiKey(
        name="test", prefix="mhk_test", key_hash="0" * 64, organisation_id=user.organisation_id
    )
    db.session.add(key)
    db.session.flush()
    now = clock.now()
    for name, age in (("old", timedelta(hours=25)), ("new", timedelta(hours=23))):
        db.session.add(
            BatchUpload(
                token=name,
                organisation_id=user.organisation_id,
                user_id=user.id,
                content=b"postcode\r\n",
                created_at=now - age,
            )
        )
        db.session.add(
            IdempotencyRecord(
                api_key_id=key.id, key=name, request_hash="0" * 64, created_at=now - age
            )
        )
    db.session.commit()

    result = runner.invoke(args=["daily", "run"])
    assert result.exit_code == 0, result.output
    assert "removed: 1 abandoned uploads (> 24 h), 1 idempotency records (> 24 h)" in result.output
    db.session.expire_all()
    assert db.session.execute(select(BatchUpload.token)).scalars().all() == ["new"]
    assert db.session.execute(select(IdempotencyRecord.key)).scalars().all() == ["new"]
    again = runner.invoke(args=["daily", "run"])
    assert "removed: 0 abandoned uploads (> 24 h), 0 idempotency records (> 24 h)" in again.output
