"""(stub, filled in by the API work) The JSON API under /api/v1."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
