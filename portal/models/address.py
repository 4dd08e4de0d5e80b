"""The address register: one BAG verblijfsobject address per row (model layer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.domain import address as address_rules
from portal.domain import search as search_rules
from portal.extensions import db
from portal.models.municipality import Municipality
from portal.models.types import UTCDateTime

# The rows the one-row-per-unregistered-address key covers (a retired row keeps its key free).
UNREGISTERED_LIVE = "verified = false AND retired_at IS NULL"


def _street_key_default(context: Any) -> str:
    """The column default of ``street_key`` for a Core or ORM insert that gives no key."""
    return search_rules.street_key(context.get_current_parameters().get("street") or "")


class Address(db.Model):
    """An address from the BAG-shaped register, or a manual one (``verified`` false).

    Manual addresses are added by later issues when a declarant declares an address the register
    lacks; they have no BAG ids. The notification duty is never blocked by a registry gap.
    """

    __tablename__ = "addresses"
    __table_args__ = (
        Index("ix_addresses_postcode_number", "postcode", "house_number"),
        Index("ix_addresses_municipality_postcode", "municipality_id", "postcode"),
        # The inspectors' search box: a street prefix within the municipality (issue 20). The
        # pattern operator class lets PostgreSQL use it for ``LIKE 'prefix%'`` whatever the
        # database's collation; SQLite's binary order serves the range scan of services.search.
        Index(
            "ix_addresses_municipality_street_key",
            "municipality_id",
            "street_key",
            "house_number",
            postgresql_ops={"street_key": "varchar_pattern_ops"},
        ),
        # One row per unregistered address, however many organisations enter it at once: a
        # hand entry inserts with ON CONFLICT DO NOTHING on this key and reads the row back
        # (services.declarations.resolve_manual_address).
        Index(
            "uq_addresses_unregistered",
            "postcode",
            "house_number",
            "house_letter",
            "house_number_addition",
            unique=True,
            postgresql_where=text(UNREGISTERED_LIVE),
            sqlite_where=text(UNREGISTERED_LIVE),
        ),
        # The self-reference needs its index: deleting an address otherwise scans every address.
        Index(
            "ix_addresses_replaced_by_id",
            "replaced_by_id",
            postgresql_where=text("replaced_by_id IS NOT NULL"),
            sqlite_where=text("replaced_by_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # BAG nummeraanduiding (16 digits, type 20) — the address key; unique where present.
    nummeraanduiding_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    # BAG verblijfsobject (16 digits, type 01) — the unit the floor area belongs to.
    verblijfsobject_id: Mapped[str | None] = mapped_column(String(16), index=True)
    street: Mapped[str] = mapped_column(String(120))
    # ``domain.search.street_key(street)``: lower case, no accents, "St." written out. Set on
    # every insert and street change (the default and ``_set_street_key`` below, the imports).
    street_key: Mapped[str] = mapped_column(
        String(120), default=_street_key_default, server_default=""
    )
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
    # An unregistered address a municipal admin linked to the register address it names: its
    # declarations moved there and it takes no new ones (services.address_entries).
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The register address a retired row was linked to: a later hand entry of it files there.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))

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


@event.listens_for(Address.street, "set", propagate=True)
def _set_street_key(target: Address, value: str | None, _old: Any, _initiator: Any) -> None:
    """An ORM change of the street changes its search key with it."""
    target.street_key = search_rules.street_key(value or "")


# The decision state of an entry: ``accepted`` (the address holds its values: the first entry,
# or one that agrees), ``open`` (it disagrees: a conflict for the municipal admins), and after
# their decision ``confirmed`` (the address took its values) or ``set_aside`` (other values won).
ENTRY_STATES = ("accepted", "open", "confirmed", "set_aside")


class AddressEntry(db.Model):
    """One organisation's entry of an unregistered address, kept as entered."""

    __tablename__ = "address_entries"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in ENTRY_STATES) + ")", name="state_known"
        ),
        Index("ix_address_entries_address_state", "address_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    street: Mapped[str] = mapped_column(String(120))
    town: Mapped[str] = mapped_column(String(80))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    state: Mapped[str] = mapped_column(String(20), default="accepted")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    address: Mapped[Address] = relationship()
    municipality: Mapped[Municipality] = relationship()
