"""(stub, filled in by the API work) API key pages for organisation and municipal admins."""

from __future__ import annotations
