"""Declaring organisations, identified by KvK number (model layer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.domain import eherkenning as eherkenning_rules
from portal.extensions import db
from portal.models.types import UTCDateTime


class Organisation(db.Model):
    """An employer, staffing agency and/or housing provider (docs/architecture.md §1)."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "is_employer OR is_staffing_agency OR is_housing_provider", name="has_a_kind"
        ),
        CheckConstraint("length(kvk_number) = 8", name="kvk_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kvk_number: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_employer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_staffing_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    is_housing_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    snf_number: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    # The phone number inspectors may call (issue 20), set by an organisation admin; "" = none
    # (checked by portal.domain.phones).
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Proven through eHerkenning (services.eherkenning): when, and at which level. None: the
    # organisation was claimed with a password sign-up, not proven.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_loa: Mapped[str] = mapped_column(String(10), default="")

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def proven_at(self, moment: datetime) -> bool:
        """Whether the organisation was proven through eHerkenning at ``moment``."""
        return eherkenning_rules.proven_when(self.verified_at, moment)

    @property
    def kinds(self) -> list[str]:
        kinds = []
        if self.is_employer:
            kinds.append("employer")
        if self.is_staffing_agency:
            kinds.append("staffing_agency")
        if self.is_housing_provider:
            kinds.append("housing_provider")
        return kinds
