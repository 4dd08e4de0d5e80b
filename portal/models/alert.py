"""Alert bookkeeping per recipient and address (model layer).

``AlertMark``: the last immediate alert one recipient got about one address — when, at which
severity level, for which reasons and total — so the next change can be judged against it
(``portal.domain.alerts.decide``). ``AlertDigestLine``: a change held back for that recipient's
daily digest, at most one per (recipient, address, reasons, day).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import db
from portal.models.types import UTCDateTime


class AlertMark(db.Model):
    __tablename__ = "alert_marks"
    __table_args__ = (UniqueConstraint("recipient", "address_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The email address, lower-cased: an inspector or an address on the policy's alert list.
    recipient: Mapped[str] = mapped_column(String(254))
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"), index=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"))
    alerted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    severity: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(String(200))  # finding codes, sorted, comma separated
    occupants: Mapped[int] = mapped_column(Integer)


class AlertDigestLine(db.Model):
    __tablename__ = "alert_digest_lines"
    __table_args__ = (
        UniqueConstraint("recipient", "address_id", "day", "reasons"),
        Index("ix_alert_digest_lines_day_digested", "day", "digested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))  # lower-cased
    # The recipient's language when the line was written (the digest is written in it).
    locale: Mapped[str] = mapped_column(String(5))
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"), index=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"))
    day: Mapped[date] = mapped_column(Date)  # the Dutch calendar day of the change
    reasons: Mapped[str] = mapped_column(String(200))
    change: Mapped[str] = mapped_column(String(20))  # the flag history kind held back
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
