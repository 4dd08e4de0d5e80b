"""The housing provider's permits and their renewal applications (service layer).

A holder sees its permits with their state and the address's declared total today — the total
over every organisation's filings, and only the total (never who declared). It applies to renew a
permit with a requested period and maximum and, optionally, a floor plan (a PDF checked by its
content, at most 5 MB). Every application gets a reference and a receipt like a declaration.

The municipal admin approves (a NEW permit for the new period; the old permit stays as it was),
rejects with a reason, or asks for more information, which the holder answers in the portal. A
decision is taken only on an open application, and the status check is part of the UPDATE itself,
so two admins deciding at the same moment cannot both succeed (the second one is refused and no
second permit is made). Approval re-evaluates the address at once, so a flag that rested on the
old maximum closes (or one opens) in the same transaction.

Every step writes an audit event and emails through the outbox: to the holder organisation's
contact address and the user who applied; a new application and an answer also to the
municipality's active municipal admins. Nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain import documents
from portal.domain import permit_applications as rules
from portal.domain.declarations import effective_occupancy
from portal.domain.errors import Problem
from portal.domain.occupancy import total_on
from portal.domain.permits import permit_state
from portal.domain.receipt_codes import canonical_json, new_verification_code, snapshot_sha256
from portal.extensions import db
from portal.models import (
    Address,
    Organisation,
    Permit,
    PermitApplication,
    PermitApplicationMessage,
    PermitDocument,
    Receipt,
    User,
)
from portal.models.permit import APPLICATION_STATUSES, OPEN_APPLICATION_STATUSES
from portal.notifications.outbox import enqueue_email
from portal.receipts import TEMPLATE_VERSION
from portal.services import audit
from portal.services.declarations import lock_address, next_reference
from portal.services.errors import Refused
from portal.services.flags import evaluate_address, sync_flag
from portal.services.occupancy import filings_by_address
from portal.services.queries import Scope, scoped
from portal.services.sorting import Sort, SortOptions, ordered

RECEIPT_KIND = "permit_application"


# --- the provider's permits ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderPermit:
    """One permit as its holder sees it."""

    permit: Permit
    state: str
    declared_total: int
    open_application: PermitApplication | None
    # The approved application that renewed this permit (its new permit is listed too).
    renewed_by: PermitApplication | None = None


def declared_totals(address_ids: Iterable[int], day: date) -> dict[int, int]:
    """The occupants declared on ``day`` per address, summed over ALL organisations' filings in
    force (amendments and ends supersede earlier filings, as in the occupancy rules)."""
    ids = sorted(set(address_ids))
    filings = filings_by_address(ids, day) if ids else {}
    return {i: total_on(day, effective_occupancy(filings.get(i, []))) for i in ids}


def state_of(permit: Permit, today: date | None = None) -> str:
    """future / valid / expiring (≤ 90 days) / expired / revoked."""
    return permit_state(
        permit.valid_from, permit.valid_until, permit.status == "revoked", today or clock.today()
    )


def needs_renewal(row: ProviderPermit) -> bool:
    """Expiring within 90 days with no renewal applied for or granted (a start page to-do;
    ``services.todo`` counts the same in SQL)."""
    return row.state == "expiring" and row.renewed_by is None and row.open_application is None


# The provider's permit list: its sortable columns, most urgent first by default.
PROVIDER_SORTS = SortOptions(
    {"state": False, "address": False, "valid_until": False, "maximum": True, "declared": True},
    default="state",
)
_URGENCY = {"expiring": 0, "expired": 1, "valid": 2, "future": 3, "revoked": 4}
_PROVIDER_KEYS: dict[str, Callable[[ProviderPermit], Any]] = {
    # Renewed permits last (their new permit is listed too), then by urgency.
    "state": lambda r: (r.renewed_by is not None, _URGENCY.get(r.state, 9)),
    "address": lambda r: (
        r.permit.address.street,
        r.permit.address.house_number,
        r.permit.address.house_letter,
        r.permit.address.house_number_addition,
    ),
    "valid_until": lambda r: (r.permit.valid_until is None, r.permit.valid_until or date.min),
    "maximum": lambda r: r.permit.max_occupants,
    "declared": lambda r: r.declared_total,
}


def provider_permits(
    scope: Scope, to_renew: bool = False, sort: Sort | None = None
) -> list[ProviderPermit]:
    """The permits the organisation holds with today's declared total, sorted by ``sort``
    (default: most urgent first; sorted here, as the state and the totals are computed);
    ``to_renew``: only those that need a renewal application (``needs_renewal``)."""
    today = clock.today()
    permits = list(
        db.session.execute(
            scoped(Permit, scope)
            .options(selectinload(Permit.address))
            .order_by(Permit.valid_until.is_(None), Permit.valid_until, Permit.id)
        ).scalars()
    )
    totals = declared_totals((p.address_id for p in permits), today)
    open_by_permit: dict[int, PermitApplication] = {}
    renewed: dict[int, PermitApplication] = {}
    for application in db.session.execute(
        scoped(PermitApplication, scope).where(
            PermitApplication.permit_id.in_([p.id for p in permits] or [0]),
            PermitApplication.status.in_((*OPEN_APPLICATION_STATUSES, "approved")),
        )
    ).scalars():
        if application.status == "approved":
            renewed[application.permit_id] = application
        else:
            open_by_permit[application.permit_id] = application
    rows = [
        ProviderPermit(
            p,
            state_of(p, today),
            totals.get(p.address_id, 0),
            open_by_permit.get(p.id),
            renewed.get(p.id),
        )
        for p in permits
    ]
    if to_renew:
        rows = [r for r in rows if needs_renewal(r)]
    sort = sort or PROVIDER_SORTS.default_sort
    return sorted(rows, key=_PROVIDER_KEYS[sort.column], reverse=sort.descending)


@dataclass(frozen=True)
class PermitSummary:
    total: int
    expiring: int


def permit_summary(scope: Scope) -> PermitSummary:
    """How many permits the organisation holds, and how many expire within 90 days without a
    renewal."""
    rows = provider_permits(scope)
    expiring = [r for r in rows if r.state == "expiring" and r.renewed_by is None]
    return PermitSummary(len(rows), len(expiring))


# The status filter of the lists: every application, the open ones, or one status.
APPLICATION_FILTERS = ("", "open", *APPLICATION_STATUSES)
# The lists' sortable columns; the default puts the open applications first, newest first.
SORTS = SortOptions(
    {
        "status": False,
        "reference": True,
        "applicant": False,
        "address": False,
        "submitted": True,
        "maximum": True,
    },
    default="status",
)


def applications_query(
    scope: Scope, status: str = "", sort: Sort | None = None
) -> Select[tuple[PermitApplication]]:
    """Applications visible in ``scope`` with ``status`` (``APPLICATION_FILTERS``; anything else:
    all), sorted by ``sort`` (default: open ones first, newest first)."""
    stmt = (
        scoped(PermitApplication, scope)
        .join(Organisation, Organisation.id == PermitApplication.organisation_id)
        .join(Address, Address.id == PermitApplication.address_id)
        .options(
            selectinload(PermitApplication.organisation), selectinload(PermitApplication.address)
        )
    )
    if status == "open":
        stmt = stmt.where(PermitApplication.status.in_(OPEN_APPLICATION_STATUSES))
    elif status in APPLICATION_STATUSES:
        stmt = stmt.where(PermitApplication.status == status)
    newest = (PermitApplication.submitted_at.desc(), PermitApplication.id.desc())
    return ordered(
        stmt,
        sort or SORTS.default_sort,
        {
            "status": (
                case((PermitApplication.status.in_(OPEN_APPLICATION_STATUSES), 0), else_=1),
            ),
            "reference": (PermitApplication.submitted_at, PermitApplication.id),
            "applicant": (Organisation.name,),
            "address": (
                Address.street,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
                Address.postcode,
            ),
            "submitted": (PermitApplication.submitted_at,),
            "maximum": (PermitApplication.requested_max_occupants,),
        },
        then=newest,
    )


def applications(scope: Scope, status: str = "") -> list[PermitApplication]:
    """Applications visible in ``scope`` with ``status``: open ones first, newest first."""
    return list(db.session.execute(applications_query(scope, status)).scalars())


def open_count(scope: Scope) -> int:
    """How many applications in ``scope`` wait for a decision or an answer."""
    stmt = scoped(PermitApplication, scope).where(
        PermitApplication.status.in_(OPEN_APPLICATION_STATUSES)
    )
    return int(db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def receipt_of(application: PermitApplication) -> Receipt | None:
    """The receipt issued when the application was filed."""
    return db.session.execute(
        select(Receipt).where(Receipt.permit_application_id == application.id)
    ).scalar_one_or_none()


# --- uploads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An uploaded file: the name the browser gave and its bytes (read with a size cap)."""

    filename: str
    data: bytes


def check_upload(upload: Upload | None, field: str) -> Upload | None:
    """The upload when it is an acceptable PDF, JPEG or PNG (``domain.documents``); None when
    nothing was chosen; else Refused."""
    if upload is None or (not upload.filename and not upload.data):
        return None
    problem = rules.document_problem(upload.data, field)
    if problem is not None:
        raise Refused(problem)
    return upload


def _store_document(
    application: PermitApplication, upload: Upload, user: User, purpose: str
) -> PermitDocument:
    document = PermitDocument(
        application_id=application.id,
        organisation_id=application.organisation_id,
        municipality_id=application.municipality_id,
        purpose=purpose,
        filename=rules.safe_filename(
            upload.filename,
            fallback=f"document{documents.extension(upload.data)}",
            extension=documents.extension(upload.data),
        ),
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        content=upload.data,
        uploaded_by_user_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def document_download_name(document: PermitDocument, application: PermitApplication) -> str:
    """A generated, header-safe file name: ``plattegrond-MH-2026-000123-7.pdf`` (``.jpg``,
    ``.png`` for an image: the kind of its content)."""
    reference = "".join(
        ch for ch in application.reference if (ch.isascii() and ch.isalnum()) or ch == "-"
    )
    prefix = "plattegrond" if document.purpose == "floor_plan" else "bijlage"
    return (
        f"{prefix}-{reference or 'aanvraag'}-{document.id}{documents.extension(document.content)}"
    )


# --- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalRequest:
    requested_from: date | None
    requested_until: date | None
    requested_max_occupants: int | None
    note: str = ""
    floor_plan: Upload | None = None


def _address_json(permit: Permit) -> dict[str, object]:
    address = permit.address
    return {
        "street": address.street,
        "number_label": address.number_label,
        "postcode": address.postcode,
        "town": address.town,
        "nummeraanduiding_id": address.nummeraanduiding_id,
    }


def build_snapshot(
    application: PermitApplication, document: PermitDocument | None, code: str
) -> dict[str, object]:
    """The canonical content of an application receipt: what was asked, for which permit."""
    permit = application.permit
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "kind": RECEIPT_KIND,
        "reference": application.reference,
        "filed_at": application.submitted_at.isoformat(),
        "verification_code": code,
        "verify_url": f"{base}/verify/{code}",
        "municipality": {
            "code": application.municipality.code,
            "name": application.municipality.name,
        },
        "organisation": {
            "name": application.organisation.name,
            "kvk": application.organisation.kvk_number,
        },
        "address": _address_json(permit),
        "permit": {
            "type": permit.permit_type,
            "decision_reference": permit.decision_reference,
            "max_occupants": permit.max_occupants,
            "valid_from": permit.valid_from.isoformat(),
            "valid_until": permit.valid_until.isoformat() if permit.valid_until else None,
        },
        "requested": {
            "valid_from": application.requested_from.isoformat(),
            "valid_until": (
                application.requested_until.isoformat() if application.requested_until else None
            ),
            "max_occupants": application.requested_max_occupants,
        },
        "note": application.applicant_note,
        "floor_plan": (
            {
                "filename": document.filename,
                "size_bytes": document.size_bytes,
                "sha256": document.sha256,
            }
            if document is not None
            else None
        ),
    }


def _issue_receipt(
    application: PermitApplication, document: PermitDocument | None, locale: str
) -> Receipt:
    code = new_verification_code()
    while db.session.execute(select(Receipt.id).where(Receipt.verification_code == code)).first():
        code = new_verification_code()
    snapshot = build_snapshot(application, document, code)
    receipt = Receipt(
        reference=application.reference,
        verification_code=code,
        permit_application_id=application.id,
        organisation_id=application.organisation_id,
        municipality_id=application.municipality_id,
        locale=locale if locale in current_app.config["LOCALES"] else "nl",
        snapshot_json=canonical_json(snapshot).decode("utf-8"),
        sha256=snapshot_sha256(snapshot),
        template_version=TEMPLATE_VERSION,
    )
    db.session.add(receipt)
    return receipt


def apply_for_renewal(
    user: User, permit: Permit, request: RenewalRequest, locale: str = "nl"
) -> PermitApplication:
    """File a renewal application (with its receipt) for a permit the user's organisation holds.

    Refused when the permit is revoked or already has an open application, and for every bad
    field; a refused application stores nothing (the caller rolls back).
    """
    if user.organisation_id is None or permit.holder_organisation_id != user.organisation_id:
        raise Refused.one("permit", "permit_application.not_holder")
    note = (request.note or "").strip()
    problems: list[Problem] = rules.application_problems(
        request.requested_from,
        request.requested_until,
        request.requested_max_occupants,
        note,
        state_of(permit),
    )
    floor_plan = None
    try:
        floor_plan = check_upload(request.floor_plan, "floor_plan")
    except Refused as exc:
        problems += exc.problems
    if problems:
        raise Refused(*problems)
    _refuse_if_open(permit)
    assert request.requested_from is not None and request.requested_max_occupants is not None
    application = PermitApplication(
        reference=next_reference(),
        permit_id=permit.id,
        organisation_id=permit.holder_organisation_id,
        municipality_id=permit.municipality_id,
        address_id=permit.address_id,
        permit_type=permit.permit_type,
        requested_from=request.requested_from,
        requested_until=request.requested_until,
        requested_max_occupants=request.requested_max_occupants,
        applicant_note=note,
        status="submitted",
        submitted_by_user_id=user.id,
        submitted_at=clock.now(),
    )
    application.permit = permit
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Two submits at once: the partial unique index "one open application per permit"
        # refuses the second; the caller rolls the whole request back.
        raise Refused.one("permit", "permit_application.already_open") from exc
    document = _store_document(application, floor_plan, user, "floor_plan") if floor_plan else None
    _issue_receipt(application, document, locale)
    audit.record(
        "permit_application.submit",
        actor=user,
        object_type="permit_application",
        object_id=application.reference,
        municipality_id=application.municipality_id,
        detail=f"floor_plan={document.id}" if document else "",
    )
    _notify(application, "submitted", user, to_municipality=True)
    db.session.flush()
    return application


def _refuse_if_open(permit: Permit) -> None:
    exists = db.session.execute(
        select(PermitApplication.id).where(
            PermitApplication.permit_id == permit.id,
            PermitApplication.status.in_(OPEN_APPLICATION_STATUSES),
        )
    ).first()
    if exists is not None:
        raise Refused.one("permit", "permit_application.already_open")


# --- deciding ---------------------------------------------------------------------------------


def _claim(application: PermitApplication, allowed: Iterable[str], **values: Any) -> None:
    """Move the application on, but only if its status is still one of ``allowed``.

    The status check is in the UPDATE's WHERE clause, so of two concurrent deciders only one
    changes the row (PostgreSQL re-checks the condition after waiting for the other's lock;
    SQLite serialises writers); the other gets a refusal and its transaction is rolled back.
    """
    values.setdefault("updated_at", clock.now())
    result = db.session.execute(
        update(PermitApplication)
        .where(PermitApplication.id == application.id, PermitApplication.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(application)
        raise Refused.one("application", "permit_application.not_open")
    db.session.refresh(application)


def _municipal_actor(user: User, application: PermitApplication) -> None:
    if user.role != "municipal_admin" or user.municipality_id != application.municipality_id:
        raise Refused.one("application", "municipal_admin.only")


@dataclass(frozen=True)
class Approval:
    valid_from: date | None
    valid_until: date | None
    max_occupants: int | None
    decision_reference: str = ""


def approve(user: User, application: PermitApplication, approval: Approval) -> Permit:
    """Approve: a new permit for the approved period (the old one unchanged); the address is
    re-evaluated at once, opening or resolving its flag."""
    _municipal_actor(user, application)
    reference = " ".join((approval.decision_reference or "").split())
    problems = rules.approval_problems(
        approval.valid_from, approval.valid_until, approval.max_occupants, reference
    )
    if reference and not problems:
        taken = db.session.execute(
            select(Permit.id).where(
                Permit.municipality_id == application.municipality_id,
                Permit.decision_reference == reference,
            )
        ).first()
        if taken is not None:
            problems.append(Problem("decision_reference", "permit_application.reference_taken"))
    if problems:
        raise Refused(*problems)
    assert approval.valid_from is not None and approval.max_occupants is not None
    now = clock.now()
    _claim(
        application,
        OPEN_APPLICATION_STATUSES,
        status="approved",
        decided_by_user_id=user.id,
        decided_at=now,
    )
    address = lock_address(application.address_id)
    old = application.permit
    permit = Permit(
        address_id=application.address_id,
        municipality_id=application.municipality_id,
        holder_organisation_id=application.organisation_id,
        permit_type=application.permit_type,
        max_occupants=approval.max_occupants,
        valid_from=approval.valid_from,
        valid_until=approval.valid_until,
        covers_lodging=old.covers_lodging,
        decision_reference=reference,
        status="valid",
    )
    db.session.add(permit)
    db.session.flush()
    application.new_permit_id = permit.id
    audit.record(
        "permit_application.approve",
        actor=user,
        object_type="permit_application",
        object_id=application.reference,
        organisation_id=application.organisation_id,
        municipality_id=application.municipality_id,
        detail=f"new_permit={permit.id};max={permit.max_occupants}",
    )
    sync_flag(address, evaluate_address(address), user)
    _notify(application, "approved", user, permit=permit)
    db.session.flush()
    return permit


def reject(user: User, application: PermitApplication, reason: str) -> None:
    """Reject with a reason (required)."""
    _municipal_actor(user, application)
    reason = (reason or "").strip()
    problems = rules.text_problems(reason, "reason", "permit_application.reason_required")
    if problems:
        raise Refused(*problems)
    _claim(
        application,
        OPEN_APPLICATION_STATUSES,
        status="rejected",
        decision_reason=reason,
        decided_by_user_id=user.id,
        decided_at=clock.now(),
    )
    audit.record(
        "permit_application.reject",
        actor=user,
        object_type="permit_application",
        object_id=application.reference,
        organisation_id=application.organisation_id,
        municipality_id=application.municipality_id,
    )
    _notify(application, "rejected", user, text=reason)
    db.session.flush()


def request_information(user: User, application: PermitApplication, question: str) -> None:
    """Ask the applicant for more information (question required); the application waits."""
    _municipal_actor(user, application)
    question = (question or "").strip()
    problems = rules.text_problems(question, "question", "permit_application.question_required")
    if problems:
        raise Refused(*problems)
    _claim(application, OPEN_APPLICATION_STATUSES, status="info_requested")
    db.session.add(
        PermitApplicationMessage(
            application_id=application.id,
            side="municipality",
            author_user_id=user.id,
            body=question,
        )
    )
    audit.record(
        "permit_application.request_info",
        actor=user,
        object_type="permit_application",
        object_id=application.reference,
        organisation_id=application.organisation_id,
        municipality_id=application.municipality_id,
    )
    _notify(application, "info_requested", user, text=question)
    db.session.flush()


def answer(
    user: User, application: PermitApplication, text: str, upload: Upload | None = None
) -> PermitApplicationMessage:
    """The applicant's answer to a question (text, optional PDF): back to "submitted"."""
    if user.organisation_id != application.organisation_id:
        raise Refused.one("application", "permit_application.not_holder")
    text = (text or "").strip()
    problems = rules.text_problems(text, "answer", "permit_application.answer_required")
    document_upload = None
    try:
        document_upload = check_upload(upload, "document")
    except Refused as exc:
        problems += exc.problems
    if problems:
        raise Refused(*problems)
    try:
        _claim(application, ("info_requested",), status="submitted")
    except Refused:
        raise Refused.one("answer", "permit_application.no_question") from None
    document = (
        _store_document(application, document_upload, user, "attachment")
        if document_upload
        else None
    )
    message = PermitApplicationMessage(
        application_id=application.id,
        side="applicant",
        author_user_id=user.id,
        body=text,
        document_id=document.id if document else None,
    )
    db.session.add(message)
    audit.record(
        "permit_application.answer",
        actor=user,
        object_type="permit_application",
        object_id=application.reference,
        municipality_id=application.municipality_id,
        detail=f"document={document.id}" if document else "",
    )
    _notify(application, "answered", user, to_municipality=True)
    db.session.flush()
    return message


def record_document_download(user: User, document: PermitDocument) -> None:
    """An audit event for reading an uploaded document."""
    audit.record(
        "permit_document.download",
        actor=user,
        object_type="permit_document",
        object_id=document.id,
        organisation_id=document.organisation_id,
        municipality_id=document.municipality_id,
    )


# --- emails -----------------------------------------------------------------------------------


def _locale_of(user: User | None) -> str:
    locales = current_app.config["LOCALES"]
    if user is not None and user.preferred_locale in locales:
        return user.preferred_locale
    return str(current_app.config["DEFAULT_LOCALE"])


def _municipal_admins(municipality_id: int) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .where(
                User.role == "municipal_admin",
                User.municipality_id == municipality_id,
                User.active.is_(True),
                User.removed_at.is_(None),
            )
            .order_by(User.id)
        ).scalars()
    )


def _notify(
    application: PermitApplication,
    step: str,
    actor: User,
    *,
    to_municipality: bool = False,
    text: str = "",
    permit: Permit | None = None,
) -> None:
    """Email ``permit_application_<step>`` to the holder (contact address and applicant) and,
    for a new application or an answer, to the municipality's active municipal admins."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    applicant = (
        db.session.get(User, application.submitted_by_user_id)
        if application.submitted_by_user_id
        else None
    )
    recipients: list[tuple[str, str, str]] = []  # (email, locale, audience)
    seen: set[str] = set()

    def add(email: str | None, locale: str, audience: str) -> None:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append((email, locale, audience))

    add(application.organisation.contact_email, _locale_of(None), "applicant")
    if applicant is not None and applicant.active and applicant.removed_at is None:
        add(applicant.email, _locale_of(applicant), "applicant")
    if to_municipality:
        for admin in _municipal_admins(application.municipality_id):
            add(admin.email, _locale_of(admin), "municipality")
    address = application.address
    for email, locale, audience in recipients:
        link = (
            f"{base}/gemeente/aanvragen/{application.id}"
            if audience == "municipality"
            else f"{base}/organisatie/vergunningen/aanvragen/{application.id}"
        )
        enqueue_email(
            email,
            f"permit_application_{step}",
            locale=locale,
            reference=application.reference,
            municipality=application.municipality.name,
            organisation=application.organisation.name,
            address_line=f"{address.street} {address.number_label}, {address.postcode} "
            f"{address.town}",
            requested_max=application.requested_max_occupants,
            audience=audience,
            text=text,
            permit=permit,
            link=link,
        )
