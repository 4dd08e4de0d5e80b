"""The receipt of a batch of declarations (receipts layer): template and view builder.

Filled in by the batch work; ``render.render_receipt_html`` dispatches on the snapshot's kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

KIND: Final = "batch"
TEMPLATE: Final = "receipts/batch.html"


def view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """What the batch receipt shows beyond ``render.common_view``."""
    raise NotImplementedError
