"""The snapshot of a receipt, built from a filing's facts (domain layer, pure).

A receipt stores the canonical JSON of its snapshot and that JSON's SHA-256, which a reader can
check years later (``receipt_codes.canonical_json``): the content built here must never change
for the same facts. The services gather the facts — from ORM objects for a single filing, an
amendment or an end, from bulk-read rows for a batch — and call these functions, so every path
builds the same bytes for the same facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from portal.domain.address import number_label, one_line
from portal.domain.occupancy import Finding


@dataclass(frozen=True)
class ReceiptAddress:
    """The address as the receipt shows it (register facts at filing time)."""

    street: str
    house_number: int
    house_letter: str | None
    house_number_addition: str | None
    postcode: str
    town: str
    nummeraanduiding_id: str | None
    verified: bool
    floor_area_m2: int | None
    uses: tuple[str, ...]

    @property
    def number_label(self) -> str:
        return number_label(self.house_number, self.house_letter, self.house_number_addition)

    @property
    def one_line(self) -> str:
        return one_line(self.street, self.number_label, self.postcode, self.town)


@dataclass(frozen=True)
class Party:
    """A municipality (code, name) or an organisation (KvK number, name)."""

    code: str | None
    name: str


@dataclass(frozen=True)
class FilingFacts:
    """Everything one declaration filing's receipt shows."""

    kind: str  # new, amendment, end
    reference: str
    filed_at: datetime  # aware
    verification_code: str
    verify_base: str  # the public base URL, without a trailing slash
    municipality: Party
    organisation: Party
    declared_for_kvk: str | None
    address: ReceiptAddress
    occupants: int
    occupants_registered_brp: int | None
    start_date: date
    end_date: date | None
    end_reason: str | None
    separate_contracts: bool | None
    supersedes: str | None  # the reference of the filing this one replaces
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class BatchFacts:
    """Everything a batch receipt shows: the batch and each of its filings."""

    reference: str
    filed_at: datetime
    verification_code: str
    verify_base: str
    organisation: Party
    source: str
    filings: Sequence[FilingFacts]


def finding_json(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "start": finding.start.isoformat(),
        "end": finding.end.isoformat() if finding.end else None,
        "occupants": finding.occupants,
        "limit": finding.limit,
        "rule": finding.rule,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _organisation(party: Party) -> dict[str, object]:
    return {"name": party.name, "kvk": party.code}


def filing_snapshot(facts: FilingFacts) -> dict[str, object]:
    """The canonical content of a declaration receipt: what was filed and the findings shown."""
    address = facts.address
    code = facts.verification_code
    return {
        "kind": facts.kind,
        "reference": facts.reference,
        "filed_at": facts.filed_at.isoformat(),
        "verification_code": code,
        "verify_url": f"{facts.verify_base}/verify/{code}",
        "municipality": {"code": facts.municipality.code, "name": facts.municipality.name},
        "organisation": _organisation(facts.organisation),
        "declared_for_kvk": facts.declared_for_kvk,
        "address": {
            "street": address.street,
            "number_label": address.number_label,
            "postcode": address.postcode,
            "town": address.town,
            "nummeraanduiding_id": address.nummeraanduiding_id,
            "verified": address.verified,
            "floor_area_m2": address.floor_area_m2,
            "uses": list(address.uses),
        },
        "declaration": {
            "occupants": facts.occupants,
            "occupants_registered_brp": facts.occupants_registered_brp,
            "start_date": facts.start_date.isoformat(),
            "end_date": _iso(facts.end_date),
            "end_reason": facts.end_reason,
            "separate_contracts": facts.separate_contracts,
            "supersedes": facts.supersedes,
            "effective_date": facts.start_date.isoformat() if facts.kind == "amendment" else None,
        },
        "findings": [finding_json(f) for f in facts.findings],
    }


def batch_line(facts: FilingFacts) -> dict[str, object]:
    """One filing as the batch receipt lists it."""
    return {
        "reference": facts.reference,
        "address": facts.address.one_line,
        "postcode": facts.address.postcode,
        "municipality_code": facts.municipality.code,
        "occupants": facts.occupants,
        "start_date": facts.start_date.isoformat(),
        "end_date": _iso(facts.end_date),
        "findings": sorted({f.code for f in facts.findings}),
    }


def batch_snapshot(facts: BatchFacts) -> dict[str, object]:
    """The canonical content of a batch receipt: every reference of the batch."""
    code = facts.verification_code
    return {
        "kind": "batch",
        "reference": facts.reference,
        "filed_at": facts.filed_at.isoformat(),
        "verification_code": code,
        "verify_url": f"{facts.verify_base}/verify/{code}",
        "organisation": _organisation(facts.organisation),
        "source": facts.source,
        "count": len(facts.filings),
        "declarations": [batch_line(f) for f in facts.filings],
    }
