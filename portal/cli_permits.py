"""Command-line entry points for the permit register and the daily job (interface layer)."""

from __future__ import annotations

from flask.cli import AppGroup

permits_cli = AppGroup("permits", help="The permit register: import, expiry reminders.")
daily_cli = AppGroup("daily", help="The daily job: re-evaluation, permit reminders, digests.")
