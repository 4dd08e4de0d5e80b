"""The address register: one BAG verblijfsobject address per row (model layer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.domain import address as address_rules
from portal.extensions import db
from portal.models.municipality import Municipality
from portal.models.types import UTCDateTime


class Address(db.Model):
    """An address from the BAG-shaped register, or a manual one (``verified`` false).

    Manual addresses are added by later issues when a declarant declares an address the register
    lacks; they have no BAG ids. The notification duty is never blocked by a registry gap.
    """

    __tablename__ = "addresses"
    __table_args__ = (
        Index("ix_addresses_postcode_number", "postcode", "house_number"),
        Index("ix_addresses_municipality_postcode", "municipality_id", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # BAG nummeraanduiding (16 digits, type 20) — the address key; unique where present.
    nummeraanduiding_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    # BAG verblijfsobject (16 digits, type 01) — the unit the floor area belongs to.
    verblijfsobject_id: Mapped[str | None] = mapped_column(String(16), index=True)
    street: Mapped[str] = mapped_column(String(120))
    house_number: Mapped[int] = mapped_column(Integer)
    house_letter: Mapped[str] = mapped_column(String(1), default="")
    house_number_addition: Mapped[str] = mapped_column(String(4), default="")
    postcode: Mapped[str] = mapped_column(String(7))  # normalised "1234 AB"
    town: Mapped[str] = mapped_column(String(80))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    floor_area_m2: Mapped[int | None] = mapped_column(Integer)
    # BAG gebruiksdoelen, sorted and comma separated, e.g. "logiesfunctie,woonfunctie".
    uses: Mapped[str] = mapped_column(String(300), default="")
    bag_status: Mapped[str] = mapped_column(String(60), default="")
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    municipality: Mapped[Municipality] = relationship()

    @property
    def use_list(self) -> list[str]:
        return list(address_rules.use_codes(self.uses))

    @property
    def number_label(self) -> str:
        """House number with letter and addition as written on a letter: ``12A-2``."""
        return address_rules.number_label(
            self.house_number, self.house_letter, self.house_number_addition
        )

    @property
    def one_line(self) -> str:
        return address_rules.one_line(self.street, self.number_label, self.postcode, self.town)
