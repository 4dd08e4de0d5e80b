"""Permits, renewal applications, their documents and messages, and expiry reminders (model
layer).

A permit row is never rewritten by a renewal: approval adds a new permit for the new period and
the old one stays as it was (the occupancy rules take the valid permit with the highest maximum).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.address import Address
from portal.models.municipality import Municipality
from portal.models.organisation import Organisation
from portal.models.types import UTCDateTime

APPLICATION_STATUSES = ("submitted", "info_requested", "approved", "rejected")
OPEN_APPLICATION_STATUSES = ("submitted", "info_requested")


class Permit(db.Model):
    """An omzettings-, kamerverhuur-, huisvestings- or verhuurvergunning for one address."""

    __tablename__ = "permits"
    __table_args__ = (
        CheckConstraint("max_occupants BETWEEN 1 AND 10000", name="max_range"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="period"),
        CheckConstraint("status IN ('valid', 'revoked')", name="status_known"),
        Index("ix_permits_address_period", "address_id", "valid_from", "valid_until"),
        # The register's key for imports and edits: one decision reference per municipality.
        Index(
            "uq_permits_municipality_decision",
            "municipality_id",
            "decision_reference",
            unique=True,
            sqlite_where=text("decision_reference <> ''"),
            postgresql_where=text("decision_reference <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    holder_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    permit_type: Mapped[str] = mapped_column(String(40))
    max_occupants: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # last valid day; None = no end
    covers_lodging: Mapped[bool] = mapped_column(Boolean, default=True)
    decision_reference: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(10), default="valid")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    address: Mapped[Address] = relationship()
    municipality: Mapped[Municipality] = relationship()
    holder: Mapped[Organisation | None] = relationship()


class PermitApplication(db.Model):
    """A holder's application to renew a permit: requested period and maximum, decided by the
    municipal admin (approve → a new permit; reject with a reason; or ask for more information).
    """

    __tablename__ = "permit_applications"
    __table_args__ = (
        CheckConstraint(
            "status IN ('submitted', 'info_requested', 'approved', 'rejected')",
            name="status_known",
        ),
        CheckConstraint("requested_max_occupants BETWEEN 1 AND 10000", name="max_range"),
        CheckConstraint(
            "requested_until IS NULL OR requested_until >= requested_from", name="period"
        ),
        # At most one undecided application per permit.
        Index(
            "uq_permit_applications_open",
            "permit_id",
            unique=True,
            sqlite_where=text("status IN ('submitted', 'info_requested')"),
            postgresql_where=text("status IN ('submitted', 'info_requested')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    permit_type: Mapped[str] = mapped_column(String(40))
    requested_from: Mapped[date] = mapped_column(Date)
    requested_until: Mapped[date | None] = mapped_column(Date)
    requested_max_occupants: Mapped[int] = mapped_column(Integer)
    applicant_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_permit_id: Mapped[int | None] = mapped_column(ForeignKey("permits.id"))
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    permit: Mapped[Permit] = relationship(foreign_keys=[permit_id])
    new_permit: Mapped[Permit | None] = relationship(foreign_keys=[new_permit_id])
    organisation: Mapped[Organisation] = relationship()
    municipality: Mapped[Municipality] = relationship()
    address: Mapped[Address] = relationship()
    documents: Mapped[list[PermitDocument]] = relationship(
        back_populates="application", order_by="PermitDocument.id"
    )
    messages: Mapped[list[PermitApplicationMessage]] = relationship(
        back_populates="application", order_by="PermitApplicationMessage.id"
    )


class PermitDocument(db.Model):
    """An uploaded floor plan (PDF, checked by content, ≤ 5 MB); the bytes live in the database
    under a generated id, never under the uploader's file name."""

    __tablename__ = "permit_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_applications.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="floor_plan")
    filename: Mapped[str] = mapped_column(String(120))  # sanitised, for display only
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    application: Mapped[PermitApplication] = relationship(back_populates="documents")


class PermitApplicationMessage(db.Model):
    """One step of the conversation on an application: a question from the municipality or the
    applicant's answer."""

    __tablename__ = "permit_application_messages"
    __table_args__ = (CheckConstraint("side IN ('municipality', 'applicant')", name="side_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_applications.id"), index=True)
    side: Mapped[str] = mapped_column(String(12))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("permit_documents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    application: Mapped[PermitApplication] = relationship(back_populates="messages")


class PermitReminder(db.Model):
    """That the reminder ``days_before`` the end ``valid_until`` of a permit went out. The key
    makes each reminder exactly once however often the daily job runs; a new end date (an edit)
    gets its own reminders."""

    __tablename__ = "permit_reminders"
    __table_args__ = (PrimaryKeyConstraint("permit_id", "valid_until", "days_before"),)

    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"))
    valid_until: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    sent_for_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
