"""The one commit point of a request (portal/views/transaction.py) on a real session.

Each test writes a municipality, flushes it, and then looks from a connection of its own
(``_stored``), so only a commit makes the row visible. After a rollback the test commits the
session once more: had the helper not rolled back, that commit would store the row.

Sabotage (shown by hand, one change to the helper at a time): no commit at the end of a normal
block, no rollback after a refusal, ``keep_refused`` ignored, no rollback after another
exception, no rollback after a failed commit, ``roll_back`` doing nothing, a refusal raised out of
the block: each makes at least one test here fail.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Municipality
from portal.services.errors import Refused
from portal.views.transaction import commit_now, commit_point, roll_back


def _add(code: str = "GM0344") -> None:
    db.session.add(Municipality(code=code, name=f"Gemeente {code}", province="Utrecht"))
    db.session.flush()


def _stored(*codes: str) -> list[str]:
    """The codes of ``codes`` that another connection sees (committed rows only)."""
    with db.engine.connect() as conn:
        found = conn.execute(
            select(Municipality.code).where(Municipality.code.in_(codes)).order_by("code")
        )
        return list(found.scalars())


def test_block_that_ends_normally_is_committed(ctx: Flask) -> None:
    with commit_point() as outcome:
        _add()
    assert outcome.refused is None
    assert _stored("GM0344") == ["GM0344"]


def test_refusal_is_rolled_back_and_kept_in_the_outcome_not_raised(ctx: Flask) -> None:
    refusal = Refused.one("name", "field.required")
    with commit_point() as outcome:
        _add()
        raise refusal
    assert outcome.refused is refusal
    db.session.commit()  # would store the row if the refusal had not rolled it back
    assert _stored("GM0344") == []


def test_keep_refused_commits_the_record_of_the_failed_attempt(ctx: Flask) -> None:
    with commit_point(keep_refused=True) as outcome:
        _add()
        raise Refused.one("code", "totp.invalid")
    assert outcome.refused is not None
    assert outcome.refused.problems[0].code == "totp.invalid"
    assert _stored("GM0344") == ["GM0344"]


def test_any_other_exception_rolls_back_and_propagates(ctx: Flask) -> None:
    with pytest.raises(RuntimeError, match="boom"), commit_point():
        _add()
        raise RuntimeError("boom")
    db.session.commit()
    assert _stored("GM0344") == []


def test_a_commit_that_fails_is_rolled_back_and_the_session_stays_usable(ctx: Flask) -> None:
    with commit_point():
        _add("GM0344")
    with pytest.raises(IntegrityError), commit_point():
        db.session.add(Municipality(code="GM0344", name="Dubbel", province="Utrecht"))
    # Without the rollback the session would refuse every statement (PendingRollbackError).
    assert db.session.execute(select(func.count()).select_from(Municipality)).scalar() == 1


def test_roll_back_inside_a_block_drops_the_work_so_far_and_keeps_what_follows(
    ctx: Flask,
) -> None:
    with commit_point():
        _add("GM0344")
        roll_back()
        _add("GM0363")
    assert _stored("GM0344", "GM0363") == ["GM0363"]


def test_commit_now_commits_at_once(ctx: Flask) -> None:
    _add()
    commit_now()
    assert _stored("GM0344") == ["GM0344"]
