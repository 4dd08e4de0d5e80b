"""Receipt records and PDFs (service layer): ``sealed`` gives the stored form of a snapshot (its
canonical JSON and SHA-256) for every kind of filing; the PDF is rendered on first download from
the stored snapshot only, then kept, so every later download returns the identical bytes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from portal import clock
from portal.domain.receipt_codes import canonical_json
from portal.extensions import db
from portal.models import Receipt


def sealed(snapshot: Mapping[str, Any]) -> tuple[str, str]:
    """What a receipt row stores of its snapshot: the canonical JSON and its SHA-256 (hex)."""
    canonical = canonical_json(snapshot)
    return canonical.decode("utf-8"), hashlib.sha256(canonical).hexdigest()


def receipt_pdf(receipt: Receipt) -> bytes:
    """The stored PDF, rendering and storing it first if this is the first download.

    Two first downloads at once may both render; only the first stored copy is kept (the update
    only fills an empty column) and both callers return that copy.
    """
    if receipt.pdf is not None:
        return receipt.pdf
    from portal.receipts.render import render_receipt_pdf

    pdf = render_receipt_pdf(json.loads(receipt.snapshot_json), receipt.locale)
    db.session.execute(
        update(Receipt)
        .where(Receipt.id == receipt.id, Receipt.pdf.is_(None))
        .values(pdf=pdf, pdf_rendered_at=clock.now())
    )
    stored = db.session.execute(select(Receipt.pdf).where(Receipt.id == receipt.id)).scalar_one()
    return bytes(stored)
