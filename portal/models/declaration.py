"""Declarations (meldingen), their receipts and reference numbers (model layer).

A filed declaration is never edited: an amendment or an end is a new row that supersedes the
previous one (``supersedes_id``, unique, so a filing has at most one successor). The chain of a
declaration shares ``root_id`` (the first filing's id).
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
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.address import Address
from portal.models.municipality import Municipality
from portal.models.organisation import Organisation
from portal.models.types import UTCDateTime

DECLARATION_KINDS = ("new", "amendment", "end")
END_REASONS = ("employment_ended", "moved_in_nl", "returned_home", "other")


class ReferenceNumber(db.Model):
    """A source of unique, increasing numbers for receipt references (``MH-2026-000123``).

    An insert per number: no shared counter row that every filing would have to lock.
    """

    __tablename__ = "reference_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Declaration(db.Model):
    """One filing: a new declaration, an amendment (new count from a date) or an end."""

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint("kind IN ('new', 'amendment', 'end')", name="kind_known"),
        CheckConstraint("occupants BETWEEN 1 AND 500", name="occupants_range"),
        CheckConstraint(
            "occupants_registered_brp IS NULL OR "
            "(occupants_registered_brp >= 0 AND occupants_registered_brp <= occupants)",
            name="brp_range",
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('employment_ended', 'moved_in_nl', 'returned_home', 'other')",
            name="end_reason_known",
        ),
        # The occupancy sum per address and date (docs/performance.md §3.3).
        Index("ix_declarations_address_period", "address_id", "start_date", "end_date"),
        Index("ix_declarations_organisation_filed", "organisation_id", "filed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    declared_for_kvk: Mapped[str | None] = mapped_column(String(8))
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    occupants: Mapped[int] = mapped_column(Integer)
    occupants_registered_brp: Mapped[int | None] = mapped_column(Integer)
    # The period this filing declares: for an amendment, from its effective date.
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    separate_contracts: Mapped[bool] = mapped_column(Boolean)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), unique=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), index=True)
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Filed through the API with this key, and/or as part of this batch.
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    organisation: Mapped[Organisation] = relationship()
    address: Mapped[Address] = relationship()
    municipality: Mapped[Municipality] = relationship()
    supersedes: Mapped[Declaration | None] = relationship(
        remote_side="Declaration.id", foreign_keys=[supersedes_id]
    )
    receipt: Mapped[Receipt | None] = relationship(back_populates="declaration", uselist=False)

    @property
    def chain_id(self) -> int:
        return self.root_id or self.id


class Receipt(db.Model):
    """The proof of a filing: canonical snapshot, its SHA-256, a verification code, the PDF."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    verification_code: Mapped[str] = mapped_column(String(14), unique=True)
    # What the receipt is for: one declaration filing, a renewal application or a batch.
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), unique=True)
    permit_application_id: Mapped[int | None] = mapped_column(
        ForeignKey("permit_applications.id"), unique=True
    )
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # None for a batch receipt that spans municipalities (no single municipality may read it).
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    snapshot_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Rendered off the filing request, on first download; stored so every download is identical.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    declaration: Mapped[Declaration | None] = relationship(back_populates="receipt")
