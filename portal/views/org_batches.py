"""(stub, filled in by its issue's work) Pages on the organisation blueprint."""

from __future__ import annotations

from portal.views.org import bp  # noqa: F401
