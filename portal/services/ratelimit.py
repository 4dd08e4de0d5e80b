"""Rate limits that hold across every gunicorn worker (service layer).

A fixed-window counter per key, kept in ``rate_limit_windows`` rather than in process memory, so
four workers share one count (docs/security.md §5, T10/T18). The window is ``now``
floored to a multiple of ``window_seconds`` since the Unix epoch, so every worker computes the
same window for the same moment.

The counter is written with a portable upsert: ``UPDATE … SET hits = hits + 1`` and, when no row
exists yet, an ``INSERT`` inside a SAVEPOINT. If another worker inserted the same row in the
meantime (a unique violation on PostgreSQL), the SAVEPOINT is rolled back and the ``UPDATE`` runs
again, without losing the caller's transaction. On PostgreSQL the ``UPDATE`` row lock serialises
concurrent hits until the caller commits, so commit soon after ``hit`` (the views commit at once).
Like every service, this module never commits.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.extensions import db
from portal.models import RateLimitWindow

KEY_MAX_LENGTH = 120  # rate_limit_windows.key is String(120)


@dataclass(frozen=True)
class RateLimitResult:
    """Whether this hit is within the limit and, if not, how many seconds until the next window."""

    allowed: bool
    retry_after: int


def window_start(moment: datetime, window_seconds: int) -> datetime:
    """``moment`` floored to a multiple of ``window_seconds`` since the epoch (UTC)."""
    if window_seconds < 1:
        raise ValueError("window_seconds must be at least 1")
    seconds = math.floor(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % window_seconds, UTC)


def _stored_key(key: str) -> str:
    """The key as stored: a key longer than the column is replaced by a digest of itself."""
    if len(key) <= KEY_MAX_LENGTH:
        return key
    prefix = key.split(":", 1)[0][:40]
    return f"{prefix}:sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


def _increment(key: str, start: datetime) -> int | None:
    """Add one hit to an existing window; its new count, or None when the row does not exist."""
    where = (RateLimitWindow.key == key, RateLimitWindow.window_start == start)
    stmt = (
        update(RateLimitWindow)
        .where(*where)
        .values(hits=RateLimitWindow.hits + 1)
        .execution_options(synchronize_session=False)
    )
    if db.session.get_bind().dialect.update_returning:
        hits = db.session.execute(stmt.returning(RateLimitWindow.hits)).scalar_one_or_none()
        return None if hits is None else int(hits)
    if db.session.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
        return None
    return int(db.session.execute(select(RateLimitWindow.hits).where(*where)).scalar_one())


def hit(key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one hit of ``key``; allowed while the window holds at most ``limit`` hits."""
    now = clock.now()
    start = window_start(now, window_seconds)
    stored = _stored_key(key)
    hits = _increment(stored, start)
    if hits is None:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(RateLimitWindow).values(key=stored, window_start=start, hits=1)
                )
            hits = 1
        except IntegrityError:
            # Another worker created the window between our UPDATE and INSERT: count on it.
            hits = _increment(stored, start)
            if hits is None:  # pragma: no cover - the row was there a moment ago
                raise
    if hits <= limit:
        return RateLimitResult(allowed=True, retry_after=0)
    remaining = (start + timedelta(seconds=window_seconds) - now).total_seconds()
    return RateLimitResult(allowed=False, retry_after=max(1, math.ceil(remaining)))


def purge_rate_limits(older_than: datetime) -> int:
    """Delete the windows that started before ``older_than``; how many rows went."""
    result = db.session.execute(
        delete(RateLimitWindow)
        .where(RateLimitWindow.window_start < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def recent_hits(key: str, window_seconds: int) -> tuple[int, int]:
    """The hits of ``key`` in the previous window and in the current one (read only)."""
    start = window_start(clock.now(), window_seconds)
    previous = start - timedelta(seconds=window_seconds)
    rows = db.session.execute(
        select(RateLimitWindow.window_start, RateLimitWindow.hits).where(
            RateLimitWindow.key == _stored_key(key),
            RateLimitWindow.window_start.in_([previous, start]),
        )
    ).all()
    counts = {when.astimezone(UTC): int(hits) for when, hits in rows}
    return counts.get(previous, 0), counts.get(start, 0)


def wait_seconds(previous: int, current: int, limit: int, window_seconds: int) -> int:
    """Seconds until the previous and current windows hold fewer than ``limit`` hits together
    (0: they do now). A full current window waits for the end of the next one, when it has
    become the previous window and dropped out."""
    if previous + current < limit:
        return 0
    now = clock.now()
    end = window_start(now, window_seconds) + timedelta(seconds=window_seconds)
    if current >= limit:
        end += timedelta(seconds=window_seconds)
    return max(1, math.ceil((end - now).total_seconds()))


def hit_two_windows(key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one hit of ``key``; allowed while this window and the previous one hold at most
    ``limit`` hits together.

    So no stretch of ``window_seconds`` ever lets more than ``limit`` hits through, where a
    single fixed window lets up to twice the limit pass around its boundary. A refused client
    waits between one and two windows.
    """
    hit(key, limit, window_seconds)
    previous, current = recent_hits(key, window_seconds)
    if previous + current <= limit:
        return RateLimitResult(allowed=True, retry_after=0)
    return RateLimitResult(
        allowed=False, retry_after=wait_seconds(previous, current, limit, window_seconds)
    )


def forget(key: str) -> None:
    """Drop every window of ``key`` (e.g. the failed logins of an account after a good one)."""
    db.session.execute(
        delete(RateLimitWindow)
        .where(RateLimitWindow.key == _stored_key(key))
        .execution_options(synchronize_session=False)
    )
