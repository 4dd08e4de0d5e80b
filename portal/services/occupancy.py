"""The inputs of the occupancy rules, read in bulk for one address or many (service layer).

``occupancy_inputs`` is the one loader the rules in ``portal.domain.occupancy`` are fed from:
a filing (``flags.evaluate_address``), the batch import and the daily re-evaluation all call it.
It reads the register facts, the filings that can matter from a day on and the valid permits of
any number of addresses with three queries (per slice: callers pass at most ``bulk.CHUNK`` ids),
so judging 2,000 addresses costs as many statements as judging one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from portal.domain.address import use_codes
from portal.domain.declarations import Filing, effective_occupancy
from portal.domain.occupancy import AddressFacts, DeclaredOccupancy, PermitFacts
from portal.models import Address, Declaration, Permit
from portal.services.bulk import bulk_rows, member_of


@dataclass(frozen=True)
class OccupancyInputs:
    """Everything the rules need for one address, as loaded in bulk."""

    municipality_id: int
    facts: AddressFacts
    spans: list[DeclaredOccupancy]
    permits: list[PermitFacts]


def filings_by_address(ids: Sequence[int], day: date) -> dict[int, list[Filing]]:
    """The filings of ``ids`` that can matter from ``day`` on, per address (one bulk query)."""
    filings: dict[int, list[Filing]] = defaultdict(list)
    # A filing that ended before the day matters only when it is a successor: it still cuts off
    # its predecessor (an end filing keeps the start and carries the last day).
    for address_id, *row in bulk_rows(
        select(
            Declaration.address_id,
            Declaration.id,
            Declaration.organisation_id,
            Declaration.occupants,
            Declaration.start_date,
            Declaration.end_date,
            Declaration.supersedes_id,
        ).where(
            member_of(Declaration.address_id, ids),
            or_(
                Declaration.end_date.is_(None),
                Declaration.end_date >= day,
                Declaration.supersedes_id.is_not(None),
            ),
        )
    ):
        filings[address_id].append(Filing(*row))
    return filings


def occupancy_inputs(ids: Sequence[int], day: date) -> dict[int, OccupancyInputs]:
    """Register facts, occupancy in force from ``day`` on, and valid permits, for ``ids``.

    Reads through the session's connection (no autoflush): flush first what must be seen.
    """
    filings = filings_by_address(ids, day)
    permits: dict[int, list[PermitFacts]] = defaultdict(list)
    for address_id, *row in bulk_rows(
        select(
            Permit.address_id,
            Permit.max_occupants,
            Permit.valid_from,
            Permit.valid_until,
            Permit.covers_lodging,
            Permit.decision_reference,
        ).where(member_of(Permit.address_id, ids), Permit.status == "valid")
    ):
        permits[address_id].append(PermitFacts(*row))
    inputs: dict[int, OccupancyInputs] = {}
    for address_id, municipality_id, area, uses, verified in bulk_rows(
        select(
            Address.id,
            Address.municipality_id,
            Address.floor_area_m2,
            Address.uses,
            Address.verified,
        ).where(member_of(Address.id, ids))
    ):
        spans = [
            s
            for s in effective_occupancy(filings.get(address_id, ()))
            if s.end is None or s.end >= day
        ]
        inputs[address_id] = OccupancyInputs(
            municipality_id=municipality_id,
            facts=AddressFacts(area, use_codes(uses), verified),
            spans=spans,
            permits=permits.get(address_id, []),
        )
    return inputs
