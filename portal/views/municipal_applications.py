"""(stub, filled in by the permits work) Pages on the municipal blueprint."""

from __future__ import annotations

from portal.views.municipal import bp  # noqa: F401
