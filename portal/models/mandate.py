"""Mandates (machtigingen): an organisation lets another declare on its behalf (model layer).

The grantor is an organisation of the portal; the holder is named by its KvK number, so a
mandate can be granted before the staffing agency has an account. A mandate is never deleted:
revoking sets ``revoked_at`` (the rule is ``portal.domain.mandates.in_force``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.organisation import Organisation
from portal.models.types import UTCDateTime


class Mandate(db.Model):
    __tablename__ = "mandates"
    __table_args__ = (
        CheckConstraint("length(grantee_kvk) = 8", name="grantee_kvk_length"),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="end_after_start"),
        # The check of a filing: the mandates held by one KvK number from one grantor.
        Index("ix_mandates_grantee_grantor", "grantee_kvk", "grantor_organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grantor_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    grantee_kvk: Mapped[str] = mapped_column(String(8))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    grantor: Mapped[Organisation] = relationship(foreign_keys=[grantor_organisation_id])

    @property
    def revoked_on(self) -> date | None:
        """The day (Europe/Amsterdam) it was revoked."""
        if self.revoked_at is None:
            return None
        return self.revoked_at.astimezone(clock.AMSTERDAM).date()
