"""The portal for the crash drill: ``gunicorn drills.wsgi_drill:app`` (never for production).

The portal itself is unchanged; this entry point only wraps the step of a filing that writes the
receipt (``services.declarations.issue_receipt``), inside the filing's transaction, to make the
drill sharper. Both are set by the drill through the environment:

- ``DRILL_WIDEN_MS``: sleep this long before the receipt is written, so a SIGKILL lands between
  the declaration's writes and its commit far more often (the window a partial write would need).
- ``DRILL_SABOTAGE=no-transaction``: COMMIT the declaration, its flag and its alerts first and
  write the receipt and the stored API response in a second transaction, as a portal without one
  transaction per filing would. A kill between the two leaves a declaration without a receipt
  and a claim in flight, whose retry files again: the drill must report both.
- ``DRILL_WINDOW_DIR``: while in the widened window, the worker keeps a file named by its pid
  there, so that ``--target-windows`` kills it there rather than a worker still booting.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from portal.extensions import db
from portal.services import declarations
from wsgi import app

WIDEN_SECONDS = int(os.environ.get("DRILL_WIDEN_MS", "0")) / 1000
SABOTAGE = os.environ.get("DRILL_SABOTAGE", "")
WINDOW_DIR = os.environ.get("DRILL_WINDOW_DIR", "")
if SABOTAGE not in ("", "no-transaction"):
    raise SystemExit(f"unknown DRILL_SABOTAGE {SABOTAGE!r}")

_issue_receipt = declarations.issue_receipt


def _drill_issue_receipt(*args: Any, **kwargs: Any) -> Any:
    if SABOTAGE == "no-transaction":
        db.session.commit()
    if WIDEN_SECONDS:
        marker = Path(WINDOW_DIR, str(os.getpid())) if WINDOW_DIR else None
        if marker is not None:
            marker.touch()
        try:
            time.sleep(WIDEN_SECONDS)
        finally:
            if marker is not None:
                marker.unlink(missing_ok=True)
    return _issue_receipt(*args, **kwargs)


declarations.issue_receipt = _drill_issue_receipt

__all__ = ["app"]
