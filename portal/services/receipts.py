"""Receipt PDFs (service layer): rendered on first download from the stored snapshot only, then
kept, so every later download returns the identical bytes."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.models import Receipt


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
