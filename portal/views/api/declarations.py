"""API: declarations, their amendments and ends, and receipts (interface layer).

The same services as the web forms (``services.declarations``), called with the API key as the
actor, so the API refuses exactly what the forms refuse and finds exactly what they find.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from sqlalchemy import select

from portal.domain.address import validate_bag_id
from portal.domain.declarations import DeclarationInput
from portal.domain.errors import InvalidValue, Problem
from portal.extensions import db
from portal.models import Address, ApiKey, Declaration, Municipality, Receipt
from portal.receipts.texts import finding_title
from portal.services import audit, declarations, receipts
from portal.services.addresses import lookup_address
from portal.services.apikeys import actor_label, scope_of_key
from portal.services.errors import Refused
from portal.services.limits import download_attempt
from portal.services.queries import scoped
from portal.views.api import bp, commit_keeping_key, current_key, deny
from portal.views.api.errors import ApiProblem
from portal.views.api.io import Fields, idempotent, json_object, json_response, refused
from portal.views.transaction import commit_point

DECLARATION_FIELDS = (
    "address",
    "bag_id",
    "occupants",
    "occupants_registered_brp",
    "start_date",
    "end_date",
    "separate_contracts",
    "declared_for_kvk",
)
ADDRESS_FIELDS = ("postcode", "house_number", "house_letter", "house_number_addition")
# Service field names → JSON field names.
ADDRESS_ALIASES = {name: f"address.{name}" for name in ADDRESS_FIELDS}
PER_PAGE_MAX = 100


def organisation_key() -> ApiKey:
    key = current_key()
    if key.organisation_id is None:
        raise deny(key, "api.organisation_key_required")
    return key


def locale() -> str:
    wanted = request.args.get("lang", "nl")
    return wanted if wanted in ("nl", "en") else "nl"


# --- representation ----------------------------------------------------------------------------


def address_json(address: Address) -> dict[str, Any]:
    return {
        "bag_id": address.nummeraanduiding_id,
        "street": address.street,
        "house_number": address.house_number,
        "house_letter": address.house_letter or None,
        "house_number_addition": address.house_number_addition or None,
        "postcode": address.postcode,
        "town": address.town,
        "municipality": address.municipality.code if address.municipality else None,
        "verified": address.verified,
    }


def findings_json(receipt: Receipt | None) -> list[dict[str, Any]]:
    return [
        {
            "code": str(f["code"]),
            "severity": str(f["severity"]),
            "message": finding_title(str(f["code"])),
            "limit": f.get("limit"),
            "rule": f.get("rule"),
            "occupants": f.get("occupants"),
            "start": f.get("start"),
            "end": f.get("end"),
        }
        for f in declarations.filing_findings(receipt)
    ]


def receipt_json(receipt: Receipt | None) -> dict[str, Any] | None:
    if receipt is None:
        return None
    return {
        "verification_code": receipt.verification_code,
        "sha256": receipt.sha256,
        "pdf_url": url_for("api.receipt_pdf", reference=receipt.reference),
    }


def declaration_json(item: Declaration, latest: Declaration | None = None) -> dict[str, Any]:
    latest = latest or item
    return {
        "reference": item.reference,
        "kind": item.kind,
        "status": declarations.declaration_status(latest),
        "latest_reference": latest.reference,
        "supersedes": item.supersedes.reference if item.supersedes else None,
        "organisation_kvk": item.organisation.kvk_number,
        "declared_for_kvk": item.declared_for_kvk,
        "municipality": item.municipality.code,
        "address": address_json(item.address),
        "occupants": item.occupants,
        "occupants_registered_brp": item.occupants_registered_brp,
        "start_date": item.start_date.isoformat(),
        "end_date": item.end_date.isoformat() if item.end_date else None,
        "end_reason": item.end_reason,
        "separate_contracts": item.separate_contracts,
        "filed_at": item.filed_at.isoformat(),
        "findings": findings_json(item.receipt),
        "receipt": receipt_json(item.receipt),
    }


def _filed(result: declarations.FilingResult) -> Response:
    db.session.flush()
    body = declaration_json(result.declaration)
    location = url_for("api.get_declaration", reference=result.declaration.reference)
    return json_response(body, 201, {"Location": location})


def _by_reference(reference: str) -> Declaration:
    item = db.session.execute(
        scoped(Declaration, scope_of_key(current_key())).where(Declaration.reference == reference)
    ).scalar_one_or_none()
    if item is None:
        raise ApiProblem(404)
    return item


# --- filing ------------------------------------------------------------------------------------


def _resolve_address(data: dict[str, Any], fields: Fields) -> tuple[int | None, list[Problem]]:
    """The register address the body names (``address`` or ``bag_id``), or the problems."""
    has_address, has_bag = data.get("address") is not None, data.get("bag_id") is not None
    if has_address == has_bag:
        return None, [Problem("address", "address.one_of")]
    if has_bag:
        bag_id = fields.text("bag_id")
        if bag_id is None:
            return None, []
        try:
            wanted = validate_bag_id(bag_id, "20")
        except InvalidValue as exc:
            return None, [Problem("bag_id", exc.code)]
        found = db.session.execute(
            select(Address.id).where(Address.nummeraanduiding_id == wanted)
        ).scalar_one_or_none()
        if found is None:
            return None, [Problem("bag_id", "address.not_in_register")]
        return found, []
    raw = data["address"]
    if not isinstance(raw, dict):
        return None, [Problem("address", "field.type_object")]
    parts = Fields(raw, ADDRESS_FIELDS, prefix="address.")
    number: Any = raw.get("house_number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int | str)):
        parts.problems.append(Problem("address.house_number", "field.type_integer"))
    postcode = parts.text("postcode")
    # A key left out is not given (None); given as null it says "none" ("").
    letter = parts.text("house_letter") or ("" if "house_letter" in raw else None)
    addition = parts.text("house_number_addition") or (
        "" if "house_number_addition" in raw else None
    )
    if parts.problems:
        return None, parts.problems
    # The register's addresses only, as the batches (services.batches._resolve).
    result = lookup_address(
        postcode or "",
        number if number is not None else "",
        letter,
        addition,
        register_only=True,
    )
    if result.status == "invalid":
        return None, [
            Problem(ADDRESS_ALIASES.get(p.field, p.field), p.code) for p in result.problems
        ]
    candidates = ", ".join(
        f"{a.number_label} (bag_id {a.nummeraanduiding_id})" for a in result.choices
    )
    if result.status == "not_found":
        return None, [Problem("address", "address.not_in_register", candidates)]
    if result.status == "choose":
        return None, [Problem("address", "address.ambiguous", candidates)]
    assert result.address is not None
    return result.address.id, []


def _file_new() -> Response:
    key = organisation_key()
    data = json_object()
    fields = Fields(data, DECLARATION_FIELDS)
    entered = DeclarationInput(
        occupants=fields.integer("occupants"),
        start_date=fields.day("start_date"),
        end_date=fields.day("end_date"),
        occupants_registered_brp=fields.integer("occupants_registered_brp"),
        separate_contracts=fields.boolean("separate_contracts"),
    )
    kvk = fields.text("declared_for_kvk")
    address_id, address_problems = _resolve_address(data, fields)
    if fields.problems:
        raise ApiProblem(422, problems=fields.problems + address_problems)
    try:
        result = declarations.file_declaration(
            key, entered, address_id=address_id, declared_for_kvk=kvk, locale=locale()
        )
    except Refused as exc:
        problems = list(address_problems)
        problems += [p for p in exc.problems if not (address_problems and p.field == "address")]
        raise refused(Refused(*problems)) from None
    return _filed(result)


@bp.post("/declarations")
def create_declaration() -> Response:
    return idempotent(_file_new)


@bp.get("/declarations")
def list_declarations() -> Response:
    key = current_key()
    scope = scope_of_key(key)
    status = request.args.get("status", "active")
    problems: list[Problem] = []
    if status not in declarations.STATUS_FILTERS:
        problems.append(Problem("status", "query.value"))
    municipality_id = None
    code = request.args.get("municipality")
    if code:
        municipality_id = db.session.execute(
            select(Municipality.id).where(Municipality.code == code.strip().upper())
        ).scalar_one_or_none()
        if municipality_id is None:
            problems.append(Problem("municipality", "municipality.unknown"))
    page, per_page = page_args(problems)
    if problems:
        raise ApiProblem(422, problems=problems)
    stmt = declarations.current_declarations_query(scope, status, municipality_id)
    return json_response(paged(stmt, page, per_page, declaration_json))


def page_args(problems: list[Problem]) -> tuple[int, int]:
    values = []
    for name, default in (("page", 1), ("per_page", 50)):
        raw = request.args.get(name, str(default))
        # The length first: int() refuses more than 4,300 digits with a ValueError (a 500).
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 7) or not 1 <= int(raw) <= (
            PER_PAGE_MAX if name == "per_page" else 10**6
        ):
            problems.append(Problem(name, "page.format"))
            values.append(default)
        else:
            values.append(int(raw))
    return values[0], values[1]


def paged(stmt: Any, page: int, per_page: int, render: Any) -> dict[str, Any]:
    from sqlalchemy import func

    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars()
    return {
        "items": [render(item) for item in items],
        "page": page,
        "per_page": per_page,
        "total": int(total),
    }


@bp.get("/declarations/<reference>")
def get_declaration(reference: str) -> Response:
    item = _by_reference(reference)
    latest = declarations.latest_in_chain(item, scope_of_key(current_key()))
    return json_response(declaration_json(item, latest))


def _amend(reference: str) -> Response:
    key = organisation_key()
    data = json_object()
    fields = Fields(data, ("occupants", "occupants_registered_brp", "effective_date"))
    occupants = fields.integer("occupants")
    brp = fields.integer("occupants_registered_brp")
    effective = fields.day("effective_date")
    fields.check()
    item = _by_reference(reference)
    try:
        result = declarations.amend_declaration(
            key, item, occupants, effective, brp, locale=locale()
        )
    except Refused as exc:
        raise refused(exc) from None
    return _filed(result)


@bp.post("/declarations/<reference>/amendments")
def amend_declaration(reference: str) -> Response:
    return idempotent(lambda: _amend(reference))


def _end(reference: str) -> Response:
    key = organisation_key()
    data = json_object()
    fields = Fields(data, ("end_date", "reason"))
    end_date = fields.day("end_date")
    reason = fields.text("reason")
    fields.check()
    item = _by_reference(reference)
    try:
        result = declarations.end_declaration(key, item, end_date, reason, locale=locale())
    except Refused as exc:
        raise refused(exc) from None
    return _filed(result)


@bp.post("/declarations/<reference>/end")
def end_declaration(reference: str) -> Response:
    return idempotent(lambda: _end(reference))


@bp.get("/receipts/<reference>.pdf")
def receipt_pdf(reference: str) -> Response:
    key = current_key()
    receipt = db.session.execute(
        scoped(Receipt, scope_of_key(key)).where(Receipt.reference == reference)
    ).scalar_one_or_none()
    if receipt is None:
        raise ApiProblem(404)
    limit = download_attempt(f"key:{key.id}")  # PDFs cost more than JSON: a limit of their own
    commit_keeping_key()
    if not limit.allowed:
        raise ApiProblem(429, headers={"Retry-After": str(limit.retry_after)})
    with commit_point():  # a PDF rendered for the first time is stored with the audit event
        pdf = receipts.receipt_pdf(receipt)
        audit.record(
            "receipt.download",
            actor_label=actor_label(key),
            object_type="receipt",
            object_id=receipt.reference,
            organisation_id=key.organisation_id,
            municipality_id=key.municipality_id,
        )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{receipt.reference}.pdf"'},
    )
