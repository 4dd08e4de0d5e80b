"""Municipalities, regions and municipal occupancy policy (model layer)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.domain.permits import DEFAULT_PERMIT_TYPES
from portal.extensions import db
from portal.models.types import UTCDateTime


class Region(db.Model):
    """A group of municipalities that may share data (issue: regional insight)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The date the municipalities of the region agreed to share address-level data; None = no.
    data_sharing_agreed_on: Mapped[date | None] = mapped_column(Date)

    municipalities: Mapped[list[Municipality]] = relationship(back_populates="region")


class Municipality(db.Model):
    """A gemeente, identified by its CBS code ``GM`` + 4 digits (docs/rules.md §2.3)."""

    __tablename__ = "municipalities"
    __table_args__ = (CheckConstraint("length(code) = 6", name="code_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    province: Mapped[str] = mapped_column(String(60), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # The permit types this municipality issues, comma-separated codes from
    # portal.domain.permits.PERMIT_TYPES (docs/rules.md §1.3: municipal rules differ).
    permit_types: Mapped[str] = mapped_column(String(400), default=DEFAULT_PERMIT_TYPES)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    region: Mapped[Region | None] = relationship(back_populates="municipalities")
    policies: Mapped[list[MunicipalPolicy]] = relationship(
        back_populates="municipality", order_by="MunicipalPolicy.effective_from"
    )

    @property
    def gemeentecode(self) -> str:
        """The four digits used by BAG and BRP (GBA tabel 33)."""
        return self.code[2:]


class MunicipalPolicy(db.Model):
    """A municipality's occupancy rules from a date on; later rows never rewrite earlier dates."""

    __tablename__ = "municipal_policies"
    __table_args__ = (
        UniqueConstraint("municipality_id", "effective_from"),
        CheckConstraint("m2_per_person_dwelling between 1 and 100", name="m2_dwelling_range"),
        CheckConstraint("m2_per_person_lodging between 1 and 100", name="m2_lodging_range"),
        CheckConstraint("no_permit_max_occupants between 1 and 50", name="no_permit_range"),
        CheckConstraint("late_after_days between 0 and 60", name="late_range"),
        CheckConstraint("near_limit_percent between 50 and 100", name="near_limit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    m2_per_person_dwelling: Mapped[int] = mapped_column(Integer)
    m2_per_person_lodging: Mapped[int] = mapped_column(Integer)
    no_permit_max_occupants: Mapped[int] = mapped_column(Integer)
    late_after_days: Mapped[int] = mapped_column(Integer)
    near_limit_percent: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    # Where alerts about new or escalated flags go, comma separated (besides subscribed inspectors).
    alert_emails: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The support desk that hears when people lose the job their housing depended on.
    support_desk_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    municipality: Mapped[Municipality] = relationship(back_populates="policies")
