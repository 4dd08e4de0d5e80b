"""Filing, amending and ending declarations (service layer).

Every filing is one transaction that serialises on the address: the address row is locked
(``SELECT … FOR UPDATE`` on PostgreSQL) before the occupancy of the address is read, so two
organisations declaring at the same moment are both counted (docs/security.md §7). Within that
transaction the declaration, its receipt record, the audit event and the flag are written; the
caller commits once. Over-limit declarations are accepted and flagged, never refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased, selectinload

from portal import clock
from portal.domain.address import (
    normalise_addition,
    normalise_house_letter,
    normalise_place_name,
    normalise_postcode,
    parse_house_number,
    resolve_unit,
    use_codes,
)
from portal.domain.address_entries import Place
from portal.domain.declarations import (
    DeclarationInput,
    amendment_problems,
    declaration_problems,
    end_problems,
)
from portal.domain.errors import InvalidValue, Problem
from portal.domain.findings import receipt_findings
from portal.domain.identifiers import normalise_kvk, normalise_municipality_code
from portal.domain.occupancy import (
    Evaluation,
    Finding,
    late_finding,
)
from portal.domain.receipt_codes import format_reference, new_verification_code
from portal.domain.snapshots import FilingFacts, Party, ReceiptAddress, filing_snapshot
from portal.extensions import db
from portal.models import (
    UNREGISTERED_LIVE,
    Address,
    ApiKey,
    Declaration,
    Municipality,
    Receipt,
    ReferenceNumber,
    User,
)
from portal.notifications import alerts
from portal.receipts import TEMPLATE_VERSION
from portal.services import address_entries, audit, mandates
from portal.services.errors import Refused
from portal.services.flags import evaluate_address, sync_flag
from portal.services.municipalities import policy_for
from portal.services.queries import Scope, scoped
from portal.services.receipts import sealed
from portal.services.sorting import Sort, SortOptions, empty_last, ordered

# Who files: a person, or an organisation's API key (filed_by_user_id stays empty, api_key_id is
# set and the audit trail names the key as ``api-key:<prefix>``).
Actor = User | ApiKey


@dataclass(frozen=True)
class ManualAddress:
    """An address the register lacks, entered by hand (stored as unverified)."""

    postcode: str
    house_number: str
    street: str
    town: str
    municipality_code: str
    house_letter: str = ""
    house_number_addition: str = ""


@dataclass
class FilingResult:
    declaration: Declaration
    receipt: Receipt
    evaluation: Evaluation
    findings: list[Finding] = field(default_factory=list)


# --- address -----------------------------------------------------------------------------------


def _registered(values: dict[str, object]) -> Address | None:
    """The register address these hand-typed parts name, if the register has it. An empty
    letter or addition says "none": ``domain.address.resolve_unit``, the address resolution of
    the look-up, the API and the CSV upload, for a named unit."""
    at_number = list(
        db.session.execute(
            select(Address)
            .where(
                Address.postcode == values["postcode"],
                Address.house_number == values["house_number"],
                Address.verified,
            )
            .order_by(Address.id)
        ).scalars()
    )
    match = resolve_unit(
        [(a.house_letter, a.house_number_addition) for a in at_number],
        str(values["house_letter"]),
        str(values["house_number_addition"]),
    )
    return at_number[match.index] if match.index is not None else None


_UNIT = ("postcode", "house_number", "house_letter", "house_number_addition")


def _replacement(values: dict[str, object]) -> Address | None:
    """The register address a municipal admin linked this unregistered address to, if any."""
    retired = db.session.execute(
        select(Address)
        .where(*(getattr(Address, name) == values[name] for name in _UNIT))
        .where(~Address.verified, Address.replaced_by_id.is_not(None))
        .order_by(Address.retired_at.desc(), Address.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return db.session.get(Address, retired.replaced_by_id) if retired is not None else None


def _unregistered(values: dict[str, object], municipality_id: int) -> Address:
    """The one row of this unregistered address: inserted with the values of whoever enters it
    first, or — when it exists, or another transaction inserts it at this moment — the existing
    row (``INSERT … ON CONFLICT DO NOTHING`` on the partial unique index, then a select: the
    insert waits for a concurrent inserter's commit, so all of them meet on one row)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    now = clock.now()
    statement = (
        insert(Address)
        .values(
            street=values["street"],
            house_number=values["house_number"],
            house_letter=values["house_letter"],
            house_number_addition=values["house_number_addition"],
            postcode=values["postcode"],
            town=values["town"],
            municipality_id=municipality_id,
            floor_area_m2=None,
            uses="",
            bag_status="",
            verified=False,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=list(_UNIT), index_where=sql_text(UNREGISTERED_LIVE))
    )
    db.session.execute(statement)
    return db.session.execute(
        select(Address)
        .where(*(getattr(Address, name) == values[name] for name in _UNIT))
        .where(sql_text(UNREGISTERED_LIVE))
        .execution_options(populate_existing=True)
    ).scalar_one()


def resolve_manual_address(manual: ManualAddress) -> tuple[Address, Place | None]:
    """The register address with these parts (no place), or the one unregistered row of them
    with the place this entry names (flushed): the caller records the entry under the lock."""
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for name, fn, raw in (
        ("postcode", normalise_postcode, manual.postcode),
        ("house_number", parse_house_number, manual.house_number),
        ("house_letter", normalise_house_letter, manual.house_letter),
        ("house_number_addition", normalise_addition, manual.house_number_addition),
        ("municipality", normalise_municipality_code, manual.municipality_code),
    ):
        try:
            values[name] = fn(raw)
        except InvalidValue as exc:
            problems.append(Problem(name, exc.code))
    for name, raw, max_length in (("street", manual.street, 120), ("town", manual.town, 80)):
        try:
            values[name] = text_value = normalise_place_name(raw)
        except InvalidValue as exc:
            problems.append(Problem(name, exc.code))
            continue
        if not text_value:
            problems.append(Problem(name, f"{name}.required"))
        elif len(text_value) > max_length:
            problems.append(Problem(name, "field.too_long"))
    municipality = None
    if "municipality" in values:
        municipality = db.session.execute(
            select(Municipality).where(Municipality.code == values["municipality"])
        ).scalar_one_or_none()
        if municipality is None:
            problems.append(Problem("municipality", "municipality.unknown"))
    if problems:
        raise Refused(*problems)
    assert municipality is not None
    existing = _registered(values) or _replacement(values)
    if existing is not None:
        return existing, None
    address = _unregistered(values, municipality.id)
    return address, Place(str(values["street"]), str(values["town"]), municipality.id)


def lock_address(address_id: int) -> Address:
    """Lock the address row for the rest of the transaction (PostgreSQL); load it fresh."""
    address = db.session.execute(
        select(Address)
        .where(Address.id == address_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if address is None:
        raise Refused.one("address", "address.unknown")
    return address


# --- receipts ---------------------------------------------------------------------------------


def receipt_address(address: Any) -> ReceiptAddress:
    """The receipt's view of an address: an ``Address`` or a row with the same columns."""
    return ReceiptAddress(
        street=address.street,
        house_number=address.house_number,
        house_letter=address.house_letter,
        house_number_addition=address.house_number_addition,
        postcode=address.postcode,
        town=address.town,
        nummeraanduiding_id=address.nummeraanduiding_id,
        verified=address.verified,
        floor_area_m2=address.floor_area_m2,
        uses=use_codes(address.uses),
    )


def verify_base() -> str:
    """The public base URL receipts link their verify page under (no trailing slash)."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def filing_facts(declaration: Declaration, findings: list[Finding], code: str) -> FilingFacts:
    """The facts of a filed declaration (ORM objects) that its receipt shows."""
    supersedes = declaration.supersedes
    organisation = declaration.organisation
    return FilingFacts(
        kind=declaration.kind,
        reference=declaration.reference,
        filed_at=declaration.filed_at,
        verification_code=code,
        verify_base=verify_base(),
        municipality=Party(declaration.municipality.code, declaration.municipality.name),
        organisation=Party(organisation.kvk_number, organisation.name),
        declared_for_kvk=declaration.declared_for_kvk,
        address=receipt_address(declaration.address),
        occupants=declaration.occupants,
        occupants_registered_brp=declaration.occupants_registered_brp,
        start_date=declaration.start_date,
        end_date=declaration.end_date,
        end_reason=declaration.end_reason,
        separate_contracts=declaration.separate_contracts,
        supersedes=supersedes.reference if supersedes else None,
        findings=tuple(findings),
    )


def build_snapshot(
    declaration: Declaration, findings: list[Finding], code: str
) -> dict[str, object]:
    """The canonical content of a receipt: what was filed and the findings shown."""
    return filing_snapshot(filing_facts(declaration, findings, code))


def issue_receipt(declaration: Declaration, findings: list[Finding], locale: str) -> Receipt:
    """The receipt record of a filing (the PDF is rendered later, on first download)."""
    code = new_verification_code()
    while db.session.execute(select(Receipt.id).where(Receipt.verification_code == code)).first():
        code = new_verification_code()  # 60 random bits: a repeat is astronomically rare
    snapshot_json, sha256 = sealed(build_snapshot(declaration, findings, code))
    receipt = Receipt(
        reference=declaration.reference,
        verification_code=code,
        declaration_id=declaration.id,
        organisation_id=declaration.organisation_id,
        municipality_id=declaration.municipality_id,
        locale=locale,
        snapshot_json=snapshot_json,
        sha256=sha256,
        template_version=TEMPLATE_VERSION,
    )
    db.session.add(receipt)
    return receipt


def next_reference() -> str:
    number = ReferenceNumber()
    db.session.add(number)
    db.session.flush()
    return format_reference(clock.today().year, number.id)


# --- filing -----------------------------------------------------------------------------------


def _optional_kvk(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return normalise_kvk(raw)
    except InvalidValue as exc:
        raise Refused.one("declared_for_kvk", exc.code) from exc


def _file(actor: Actor, declaration: Declaration, changed_on: date, locale: str) -> FilingResult:
    """Write ``declaration`` at its (already locked) address, judge it, flag it, receipt it."""
    user = actor if isinstance(actor, User) else None
    declaration.reference = next_reference()
    declaration.filed_by_user_id = user.id if user is not None else None
    declaration.api_key_id = actor.id if isinstance(actor, ApiKey) else None
    declaration.filed_at = clock.now()
    db.session.add(declaration)
    db.session.flush()
    if declaration.root_id is None and declaration.supersedes_id is None:
        declaration.root_id = declaration.id
    address = declaration.address
    evaluation = evaluate_address(address, since=declaration.start_date)
    today = clock.today()
    late = late_finding(
        today, changed_on, declaration.occupants, policy_for(address.municipality_id, changed_on)
    )
    findings = receipt_findings(
        evaluation.findings, declaration.start_date, declaration.end_date, late
    )
    sync_flag(
        address, evaluation if declaration.start_date >= today else evaluate_address(address), user
    )
    receipt = issue_receipt(declaration, findings, locale)
    audit.record(
        f"declaration.{declaration.kind}",
        actor=user,
        actor_label=f"api-key:{actor.prefix}" if isinstance(actor, ApiKey) else "",
        object_type="declaration",
        object_id=declaration.reference,
        organisation_id=declaration.organisation_id,
        municipality_id=declaration.municipality_id,
    )
    db.session.flush()
    return FilingResult(declaration, receipt, evaluation, findings)


def file_declaration(
    user: Actor,
    data: DeclarationInput,
    *,
    address_id: int | None = None,
    manual_address: ManualAddress | None = None,
    declared_for_kvk: str | None = None,
    locale: str = "nl",
) -> FilingResult:
    """File a new declaration for the user's organisation."""
    if user.organisation_id is None:
        raise Refused.one("organisation", "organisation.required")
    problems = declaration_problems(data, clock.today())
    kvk = None
    try:
        kvk = _optional_kvk(declared_for_kvk)
    except Refused as exc:
        problems += exc.problems
    # On behalf of another organisation only under its mandate in force today (issue 18).
    if (no_mandate := mandates.mandate_problem(user.organisation_id, kvk)) is not None:
        problems.append(no_mandate)
    if problems:
        raise Refused(*problems)
    place = None
    if manual_address is not None:
        resolved, place = resolve_manual_address(manual_address)
        address_id = resolved.id
    if address_id is None:
        raise Refused.one("address", "address.unknown")
    address = lock_address(address_id)
    if address.retired_at is not None:
        raise Refused.one("address", "address.unknown")
    if place is not None:
        # Under the lock: entries of one address are kept in the order they are filed.
        address_entries.record_entry(address, user.organisation_id, place)
    assert data.occupants is not None and data.start_date is not None
    declaration = Declaration(
        kind="new",
        organisation_id=user.organisation_id,
        declared_for_kvk=kvk,
        address_id=address.id,
        municipality_id=address.municipality_id,
        occupants=data.occupants,
        occupants_registered_brp=data.occupants_registered_brp,
        start_date=data.start_date,
        end_date=data.end_date,
        separate_contracts=bool(data.separate_contracts),
    )
    declaration.address = address
    return _file(user, declaration, data.start_date, locale)


def _current(declaration: Declaration) -> Declaration:
    """Lock the address, then make sure ``declaration`` is still the latest of its chain."""
    lock_address(declaration.address_id)
    successor = db.session.execute(
        select(Declaration.id).where(Declaration.supersedes_id == declaration.id)
    ).first()
    if successor is not None:
        raise Refused.one("declaration", "declaration.superseded")
    if declaration.kind == "end":
        raise Refused.one("declaration", "declaration.ended")
    return declaration


def _successor(current: Declaration, kind: str, **changes: object) -> Declaration:
    """A new filing that supersedes ``current``: its fields, with ``changes``."""
    fields: dict[str, object] = {
        "organisation_id": current.organisation_id,
        "declared_for_kvk": current.declared_for_kvk,
        "address_id": current.address_id,
        "municipality_id": current.municipality_id,
        "occupants": current.occupants,
        "occupants_registered_brp": current.occupants_registered_brp,
        "start_date": current.start_date,
        "end_date": current.end_date,
        "separate_contracts": current.separate_contracts,
    }
    fields.update(changes)
    successor = Declaration(kind=kind, supersedes_id=current.id, root_id=current.chain_id, **fields)
    successor.address = current.address
    successor.supersedes = current
    return successor


def amend_declaration(
    user: Actor,
    declaration: Declaration,
    occupants: int | None,
    effective_date: date | None,
    occupants_registered_brp: int | None = None,
    locale: str = "nl",
) -> FilingResult:
    """File a successor with a new count from ``effective_date``.

    A declaration made on behalf of another organisation is amended only under a mandate in
    force today (a new count is a new statement for that organisation); its end is always
    accepted (docs/mandates.md)."""
    current = _current(declaration)
    problems = amendment_problems(
        current.start_date,
        current.end_date,
        occupants,
        effective_date,
        clock.today(),
        occupants_registered_brp,
    )
    no_mandate = mandates.mandate_problem(current.organisation_id, current.declared_for_kvk)
    if no_mandate is not None:
        problems.append(no_mandate)
    if problems:
        raise Refused(*problems)
    assert occupants is not None and effective_date is not None
    successor = _successor(
        current,
        "amendment",
        occupants=occupants,
        occupants_registered_brp=occupants_registered_brp,
        start_date=effective_date,
    )
    return _file(user, successor, effective_date, locale)


def end_declaration(
    user: Actor,
    declaration: Declaration,
    end_date: date | None,
    reason: str | None,
    locale: str = "nl",
) -> FilingResult:
    """File the end of a declaration: its last day and why."""
    current = _current(declaration)
    problems = end_problems(current.start_date, end_date, reason, clock.today())
    if problems:
        raise Refused(*problems)
    assert end_date is not None
    ended = _successor(current, "end", end_date=end_date, end_reason=reason)
    result = _file(user, ended, end_date, locale)
    # The safety net: the support desk hears, in this transaction, that people lost the job
    # their housing depended on (counts only).
    alerts.notify_support_desk(result.declaration)
    return result


def receipt_snapshot(receipt: Receipt) -> dict[str, object]:
    return dict(json.loads(receipt.snapshot_json))


# --- reading ----------------------------------------------------------------------------------

STATUS_FILTERS = ("active", "ending", "ended", "all")
# "Ending": the last declared day is today or within this many days (the start page's to-do).
ENDING_WITHIN_DAYS = 14
# The declarations list's sortable columns (first direction: newest, most, A to Z). References are
# issued in filing order, so the reference column sorts by the filing time.
SORTS = SortOptions(
    {"reference": True, "address": False, "occupants": True, "period": True}, default="reference"
)


def declaration_status(declaration: Declaration, today: date | None = None) -> str:
    """``future``, ``active`` or ``ended`` for the latest filing of a chain."""
    today = today or clock.today()
    if declaration.end_date is not None and declaration.end_date < today:
        return "ended"
    if declaration.start_date > today:
        return "future"
    return "active"


def current_declarations_query(
    scope: Scope,
    status: str = "active",
    municipality_id: int | None = None,
    q: str = "",
    sort: Sort | None = None,
) -> Select[tuple[Declaration]]:
    """The latest filing of every chain the scope may see, filtered, sorted by ``sort`` (default:
    newest first)."""
    successor = aliased(Declaration)
    stmt = (
        scoped(Declaration, scope)
        .join(Address, Address.id == Declaration.address_id)
        .where(~exists().where(successor.supersedes_id == Declaration.id))
        .options(
            selectinload(Declaration.address),
            selectinload(Declaration.receipt),
            selectinload(Declaration.municipality),
        )
    )
    stmt = ordered(
        stmt,
        sort or SORTS.default_sort,
        {
            "reference": (Declaration.filed_at, Declaration.id),
            "address": (
                Address.street,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
                Address.postcode,
            ),
            "occupants": (Declaration.occupants,),
            "period": (Declaration.start_date, *empty_last(Declaration.end_date)),
        },
        then=(Declaration.id.desc(),),
    )
    today = clock.today()
    if status == "active":
        stmt = stmt.where(or_(Declaration.end_date.is_(None), Declaration.end_date >= today))
    elif status == "ending":
        soon = today + timedelta(days=ENDING_WITHIN_DAYS)
        stmt = stmt.where(Declaration.end_date >= today, Declaration.end_date <= soon)
    elif status == "ended":
        stmt = stmt.where(Declaration.end_date < today)
    if municipality_id:
        stmt = stmt.where(Declaration.municipality_id == municipality_id)
    text = " ".join((q or "").split())[:100]
    if text:
        try:
            stmt = stmt.where(Address.postcode == normalise_postcode(text))
        except InvalidValue:
            stmt = stmt.where(Address.street.ilike(f"%{_escape_like(text)}%", escape="\\"))
    return stmt


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def chain_of(declaration: Declaration, scope: Scope) -> list[Declaration]:
    """Every filing of the declaration's chain, oldest first (the full history)."""
    stmt = (
        scoped(Declaration, scope)
        .where(Declaration.root_id == declaration.chain_id)
        .options(selectinload(Declaration.receipt))
        .order_by(Declaration.filed_at, Declaration.id)
    )
    return list(db.session.execute(stmt).scalars())


def latest_in_chain(declaration: Declaration, scope: Scope) -> Declaration:
    return chain_of(declaration, scope)[-1]


def filing_findings(receipt: Receipt | None) -> list[dict[str, object]]:
    """The findings shown at filing, as stored on the receipt."""
    if receipt is None:
        return []
    return list(receipt_snapshot(receipt).get("findings", []))  # type: ignore[call-overload]


def declaration_municipalities(scope: Scope) -> list[Municipality]:
    """The municipalities in which the scope has declarations (for the filter)."""
    ids = select(Declaration.municipality_id).where(
        Declaration.id.in_(scoped(Declaration, scope).with_only_columns(Declaration.id))
    )
    return list(
        db.session.execute(
            select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.name)
        ).scalars()
    )
