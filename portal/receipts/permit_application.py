"""The receipt of a permit renewal application (receipts layer): template and view builder.

Filled in by the permits work; ``render.render_receipt_html`` dispatches on the snapshot's kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

KIND: Final = "permit_application"
TEMPLATE: Final = "receipts/permit_application.html"


def view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """What the application receipt shows beyond ``render.common_view``."""
    raise NotImplementedError
