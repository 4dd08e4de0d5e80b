"""The municipal permit register (service layer): list, create, edit, revoke and import permits,
and the kinds of permit a municipality issues.

A permit is found by the municipality's decision reference (unique within the municipality), lies
at a register address in the admin's own municipality, and may name a holder organisation by KvK
number. A permit is never deleted: revoking keeps the row with its reason. Every change judges the
affected addresses again at once (``services.flags``), so flags open or resolve in the same
transaction, and writes an audit event. The CSV import is all or nothing: one bad line and nothing
is stored, with every bad line in the report. Nothing here commits; on ``Refused`` the caller
rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain.address import (
    normalise_addition,
    normalise_house_letter,
    normalise_postcode,
    parse_house_number,
)
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_kvk
from portal.domain.permits import (
    EXPIRING_WITHIN_DAYS,
    PERMIT_STATES,
    PermitFields,
    PermitValues,
    check_permit,
    normalise_decision_reference,
    permit_types_of,
    permit_types_setting,
    revocation_reason,
)
from portal.extensions import db
from portal.models import Address, Municipality, Organisation, Permit, User
from portal.services import audit, reevaluation
from portal.services.declarations import lock_address
from portal.services.errors import Refused
from portal.services.flags import evaluate_address, sync_flag
from portal.services.imports import ImportReport, RejectedLine, Source, read_csv
from portal.services.queries import Scope, scope_of, scoped
from portal.services.sorting import Sort, SortOptions, empty_last, ordered

# The states in the order pages list them.
STATE_ORDER = ("valid", "expiring", "expired", "future", "revoked")
# The register's sortable columns (first direction: A to Z, the most, the last day soonest).
SORTS = SortOptions(
    {
        "address": False,
        "reference": False,
        "holder": False,
        "permit_type": False,
        "maximum": True,
        "valid_until": False,
    },
    default="address",
)


# CSV header (Dutch) for each field, and the other names accepted for it (English, BAG-like).
COLUMNS: dict[str, str] = {
    "decision_reference": "besluitnummer",
    "postcode": "postcode",
    "house_number": "huisnummer",
    "house_letter": "huisletter",
    "house_number_addition": "toevoeging",
    "holder_kvk": "kvk_houder",
    "permit_type": "soort",
    "max_occupants": "max_bewoners",
    "valid_from": "geldig_van",
    "valid_until": "geldig_tot",
}
ALIASES: dict[str, tuple[str, ...]] = {
    "decision_reference": ("besluit", "decision_reference", "reference"),
    "house_number": ("house_number",),
    "house_letter": ("house_letter",),
    "house_number_addition": ("huisnummertoevoeging", "addition", "house_number_addition"),
    "holder_kvk": ("kvk", "holder_kvk"),
    "permit_type": ("type", "permit_type"),
    "max_occupants": ("max_occupants",),
    "valid_from": ("valid_from",),
    "valid_until": ("geldig_tot_en_met", "valid_until"),
}
# Columns a file may leave out (empty = no letter, no addition). The others must be there: an
# update from a file without ``kvk_houder`` or ``geldig_tot`` could not tell "empty" from "not
# given" and would drop the holder or the end date the register holds.
OPTIONAL_COLUMNS = ("house_letter", "house_number_addition")
_POSTCODE_CHUNK = 500


@dataclass(frozen=True)
class PermitLineProblem(RejectedLine):
    """A refused line of a permit file, with the column the problem is in."""

    column: str = ""


# --- who may, and the municipality's kinds of permit -------------------------------------------


def _require_admin(admin: User) -> Scope:
    scope = scope_of(admin)
    if admin.role != "municipal_admin" or scope.kind != "municipality":
        raise Refused.one("", "municipal_admin.only")
    return scope


def _municipality(scope: Scope) -> Municipality:
    municipality = db.session.execute(
        scoped(Municipality, scope).where(Municipality.id == scope.tenant_id)
    ).scalar_one_or_none()
    if municipality is None:
        raise Refused.one("", "municipal_admin.only")
    return municipality


def set_permit_types(admin: User, chosen: Iterable[str]) -> Municipality:
    """The kinds of permit the admin's municipality issues (at least one). Existing permits keep
    their kind; new permits and imports must use one of these."""
    municipality = _municipality(_require_admin(admin))
    try:
        setting = permit_types_setting(chosen)
    except InvalidValue as exc:
        raise Refused.one("permit_types", exc.code) from None
    previous = municipality.permit_types
    municipality.permit_types = setting
    audit.record(
        "permit.types",
        actor=admin,
        object_type="municipality",
        object_id=municipality.id,
        municipality_id=municipality.id,
        result="ok" if previous != setting else "unchanged",
        detail=json.dumps({"permit_types": setting, "previous": previous}),
    )
    return municipality


# --- the register list --------------------------------------------------------------------------


def state_condition(state: str, today: date) -> ColumnElement[bool]:
    """SQL for ``domain.permits.permit_state(...) == state`` (tested against it row by row)."""
    valid = Permit.status == "valid"
    started = and_(valid, Permit.valid_from <= today)
    soon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    if state == "revoked":
        return Permit.status == "revoked"
    if state == "future":
        return and_(valid, Permit.valid_from > today)
    if state == "expired":
        return and_(started, Permit.valid_until < today)
    if state == "expiring":
        return and_(started, Permit.valid_until >= today, Permit.valid_until <= soon)
    if state == "valid":
        return and_(started, or_(Permit.valid_until.is_(None), Permit.valid_until > soon))
    raise ValueError(state)


def _text_condition(text: str) -> ColumnElement[bool] | None:
    text = " ".join(text.split())[:100]
    if not text:
        return None
    options: list[ColumnElement[bool]] = [
        Address.street.icontains(text, autoescape=True),
        Address.town.icontains(text, autoescape=True),
        Permit.decision_reference.icontains(text, autoescape=True),
        Organisation.name.icontains(text, autoescape=True),
        Organisation.kvk_number == text.replace(" ", ""),
    ]
    compact = text.replace(" ", "").upper()
    letters = compact[4:]
    if 4 <= len(compact) <= 6 and compact[:4].isdigit() and (not letters or letters.isalpha()):
        postcode = compact[:4] + (" " + letters if letters else "")
        options.append(Address.postcode.startswith(postcode, autoescape=True))
    return or_(*options)


def permits_query(
    scope: Scope,
    *,
    state: str = "",
    permit_type: str = "",
    text: str = "",
    today: date,
    sort: Sort | None = None,
) -> Select[tuple[Permit]]:
    """The scope's permits, filtered by state, kind and a text (postcode, street, town, decision
    reference, holder name or KvK), sorted by ``sort`` (default: in address order)."""
    stmt = (
        scoped(Permit, scope)
        .join(Address, Permit.address_id == Address.id)
        .outerjoin(Organisation, Permit.holder_organisation_id == Organisation.id)
        .options(selectinload(Permit.address), selectinload(Permit.holder))
    )
    address = (
        Address.postcode,
        Address.house_number,
        Address.house_letter,
        Address.house_number_addition,
    )
    stmt = ordered(
        stmt,
        sort or SORTS.default_sort,
        {
            "address": address,
            "reference": (Permit.decision_reference,),
            "holder": empty_last(Organisation.name),
            "permit_type": (Permit.permit_type,),
            "maximum": (Permit.max_occupants,),
            "valid_until": empty_last(Permit.valid_until),
        },
        then=(*address, Permit.valid_from.desc(), Permit.id),
    )
    if state in PERMIT_STATES:
        stmt = stmt.where(state_condition(state, today))
    if permit_type:
        stmt = stmt.where(Permit.permit_type == permit_type)
    condition = _text_condition(text)
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt


def state_counts(scope: Scope, today: date) -> dict[str, int]:
    """How many of the scope's permits are in each state (one query)."""
    state = case(
        *((state_condition(name, today), name) for name in PERMIT_STATES), else_="other"
    ).label("state")
    inner = scoped(Permit, scope).with_only_columns(state).subquery()
    counts = {name: 0 for name in PERMIT_STATES}
    for name, number in db.session.execute(
        select(inner.c.state, func.count()).group_by(inner.c.state)
    ):
        counts[name] = int(number)
    return counts


def permit_fields_of(permit: Permit) -> PermitFields:
    """A stored permit as form text (to edit it)."""
    address = permit.address
    return PermitFields(
        decision_reference=permit.decision_reference,
        postcode=address.postcode,
        house_number=str(address.house_number),
        house_letter=address.house_letter,
        house_number_addition=address.house_number_addition,
        holder_kvk=permit.holder.kvk_number if permit.holder else "",
        permit_type=permit.permit_type,
        max_occupants=str(permit.max_occupants),
        valid_from=permit.valid_from.isoformat(),
        valid_until=permit.valid_until.isoformat() if permit.valid_until else "",
    )


# --- checking against the register ---------------------------------------------------------------

AddressKey = tuple[str, int, str, str]


def _try(parse: Any, raw: Any) -> Any:
    try:
        return parse(raw)
    except InvalidValue:
        return None


def _address_key(f: PermitFields) -> AddressKey | None:
    postcode = _try(normalise_postcode, f.postcode)
    number = _try(parse_house_number, f.house_number)
    letter = _try(normalise_house_letter, f.house_letter)
    addition = _try(normalise_addition, f.house_number_addition)
    if postcode is None or number is None or letter is None or addition is None:
        return None
    return (postcode, number, letter, addition)


def _kvk(f: PermitFields) -> str | None:
    return _try(normalise_kvk, f.holder_kvk) if f.holder_kvk.strip() else None


class _Register:
    """Finds addresses, holders and existing permits for a batch of permit lines, loading each in
    a few queries (a municipality's whole register may come in one file)."""

    def __init__(self, municipality: Municipality, lines: Sequence[PermitFields]) -> None:
        self.municipality = municipality
        self.scope = Scope("municipality", municipality.id)
        self.allowed = permit_types_of(municipality.permit_types)
        keys = {k for k in map(_address_key, lines) if k is not None}
        postcodes = sorted({k[0] for k in keys})
        self.addresses: dict[AddressKey, Address] = {}
        for start in range(0, len(postcodes), _POSTCODE_CHUNK):
            # The register is national reference data: looking outside the municipality lets a
            # foreign address get its own message instead of "unknown".
            for address in db.session.execute(
                select(Address).where(
                    Address.postcode.in_(postcodes[start : start + _POSTCODE_CHUNK]),
                    Address.retired_at.is_(None),  # a retired row's declarations moved on
                )
            ).scalars():
                key = (
                    address.postcode,
                    address.house_number,
                    address.house_letter,
                    address.house_number_addition,
                )
                known = self.addresses.get(key)
                if known is None or (address.verified and not known.verified):
                    self.addresses[key] = address  # the register's row before a manual one
        kvks = sorted({k for k in map(_kvk, lines) if k})
        self.holders: dict[str, Organisation] = {}
        if kvks:
            self.holders = {
                o.kvk_number: o
                for o in db.session.execute(
                    select(Organisation).where(Organisation.kvk_number.in_(kvks))
                ).scalars()
            }
        references = sorted(
            {
                r
                for r in (_try(normalise_decision_reference, f.decision_reference) for f in lines)
                if r
            }
        )
        self.permits: dict[str, Permit] = {}
        if references:
            self.permits = {
                p.decision_reference: p
                for p in db.session.execute(
                    scoped(Permit, self.scope).where(Permit.decision_reference.in_(references))
                ).scalars()
            }

    def check(
        self, f: PermitFields, editing: Permit | None = None
    ) -> tuple[PermitValues | None, Address | None, Organisation | None, list[Problem]]:
        """Check a line against the rules and the register; every problem it has."""
        allowed = list(self.allowed)
        if editing is not None and editing.permit_type not in allowed:
            allowed.append(editing.permit_type)  # a kind no longer issued may stay on its permit
        values, problems = check_permit(f, allowed)
        key = _address_key(f)
        address = self.addresses.get(key) if key is not None else None
        if key is not None:
            if address is None:
                problems.append(Problem("postcode", "permit.address.unknown"))
            elif address.municipality_id != self.municipality.id:
                problems.append(Problem("postcode", "permit.address.other_municipality"))
        kvk = _kvk(f)
        holder = self.holders.get(kvk) if kvk else None
        if kvk and holder is None:
            problems.append(Problem("holder_kvk", "organisation.unknown"))
        reference = _try(normalise_decision_reference, f.decision_reference)
        other = self.permits.get(reference) if reference else None
        if other is not None and (editing is None or other.id != editing.id):
            problems.append(Problem("decision_reference", "permit.decision_reference.taken"))
        return (None if problems else values), address, holder, problems


# --- create, edit, revoke -------------------------------------------------------------------------


def _snapshot(permit: Permit) -> dict[str, object]:
    return {
        "decision_reference": permit.decision_reference,
        "address_id": permit.address_id,
        "holder_organisation_id": permit.holder_organisation_id,
        "permit_type": permit.permit_type,
        "max_occupants": permit.max_occupants,
        "valid_from": permit.valid_from.isoformat(),
        "valid_until": permit.valid_until.isoformat() if permit.valid_until else None,
        "status": permit.status,
    }


def _wanted(
    values: PermitValues, address: Address, holder: Organisation | None
) -> dict[str, object]:
    return {
        "decision_reference": values.decision_reference,
        "address_id": address.id,
        "holder_organisation_id": holder.id if holder else None,
        "permit_type": values.permit_type,
        "max_occupants": values.max_occupants,
        "valid_from": values.valid_from,
        "valid_until": values.valid_until,
    }


def _differs(
    permit: Permit, values: PermitValues, address: Address, holder: Organisation | None
) -> bool:
    wanted = _wanted(values, address, holder)
    return any(getattr(permit, name) != value for name, value in wanted.items())


def _apply(
    permit: Permit, values: PermitValues, address: Address, holder: Organisation | None
) -> bool:
    """Write ``values`` onto ``permit``; whether anything changed."""
    changed = False
    for name, value in _wanted(values, address, holder).items():
        if getattr(permit, name) != value:
            setattr(permit, name, value)
            changed = True
    return changed


def _flush_unique() -> None:
    try:
        db.session.flush()
    except sa_exc.IntegrityError as exc:
        # Another admin stored a permit with the same decision reference a moment ago.
        raise Refused.one("decision_reference", "permit.decision_reference.taken") from exc


def _record(
    action: str, actor: User | None, permit: Permit, detail: dict[str, object], result: str = "ok"
) -> None:
    audit.record(
        action,
        actor=actor,
        actor_label="" if actor is not None else "system",
        object_type="permit",
        object_id=permit.id,
        municipality_id=permit.municipality_id,
        organisation_id=permit.holder_organisation_id,
        result=result,
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False),
    )


def reevaluate_addresses(address_ids: Iterable[int], actor: User | None) -> None:
    """Judge these addresses again now and open, update or resolve their flags (locks each
    address in id order, as a filing does)."""
    db.session.flush()
    for address_id in sorted(set(address_ids)):
        address = lock_address(address_id)
        sync_flag(address, evaluate_address(address), actor)


def create_permit(admin: User, f: PermitFields) -> Permit:
    """Register a permit in the admin's municipality; refused with every problem at its field."""
    municipality = _municipality(_require_admin(admin))
    register = _Register(municipality, [f])
    values, address, holder, problems = register.check(f)
    if problems:
        raise Refused(*problems)
    assert values is not None and address is not None
    permit = Permit(municipality_id=municipality.id, status="valid", covers_lodging=True)
    _apply(permit, values, address, holder)
    db.session.add(permit)
    _flush_unique()
    _record("permit.create", admin, permit, _snapshot(permit))
    reevaluate_addresses([permit.address_id], admin)
    return permit


def update_permit(admin: User, permit: Permit, f: PermitFields) -> bool:
    """Change a permit of the admin's municipality (not a revoked one); whether it changed."""
    scope = _require_admin(admin)
    if permit.municipality_id != scope.tenant_id:
        raise Refused.one("", "municipal_admin.only")
    if permit.status == "revoked":
        raise Refused.one("", "permit.revoked")
    register = _Register(_municipality(scope), [f])
    values, address, holder, problems = register.check(f, editing=permit)
    if problems:
        raise Refused(*problems)
    assert values is not None and address is not None
    before = _snapshot(permit)
    old_address = permit.address_id
    if not _apply(permit, values, address, holder):
        return False
    permit.updated_at = clock.now()
    _flush_unique()
    _record("permit.update", admin, permit, {"permit": _snapshot(permit), "before": before})
    reevaluate_addresses({old_address, permit.address_id}, admin)
    return True


def revoke_permit(admin: User, permit: Permit, reason: str) -> Permit:
    """Revoke a permit (the row stays, with the reason); the address is judged without it."""
    scope = _require_admin(admin)
    if permit.municipality_id != scope.tenant_id:
        raise Refused.one("", "municipal_admin.only")
    if permit.status == "revoked":
        raise Refused.one("", "permit.already_revoked")
    try:
        text = revocation_reason(reason)
    except InvalidValue as exc:
        raise Refused.one("reason", exc.code) from None
    permit.status = "revoked"
    permit.revoked_at = permit.updated_at = clock.now()
    permit.revocation_reason = text
    db.session.flush()
    _record("permit.revoke", admin, permit, {"reason": text, "permit": _snapshot(permit)})
    reevaluate_addresses([permit.address_id], admin)
    return permit


# --- the CSV import ------------------------------------------------------------------------------


def _columns(found: dict[str, int]) -> dict[str, int]:
    """Field name → column index, from the header (Dutch names or their aliases)."""
    indexes: dict[str, int] = {}
    missing: list[str] = []
    for name, header in COLUMNS.items():
        for candidate in (header, *ALIASES.get(name, ())):
            if candidate in found:
                indexes[name] = found[candidate]
                break
        else:
            if name not in OPTIONAL_COLUMNS:
                missing.append(header)
    if missing:
        raise Refused.one("file", "columns.missing", ", ".join(missing))
    return indexes


_Checked = tuple[PermitValues, Address, Organisation | None]


def _permit_lines(source: Source) -> list[tuple[int, PermitFields]]:
    """The file's lines as (line number, fields); refused when it is not UTF-8 CSV, a column is
    missing or it has no lines."""
    table = read_csv(source, ())
    indexes = _columns(table.columns)
    lines: list[tuple[int, PermitFields]] = []
    for number, cells in table.lines:
        raw = {
            name: (cells[index] if index < len(cells) else "") for name, index in indexes.items()
        }
        lines.append((number, PermitFields(**raw)))
    if not lines:
        raise Refused.one("file", "permit.import.empty")
    return lines


def _check_line(
    register: _Register, number: int, f: PermitFields, first_line: dict[str, int]
) -> tuple[_Checked | None, list[PermitLineProblem]]:
    """One line checked against the rules, the register and the lines before it (``first_line``:
    decision reference → the line that had it first, updated here)."""
    existing = register.permits.get(_try(normalise_decision_reference, f.decision_reference) or "")
    values, address, holder, problems = register.check(f, editing=existing)
    # A revoked permit stays as it was: the same line again is fine, a change is not.
    revoked = existing is not None and existing.status == "revoked"
    if revoked and values is not None and address is not None:
        assert existing is not None
        if _differs(existing, values, address, holder):
            problems.append(Problem("decision_reference", "permit.revoked"))
    reference = _try(normalise_decision_reference, f.decision_reference)
    detail = ""
    if reference:
        if reference in first_line:
            problems.append(Problem("decision_reference", "duplicate_in_file"))
            detail = f"line {first_line[reference]}"
        else:
            first_line[reference] = number
    rejected = [
        PermitLineProblem(
            number,
            problem.code,
            detail if problem.code == "duplicate_in_file" else problem.detail,
            column=COLUMNS.get(problem.field, problem.field),
        )
        for problem in problems
    ]
    if not problems and values is not None and address is not None:
        return (values, address, holder), rejected
    return None, rejected


@dataclass
class _Written:
    created: list[Permit] = field(default_factory=list)
    updated: list[tuple[Permit, dict[str, object]]] = field(default_factory=list)  # with before
    touched: set[int] = field(default_factory=set)  # address ids to judge again


def _write_permits(
    municipality: Municipality, register: _Register, checked: list[_Checked], report: ImportReport
) -> _Written:
    """Create the new permits and change the changed ones (one flush); counts the unchanged."""
    written = _Written()
    for values, address, holder in checked:
        permit = register.permits.get(values.decision_reference)
        if permit is None:
            permit = Permit(municipality_id=municipality.id, status="valid", covers_lodging=True)
            _apply(permit, values, address, holder)
            db.session.add(permit)
            written.created.append(permit)
            written.touched.add(address.id)
            continue
        before = _snapshot(permit)
        old_address = permit.address_id
        if _apply(permit, values, address, holder):
            permit.updated_at = clock.now()
            written.updated.append((permit, before))
            written.touched |= {old_address, address.id}
        else:
            report.unchanged += 1
    _flush_unique()  # one flush for the whole file; the audit events need the new ids
    return written


def _record_import(
    municipality: Municipality, actor: User | None, written: _Written, report: ImportReport
) -> None:
    """An audit event per created and per changed permit, and one for the import."""
    for permit in written.created:
        _record("permit.create", actor, permit, _snapshot(permit), result="import")
    for permit, before in written.updated:
        detail = {"permit": _snapshot(permit), "before": before}
        _record("permit.update", actor, permit, detail, result="import")
    audit.record(
        "permit.import",
        actor=actor,
        actor_label="" if actor is not None else "system",
        object_type="municipality",
        object_id=municipality.id,
        municipality_id=municipality.id,
        detail=json.dumps(
            {"inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged}
        ),
    )


def import_permits(municipality: Municipality, source: Source, actor: User | None) -> ImportReport:
    """Upsert the municipality's permits from a CSV, keyed by decision reference.

    All or nothing: when any line is bad the report lists every problem of every bad line (line
    number, column, reason) and nothing is stored. Refused when the file is not UTF-8 CSV or a
    column is missing. A revoked permit is not changed by an import.
    """
    lines = _permit_lines(source)
    report = ImportReport()
    register = _Register(municipality, [f for _, f in lines])
    checked: list[_Checked] = []
    first_line: dict[str, int] = {}
    for number, f in lines:
        good, rejected = _check_line(register, number, f, first_line)
        report.rejected += rejected
        if good is not None:
            checked.append(good)
    if report.rejected:
        return report  # nothing written: the file is all or nothing

    written = _write_permits(municipality, register, checked, report)
    report.inserted, report.updated = len(written.created), len(written.updated)
    _record_import(municipality, actor, written, report)
    reevaluation.reevaluate_addresses(written.touched, clock.today())
    return report


def import_for_admin(admin: User, source: Source) -> ImportReport:
    """The import page: the admin's own municipality."""
    return import_permits(_municipality(_require_admin(admin)), source, admin)


def municipality_by_code(code: str) -> Municipality:
    """For the CLI: a municipality by its CBS code, or refused."""
    from portal.domain.identifiers import normalise_municipality_code

    try:
        wanted = normalise_municipality_code(code)
    except InvalidValue as exc:
        raise Refused.one("municipality", exc.code) from None
    municipality = db.session.execute(
        select(Municipality).where(Municipality.code == wanted)
    ).scalar_one_or_none()
    if municipality is None:
        raise Refused.one("municipality", "municipality.unknown", wanted)
    return municipality
