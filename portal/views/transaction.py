"""The one commit point of a request (interface layer).

Services add and flush; the request commits. As Indico's request handler does: the work of a
request is committed when it ends normally, and rolled back on a refusal (``Refused``) or on any
other exception. This module is the only place in ``portal/views`` and ``portal/web.py`` that
calls ``commit()`` or ``rollback()`` (tests/unit/test_architecture.py says so).

    with commit_point() as outcome:        # commits when the block ends normally
        accounts.sign_up_organisation(data)
    if outcome.refused:                    # a Refused raised in the block: rolled back, kept here
        apply_refusal(form, outcome.refused)

A refusal never leaves the block: the view looks at ``outcome.refused``. A block that does not
expect one wraps only calls that do not refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from portal.extensions import db
from portal.services.errors import Refused


@dataclass
class Outcome:
    """How a commit point ended: ``refused`` is the refusal raised in its block, else None."""

    refused: Refused | None = None


@contextmanager
def commit_point(*, keep_refused: bool = False) -> Iterator[Outcome]:
    """Commit the block's work when it ends normally; roll it back on ``Refused`` (kept in the
    outcome, not raised) or on any other exception (raised again).

    ``keep_refused=True`` commits after a refusal too: for a failed attempt (a wrong password or
    code) whose audit event and attempt count must stay although the attempt was refused.
    """
    outcome = Outcome()
    try:
        yield outcome
    except Refused as exc:
        outcome.refused = exc
        if keep_refused:
            commit_now()
        else:
            db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    else:
        commit_now()


def commit_now() -> None:
    """Commit what the request wrote so far, at once (a rate-limit count or a session's last-seen
    time that must stay whatever the request does next); a commit that fails is rolled back."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def roll_back() -> None:
    """Drop what the request wrote so far: for error handlers, and inside a commit point for work
    that must not be kept while the block goes on to write something else."""
    db.session.rollback()
