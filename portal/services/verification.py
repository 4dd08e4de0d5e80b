"""Public verification of a receipt by its verification code (service layer).

Anyone holding a receipt (a landlord, a municipality, the worker's union) can check that it is
genuine. The answer shows only what the receipt itself shows, and less: the reference, when it
was filed, the kind of filing, the address, the number of occupants, and whether the filing has
since been amended or ended. The organisation's name and the findings are left out on purpose: a
code that leaks (a photo of a receipt) should reveal as little as possible.

Receipts that are not a declaration filing show what they are about instead: a permit renewal
application shows the applicant (the permit holder, whose permit is public record at the
municipality), the municipality, the address, the requested period and maximum and the
application's current status; a batch receipt shows only how many declarations it filed — not
the organisation (as for a single filing) and never the declarations' addresses or counts.

This is not tenant data: the 60-bit code is the credential, so no scoping helper applies; the
public page rate-limits lookups per client (portal.services.ratelimit).

Before anything is shown, the SHA-256 of the stored canonical JSON is recomputed and compared with
the stored hash; a mismatch answers "tampered" and shows nothing from the snapshot. The hash lives
in the same row, so this catches accidental or naive edits, not someone who rewrites both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select

from portal.domain.errors import InvalidValue
from portal.domain.receipt_codes import normalise_verification_code
from portal.extensions import db
from portal.models import Declaration, Organisation, PermitApplication, Receipt

Status = Literal["authentic", "not_found", "invalid", "tampered"]
ChainState = Literal["current", "amended", "ended"]

log = logging.getLogger(__name__)

# Longer input is not a code with typos; refuse it before doing any work on it.
MAX_INPUT_LENGTH = 64
# Chains are a handful of filings; the bound only guards against a corrupted cycle.
MAX_CHAIN_LENGTH = 10_000


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of a lookup; the receipt's public facts only when ``status`` is authentic."""

    status: Status
    code: str = ""
    # Whether the filing organisation was proven through eHerkenning when it filed (None: not
    # looked up, for a result that shows no facts).
    filer_proven: bool | None = None
    reference: str = ""
    filed_at: datetime | None = None
    kind: str = ""
    street: str = ""
    number_label: str = ""
    postcode: str = ""
    town: str = ""
    occupants: int | None = None
    state: ChainState | None = None
    # amended: the date the latest amendment applies from; ended: the last day.
    state_date: date | None = None
    # The reference of the latest filing in the chain, when it is not this receipt's own.
    state_reference: str = ""
    # Receipts that are not a declaration filing (kind "permit_application" or "batch"): the
    # filer and the municipality are what the receipt is about, so those are shown.
    organisation: str = ""
    municipality: str = ""
    requested_from: date | None = None
    requested_until: date | None = None
    requested_max: int | None = None
    # A renewal application's status now: submitted, info_requested, approved, rejected.
    application_status: str = ""
    # A batch: how many declarations it filed.
    declaration_count: int | None = None

    @property
    def address_line(self) -> str:
        return f"{self.street} {self.number_label}, {self.postcode} {self.town}".strip(" ,")


def _hash_matches(receipt: Receipt) -> bool:
    actual = hashlib.sha256(receipt.snapshot_json.encode("utf-8")).hexdigest()
    return hmac.compare_digest(actual, receipt.sha256.strip().lower())


def _snapshot(receipt: Receipt) -> dict[str, Any] | None:
    """The parsed snapshot, or None when it is unreadable or does not belong to this receipt."""
    try:
        snapshot = json.loads(receipt.snapshot_json)
    except ValueError:
        return None
    if not isinstance(snapshot, dict):
        return None
    if snapshot.get("reference") != receipt.reference:
        return None
    if snapshot.get("verification_code") != receipt.verification_code:
        return None
    kind = snapshot.get("kind")
    if kind == "batch":
        return snapshot if isinstance(snapshot.get("declarations"), list) else None
    if kind == "permit_application":
        if not isinstance(snapshot.get("address"), dict) or not isinstance(
            snapshot.get("requested"), dict
        ):
            return None
        return snapshot
    if not isinstance(snapshot.get("address"), dict) or not isinstance(
        snapshot.get("declaration"), dict
    ):
        return None
    return snapshot


def _name(value: Any) -> str:
    return str(value.get("name") or "") if isinstance(value, dict) else ""


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _other_kind(receipt: Receipt, snapshot: dict[str, Any], code: str) -> VerificationResult:
    """The public facts of a renewal application or batch receipt."""
    kind = str(snapshot.get("kind", ""))
    common: dict[str, Any] = {
        "code": code,
        "reference": receipt.reference,
        "filed_at": receipt.created_at,
        "kind": kind,
    }
    if kind == "batch":
        return VerificationResult(
            "authentic", declaration_count=len(snapshot["declarations"]), **common
        )
    common["organisation"] = _name(snapshot.get("organisation"))
    common["municipality"] = _name(snapshot.get("municipality"))
    address = snapshot["address"]
    requested = snapshot["requested"]
    maximum = requested.get("max_occupants")
    status = ""
    if receipt.permit_application_id is not None:
        application = db.session.get(PermitApplication, receipt.permit_application_id)
        status = application.status if application is not None else ""
    return VerificationResult(
        "authentic",
        street=str(address.get("street") or ""),
        number_label=str(address.get("number_label") or ""),
        postcode=str(address.get("postcode") or ""),
        town=str(address.get("town") or ""),
        requested_from=_iso_date(requested.get("valid_from")),
        requested_until=_iso_date(requested.get("valid_until")),
        requested_max=maximum if isinstance(maximum, int) else None,
        application_status=status,
        **common,
    )


def _latest(declaration: Declaration) -> Declaration:
    """The last filing of the chain that starts at ``declaration`` (following successors)."""
    current = declaration
    seen = {current.id}
    for _ in range(MAX_CHAIN_LENGTH):
        successor = db.session.execute(
            select(Declaration).where(Declaration.supersedes_id == current.id)
        ).scalar_one_or_none()
        if successor is None or successor.id in seen:
            return current
        seen.add(successor.id)
        current = successor
    return current


def _chain_state(receipt: Receipt) -> tuple[ChainState | None, date | None, str]:
    if receipt.declaration_id is None:
        return None, None, ""
    declaration = db.session.get(Declaration, receipt.declaration_id)
    if declaration is None:
        return None, None, ""
    latest = _latest(declaration)
    other = "" if latest.id == declaration.id else latest.reference
    if latest.kind == "end":
        return "ended", latest.end_date, other
    if latest.id != declaration.id:
        return "amended", latest.start_date, other
    return "current", None, ""


def verify_receipt(code: str) -> VerificationResult:
    """Check a verification code: authentic, not found, invalid (format) or tampered."""
    if len(code or "") > MAX_INPUT_LENGTH:
        return VerificationResult("invalid")
    try:
        normalised = normalise_verification_code(code)
    except InvalidValue:
        return VerificationResult("invalid")
    receipt = db.session.execute(
        select(Receipt).where(Receipt.verification_code == normalised)
    ).scalar_one_or_none()
    if receipt is None:
        return VerificationResult("not_found", code=normalised)
    snapshot = _snapshot(receipt) if _hash_matches(receipt) else None
    if snapshot is None:
        # Operations must hear of this: the stored receipt no longer matches its own hash.
        log.warning("receipt %s failed its integrity check", receipt.reference)
        return VerificationResult("tampered", code=normalised)
    proven = db.session.get(Organisation, receipt.organisation_id)
    filer_proven = proven is not None and proven.proven_at(receipt.created_at)
    if snapshot.get("kind") in ("permit_application", "batch"):
        return replace(_other_kind(receipt, snapshot, normalised), filer_proven=filer_proven)
    address = snapshot["address"]
    occupants = snapshot["declaration"].get("occupants")
    state, state_date, state_reference = _chain_state(receipt)
    return VerificationResult(
        "authentic",
        code=normalised,
        reference=receipt.reference,
        filed_at=receipt.created_at,
        kind=str(snapshot.get("kind", "")),
        street=str(address.get("street") or ""),
        number_label=str(address.get("number_label") or ""),
        postcode=str(address.get("postcode") or ""),
        town=str(address.get("town") or ""),
        occupants=occupants if isinstance(occupants, int) else None,
        state=state,
        state_date=state_date,
        state_reference=state_reference,
        filer_proven=filer_proven,
    )
