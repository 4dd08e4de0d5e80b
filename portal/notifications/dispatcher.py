"""The outbox dispatcher: a worker that sends due emails in rounds (notifications layer).

``flask --app wsgi outbox run`` runs ``run_dispatcher``: rounds of ``sender.send_pending`` until it
is stopped; ``--once`` does a single round. SIGTERM or SIGINT lets the message being sent finish
and be committed, then the worker exits cleanly (a second signal interrupts at once). Several
dispatchers may run side by side against PostgreSQL: each message is claimed with
``FOR UPDATE SKIP LOCKED`` and stays locked while it is sent, so none is sent twice. A database
error in one round (a restart, a failover) is reported and the next round tries again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.notifications.sender import send_pending

# Messages per round; a full round is followed at once by the next (a backlog is worked off
# without waiting for the interval).
ROUND_SIZE = 500


@dataclass
class DispatchTotals:
    """What a dispatcher did over its life."""

    rounds: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: int = 0


@contextmanager
def _stop_on_signals(stop: threading.Event, echo: Callable[[str], Any]) -> Iterator[None]:
    """Make SIGTERM/SIGINT set ``stop`` (main thread only; elsewhere the caller owns ``stop``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # asked twice: stop now
        stop.set()
        echo(f"{signal.Signals(signum).name}: stopping after the current message")

    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_dispatcher(
    config: dict[str, Any],
    once: bool = False,
    interval: float = 5.0,
    echo: Callable[[str], Any] = print,
    *,
    stop: threading.Event | None = None,
    round_size: int = ROUND_SIZE,
) -> DispatchTotals:
    """Send due outbox messages in rounds until stopped (or one round with ``once``)."""
    stop = stop or threading.Event()
    totals = DispatchTotals()
    with _stop_on_signals(stop, echo):
        if not once:
            echo(f"dispatcher started: a round every {interval:g} s; stop with Ctrl-C or SIGTERM")
        while True:
            handled = 0
            try:
                report = send_pending(config, limit=round_size, should_stop=stop.is_set)
            except SQLAlchemyError as exc:
                db.session.rollback()
                if once:
                    raise
                totals.errors += 1
                echo(f"database error, trying again in {interval:g} s: {type(exc).__name__}")
            else:
                totals.rounds += 1
                totals.sent += report.sent
                totals.retried += report.retried
                totals.failed += report.failed
                handled = report.handled
                if handled or once:
                    echo(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
            if once or stop.is_set():
                break
            if handled < round_size:
                stop.wait(interval)
    if not once:
        echo(f"dispatcher stopped: sent {totals.sent} in {totals.rounds} rounds")
    return totals
