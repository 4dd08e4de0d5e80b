"""Command-line entry points for API keys (interface layer)."""

from __future__ import annotations

from flask.cli import AppGroup

apikeys_cli = AppGroup("apikeys", help="API keys of organisations and municipalities.")
