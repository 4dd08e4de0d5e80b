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


def grant_mandate(app: Flask, grantor_kvk: str, holder_organisation_id: int) -> None:
    """A mandate in force from today: the organisation ``grantor_kvk`` (made when missing) lets
    the holder declare on its behalf (issue 18: a ``declared_for_kvk`` needs one)."""
    from portal import clock
    from portal.models import Mandate, Organisation

    with app.app_context():
        grantor = db.session.execute(
            select(Organisation).where(Organisation.kvk_number == grantor_kvk)
        ).scalar_one_or_none()
        if grantor is None:
            grantor = Organisation(
                kvk_number=grantor_kvk,
                name=f"Werkgever {grantor_kvk}",
                is_employer=True,
                contact_email=f"werkgever{grantor_kvk}@example.nl",
            )
            db.session.add(grantor)
            db.session.flush()
        holder = db.session.get(Organisation, holder_organisation_id)
        assert holder is not None
        db.session.add(
            Mandate(
                grantor_organisation_id=grantor.id,
                grantee_kvk=holder.kvk_number,
                start_on=clock.today(),
            )
        )
        db.session.commit()
