"""Small helpers shared by tests."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import OutboxMessage


def last_mail(app: Flask, recipient: str | None = None, kind: str | None = None) -> OutboxMessage:
    with app.app_context():
        stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
        if recipient:
            stmt = stmt.where(OutboxMessage.recipient == recipient)
        if kind:
            stmt = stmt.where(OutboxMessage.kind == kind)
        message = db.session.execute(stmt.limit(1)).scalar_one()
        db.session.expunge(message)
        return message


def link_path(message: OutboxMessage, base: str = "http://portal.test") -> str:
    """The first portal link in a mail, as a path for the test client."""
    match = re.search(re.escape(base) + r"(/\S+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def pdf_bytes(pages: int = 1) -> bytes:
    """A small real PDF (pypdf's writer): what a floor plan upload must at least be."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real PNG or JPEG (Pillow)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


# A minimal valid PDF as bytes (pypdf 7's writer, one blank page), for module constants.
MINIMAL_PDF = pdf_bytes()
