"""Permits that set how many people an address may house (model layer).

The permit register and renewals arrive with the permits issue; the occupancy rules read this
table already.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.address import Address
from portal.models.types import UTCDateTime


class Permit(db.Model):
    """An omzettings-, kamerverhuur-, huisvestings- or verhuurvergunning for one address."""

    __tablename__ = "permits"
    __table_args__ = (
        CheckConstraint("max_occupants BETWEEN 1 AND 10000", name="max_range"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="period"),
        CheckConstraint("status IN ('valid', 'revoked')", name="status_known"),
        Index("ix_permits_address_period", "address_id", "valid_from", "valid_until"),
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
    valid_until: Mapped[date | None] = mapped_column(Date)
    covers_lodging: Mapped[bool] = mapped_column(Boolean, default=True)
    decision_reference: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(10), default="valid")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    address: Mapped[Address] = relationship()
