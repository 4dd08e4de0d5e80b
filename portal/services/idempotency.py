"""Idempotency keys of the API (service layer; docs/security.md T3, IETF idempotency-key draft).

Per API key, one record per ``Idempotency-Key``. The caller claims the key and COMMITS the
in-flight record before doing the work, so a concurrent duplicate runs into the unique
constraint and is told 409 instead of filing twice. The final response is stored in the same
transaction as the filing, so a filing never exists without its stored response and a crash
leaves either both or neither. A repeat with the same request replays the stored response; a
repeat with another request gets 422. A request that ended in a server error releases its key;
a claim still in flight after ``stale_after()`` (its worker was killed: far past gunicorn's 30 s
timeout) is taken over by the next identical request, so a crash cannot block a key for ever.
Nothing here commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import delete, select, update

from portal import clock
from portal.extensions import db
from portal.models import IdempotencyRecord
from portal.services.inserts import insert_unless_present

KEY_MAX_LENGTH = 255
STALE_AFTER = timedelta(minutes=5)  # the default of the IDEMPOTENCY_STALE_SECONDS setting

ClaimState = Literal["new", "replay", "in_flight", "mismatch"]


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    record_id: int | None = None
    status: int | None = None
    headers: dict[str, str] | None = None
    body: str | None = None


def request_hash(method: str, path: str, body: bytes) -> str:
    """SHA-256 over method, path and the body; a JSON body is canonicalised first (key order
    and whitespace do not make a request different)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (ValueError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode("utf-8"), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _existing(api_key_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.execute(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _judge(record: IdempotencyRecord, digest: str) -> Claim:
    if record.request_hash != digest:
        return Claim("mismatch", record.id)
    if record.state != "done" or record.response_status is None:
        return Claim("in_flight", record.id)
    return Claim(
        "replay",
        record.id,
        status=record.response_status,
        headers=dict(json.loads(record.response_headers or "{}")),
        body=record.response_body or "",
    )


def claim(api_key_id: int, key: str, digest: str) -> Claim:
    """Claim ``key`` for this request: "new" (an in-flight record was added; commit it before
    the work), or what to answer instead ("replay", "in_flight", "mismatch").

    One ``INSERT … ON CONFLICT DO NOTHING`` claims a fresh key; only a key seen before is read.
    """
    table = IdempotencyRecord.__table__
    record_id = insert_unless_present(
        table,
        {
            "api_key_id": api_key_id,
            "key": key,
            "request_hash": digest,
            "state": "in_flight",
            "created_at": clock.now(),
        },
        table.c.id,
    )
    if record_id is not None:
        return Claim("new", int(record_id))
    record = _existing(api_key_id, key)
    if record is None:  # pragma: no cover - released between our insert and this read
        return Claim("in_flight")
    judged = _judge(record, digest)
    if judged.state == "in_flight" and _take_over(record.id):
        return Claim("new", record.id)
    return judged


def stale_after() -> timedelta:
    """How long a claim may stay in flight before another request takes it over (the setting
    IDEMPOTENCY_STALE_SECONDS; it must stay above gunicorn's --timeout)."""
    seconds = current_app.config.get("IDEMPOTENCY_STALE_SECONDS")
    return STALE_AFTER if seconds is None else timedelta(seconds=int(seconds))


def _take_over(record_id: int) -> bool:
    """Claim a stale in-flight record afresh; only one of several requests at once wins."""
    now = clock.now()
    taken = db.session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == record_id,
            IdempotencyRecord.state == "in_flight",
            IdempotencyRecord.created_at < now - stale_after(),
        )
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(taken, "rowcount", 0) == 1)


def complete(record_id: int, status: int, headers: dict[str, str], body: str) -> None:
    """Store the final response (in the transaction of the work itself)."""
    db.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            state="done",
            response_status=status,
            response_headers=json.dumps(headers, sort_keys=True),
            response_body=body,
            completed_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )


KEEP_FOR = timedelta(hours=24)


def purge_old_records() -> int:
    """Forget the responses of keys older than ``KEEP_FOR`` (a retry after a day files anew, as
    with other idempotency-key APIs; docs/security.md §6: 24 hours)."""
    result = db.session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.created_at < clock.now() - KEEP_FOR)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(record_id: int) -> None:
    """Forget an in-flight claim (the work failed with a server error): a retry may run."""
    db.session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id, IdempotencyRecord.state == "in_flight")
        .execution_options(synchronize_session=False)
    )
