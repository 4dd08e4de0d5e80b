"""Monthly figures per municipality and postcode area, refreshed nightly (model layer).

Counts only, never an address or an organisation: the regional view, the open statistics and
the API read this table, so their pages cost one small indexed query at national scale
(docs/performance.md §5, R1). ``postcode_area`` '' is the whole municipality; a 4-digit value is
the part of the municipality in that postcode area (its figures add up to the municipality's).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.municipality import Municipality
from portal.models.types import UTCDateTime


class MonthlyStatistic(db.Model):
    """One municipality (or postcode area within it), one month: stock figures on the last day
    of the month (or the refresh day for the running month), flow figures over the month."""

    __tablename__ = "monthly_statistics"
    __table_args__ = (UniqueConstraint("municipality_id", "month", "postcode_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    month: Mapped[date] = mapped_column(Date, index=True)  # the first day of the month
    postcode_area: Mapped[str] = mapped_column(String(4), default="", server_default="")
    # The day the stock figures describe.
    as_of: Mapped[date] = mapped_column(Date)
    addresses_occupied: Mapped[int] = mapped_column(Integer, default=0)
    occupants: Mapped[int] = mapped_column(Integer, default=0)
    # Occupants in filings that state a BRP count, and how many of those are registered.
    occupants_brp_known: Mapped[int] = mapped_column(Integer, default=0)
    occupants_brp_registered: Mapped[int] = mapped_column(Integer, default=0)
    open_flags: Mapped[int] = mapped_column(Integer, default=0)
    # {"over_limit": 3, ...} as JSON: open flags by their current reasons (a flag may have two).
    open_flags_by_reason: Mapped[str] = mapped_column(Text, default="{}")
    flags_closed: Mapped[int] = mapped_column(Integer, default=0)
    median_days_to_close: Mapped[float | None] = mapped_column(Float)
    filings: Mapped[int] = mapped_column(Integer, default=0)
    late_filings: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    municipality: Mapped[Municipality] = relationship()
