"""API keys, idempotency records, declaration batches and batch uploads (model layer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.municipality import Municipality
from portal.models.organisation import Organisation
from portal.models.types import UTCDateTime


class ApiKey(db.Model):
    """A bearer key of one organisation or one municipality: 256 random bits, shown once, kept
    only as its SHA-256 (a key that random needs no slow hash), revocable."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "(organisation_id IS NULL) <> (municipality_id IS NULL)", name="one_tenant"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # shown to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After this moment the key no longer authenticates (None: no expiry date).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()


class IdempotencyRecord(db.Model):
    """The first response to an ``Idempotency-Key`` of one API key, replayed for a repeat."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    state: Mapped[str] = mapped_column(String(10), default="in_flight")  # in_flight | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[str | None] = mapped_column(Text)  # JSON object
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Batch(db.Model):
    """A batch of declarations filed at once (CSV upload or ``POST /api/v1/batches``)."""

    __tablename__ = "batches"
    __table_args__ = (CheckConstraint("source IN ('upload', 'api')", name="source_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    source: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200), default="")
    row_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    organisation: Mapped[Organisation] = relationship()


class BatchUpload(db.Model):
    """An uploaded CSV kept between its dry run and the user's choice to file it (or not);
    removed when filed or abandoned. Stored under a random token, never under its file name."""

    __tablename__ = "batch_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    # Rows the dry run refused: a file with errors waits on the start page for the user's choice.
    bad_row_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
