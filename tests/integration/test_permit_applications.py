"""Renewal applications on a real session: applying (with refusals that store nothing), the
receipt, the three decisions, answering, emails, audit events, flags, verification and the
double decision (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.domain.receipt_codes import canonical_json, snapshot_sha256
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Declaration,
    Flag,
    OutboxMessage,
    Permit,
    PermitApplication,
    PermitApplicationMessage,
    PermitDocument,
    Receipt,
    ReferenceNumber,
    User,
)
from portal.models.permit import APPLICATION_STATUSES
from portal.services import declarations
from portal.services import permit_applications as service
from portal.services.errors import Refused
from portal.services.queries import Scope
from portal.services.receipts import receipt_pdf
from portal.services.verification import verify_receipt
from tests.helpers import MINIMAL_PDF

PDF = MINIMAL_PDF  # a real PDF: uploads are parsed (issue 21 D)
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200  # a Windows program named .pdf


@dataclass
class World:
    holder_user_id: int
    holder_org_id: int
    admin_id: int
    permit_id: int
    address_id: int
    municipality_id: int


@pytest.fixture
def world(
    app: Flask,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> World:
    """A housing provider's permit (max 6, ends in 60 days) at an address of 162 m² where two
    agencies declared 5 + 3 = 8 people: an open flag."""
    utrecht = make_municipality("GM0344", "Utrecht")
    holder = make_org(name="Huisvesting Test B.V.", kinds=("housing_provider",))
    holder_user = make_user("org_admin", org=holder, email="aanvrager@example.nl")
    admin = make_user("municipal_admin", municipality=utrecht, email="beheer@utrecht.example.nl")
    make_user(
        "municipal_admin",
        email="other-municipality@example.nl",
        municipality=make_municipality("GM1783", "Westland", "Zuid-Holland"),
    )
    address = make_address("3511 AA", 3, municipality=utrecht, floor_area=162, street="Maliebaan")
    today = clock.today()
    with app.app_context():
        permit = Permit(
            address_id=address.id,
            municipality_id=utrecht.id,
            holder_organisation_id=holder.id,
            permit_type="omzettingsvergunning",
            max_occupants=6,
            valid_from=today - timedelta(days=1000),
            valid_until=today + timedelta(days=60),
            decision_reference="UTR-1",
        )
        db.session.add(permit)
        db.session.commit()
        permit_id = permit.id
    for occupants in (5, 3):
        agency_user = make_user("declarant", org=make_org())
        with app.app_context():
            user = db.session.get(User, agency_user.id)
            declarations.file_declaration(
                user,
                DeclarationInput(occupants, today, separate_contracts=True),
                address_id=address.id,
            )
            db.session.commit()
    with app.app_context():
        flag = db.session.execute(select(Flag).where(Flag.address_id == address.id)).scalar_one()
        assert flag.status == "open"
    return World(holder_user.id, holder.id, admin.id, permit_id, address.id, utrecht.id)


def _count(model: type) -> int:
    return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def _request(**changes: Any) -> service.RenewalRequest:
    fields: dict[str, Any] = {
        "requested_from": clock.today(),
        "requested_until": clock.today() + timedelta(days=5 * 365),
        "requested_max_occupants": 10,
        "note": "Extra kamer op zolder.",
        "floor_plan": service.Upload("C:\\Users\\jan\\plattegrond <zolder>.PDF", PDF),
    }
    fields.update(changes)
    return service.RenewalRequest(**fields)


def _apply(world: World, **changes: Any) -> PermitApplication:
    user = db.session.get(User, world.holder_user_id)
    permit = db.session.get(Permit, world.permit_id)
    application = service.apply_for_renewal(user, permit, _request(**changes))
    db.session.commit()
    return application


def _stored() -> dict[str, int]:
    return {
        m.__name__: _count(m)
        for m in (
            PermitApplication,
            PermitDocument,
            Receipt,
            ReferenceNumber,
            OutboxMessage,
            AuditEvent,
            PermitApplicationMessage,
            Permit,
        )
    }


# --- the provider's view ------------------------------------------------------------------------


def test_provider_sees_its_permit_expiring_with_the_total_of_all_organisations(
    ctx: Flask, world: World, make_org: Callable[..., Any]
) -> None:
    rows = service.provider_permits(Scope("organisation", world.holder_org_id))
    assert [(r.state, r.declared_total, r.permit.max_occupants) for r in rows] == [
        ("expiring", 8, 6)
    ]
    # An amendment supersedes the earlier filing: 5 → 2 from today gives 2 + 3.
    five = db.session.execute(select(Declaration).where(Declaration.occupants == 5)).scalar_one()
    agency_user = db.session.execute(
        select(User).where(User.organisation_id == five.organisation_id)
    ).scalar_one()
    declarations.amend_declaration(agency_user, five, 2, clock.today())
    db.session.commit()
    rows = service.provider_permits(Scope("organisation", world.holder_org_id))
    assert rows[0].declared_total == 5
    # Another organisation holds nothing here and sees nothing.
    other = make_org()
    assert service.provider_permits(Scope("organisation", other.id)) == []


# --- applying -----------------------------------------------------------------------------------


def test_application_gets_a_reference_a_receipt_emails_and_an_audit_event(
    ctx: Flask, world: World
) -> None:
    application = _apply(world)
    assert application.reference.startswith(f"MH-{clock.today().year}-")
    assert application.status == "submitted"
    [document] = application.documents
    assert document.filename == "plattegrond _zolder.pdf"
    assert "/" not in document.filename and "<" not in document.filename
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    receipt = service.receipt_of(application)
    assert receipt is not None
    assert (receipt.reference, receipt.organisation_id, receipt.municipality_id) == (
        application.reference,
        world.holder_org_id,
        world.municipality_id,
    )
    snapshot = json.loads(receipt.snapshot_json)
    assert snapshot["kind"] == "permit_application"
    assert snapshot["requested"]["max_occupants"] == 10
    assert snapshot["permit"]["max_occupants"] == 6
    assert snapshot["floor_plan"]["sha256"] == document.sha256
    assert snapshot["organisation"]["name"] == "Huisvesting Test B.V."
    assert receipt.sha256 == snapshot_sha256(snapshot)
    assert receipt.snapshot_json == canonical_json(snapshot).decode()
    mails = db.session.execute(
        select(OutboxMessage.recipient, OutboxMessage.kind).where(
            OutboxMessage.kind == "permit_application_submitted"
        )
    ).all()
    recipients = sorted(r for r, _k in mails)
    holder = db.session.get(User, world.holder_user_id)
    assert recipients == sorted(
        [holder.organisation.contact_email, "aanvrager@example.nl", "beheer@utrecht.example.nl"]
    )  # not the admin of another municipality
    assert (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "permit_application.submit")
        )
        .scalar_one()
        .object_id
        == application.reference
    )


def test_floor_plan_is_optional(ctx: Flask, world: World) -> None:
    application = _apply(world, floor_plan=None)
    assert application.documents == []
    assert json.loads(service.receipt_of(application).snapshot_json)["floor_plan"] is None


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        (
            {"floor_plan": service.Upload("plattegrond.pdf", EXE)},
            "floor_plan",
            "document.unsupported",
        ),
        (
            {
                "floor_plan": service.Upload(
                    "groot.pdf", PDF[:-7] + b" " * (5 * 1024 * 1024) + b"%%EOF\n"
                )
            },
            "floor_plan",
            "document.too_large",
        ),
        ({"floor_plan": service.Upload("leeg.pdf", b"")}, "floor_plan", "document.empty"),
        ({"requested_max_occupants": 0}, "requested_max_occupants", "permit_application.max_range"),
        (
            {"requested_max_occupants": None},
            "requested_max_occupants",
            "permit_application.max_required",
        ),
        (
            {"requested_until": clock.today() - timedelta(days=1)},
            "requested_until",
            "permit_application.until_before_from",
        ),
        ({"requested_from": None}, "requested_from", "permit_application.from_required"),
    ],
)
def test_refused_applications_store_nothing(
    ctx: Flask, world: World, changes: dict[str, Any], field: str, code: str
) -> None:
    before = _stored()
    with pytest.raises(Refused) as refused:
        _apply(world, **changes)
    db.session.rollback()
    assert (field, code) in [(p.field, p.code) for p in refused.value.problems]
    assert _stored() == before


def test_one_open_application_per_permit(ctx: Flask, world: World) -> None:
    _apply(world)
    before = _stored()
    with pytest.raises(Refused) as refused:
        _apply(world)
    db.session.rollback()
    assert refused.value.problems[0].code == "permit_application.already_open"
    assert _stored() == before


def test_racing_submit_is_refused_by_the_unique_index(
    ctx: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two submits that both pass the check: the partial unique index refuses the second."""
    _apply(world)
    monkeypatch.setattr(service, "_refuse_if_open", lambda permit: None)
    with pytest.raises(Refused) as refused:
        _apply(world)
    db.session.rollback()
    assert refused.value.problems[0].code == "permit_application.already_open"
    assert _count(PermitApplication) == 1


def test_revoked_permit_and_foreign_holder_are_refused(
    ctx: Flask, world: World, make_user: Callable[..., Any]
) -> None:
    permit = db.session.get(Permit, world.permit_id)
    stranger = make_user("org_admin")
    with pytest.raises(Refused) as refused:
        service.apply_for_renewal(db.session.get(User, stranger.id), permit, _request())
    assert refused.value.problems[0].code == "permit_application.not_holder"
    db.session.rollback()
    permit = db.session.get(Permit, world.permit_id)
    permit.status = "revoked"
    db.session.commit()
    with pytest.raises(Refused) as refused:
        _apply(world)
    assert refused.value.problems[0].code == "permit_application.permit_revoked"


# --- deciding -----------------------------------------------------------------------------------


def _admin(world: World) -> User:
    return db.session.get(User, world.admin_id)


def test_approval_adds_a_permit_keeps_the_old_one_and_resolves_the_flag(
    ctx: Flask, world: World
) -> None:
    application = _apply(world)
    old_before = {
        c: getattr(db.session.get(Permit, world.permit_id), c)
        for c in ("max_occupants", "valid_from", "valid_until", "status", "decision_reference")
    }
    new = service.approve(
        _admin(world),
        application,
        service.Approval(clock.today(), clock.today() + timedelta(days=1825), 10, "UTR-2"),
    )
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(Permit, world.permit_id)
    assert {c: getattr(old, c) for c in old_before} == old_before
    application = db.session.get(PermitApplication, application.id)
    assert application.status == "approved"
    assert application.new_permit_id == new.id
    assert (new.max_occupants, new.holder_organisation_id, new.address_id, new.permit_type) == (
        10,
        world.holder_org_id,
        world.address_id,
        "omzettingsvergunning",
    )
    flag = db.session.execute(select(Flag).where(Flag.address_id == world.address_id)).scalar_one()
    assert (flag.status, flag.outcome) == ("resolved", "no_longer_applies")
    approved_mails = (
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "permit_application_approved")
        )
        .scalars()
        .all()
    )
    assert {m.recipient for m in approved_mails} == {
        application.organisation.contact_email,
        "aanvrager@example.nl",
    }
    assert "10" in approved_mails[0].body_text
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"permit_application.approve", "flag.resolve"} <= actions
    # The holder sees the new permit first and the old one as renewed, no longer as urgent.
    rows = service.provider_permits(Scope("organisation", world.holder_org_id))
    assert [(r.permit.id, r.state, r.renewed_by is not None) for r in rows] == [
        (new.id, "valid", False),
        (world.permit_id, "expiring", True),
    ]
    assert service.permit_summary(Scope("organisation", world.holder_org_id)) == (
        service.PermitSummary(total=2, expiring=0)
    )
    # Decided: no second decision.
    with pytest.raises(Refused) as refused:
        service.reject(_admin(world), application, "te laat")
    assert refused.value.problems[0].code == "permit_application.not_open"


def test_approval_with_a_lower_maximum_keeps_the_flag_open(ctx: Flask, world: World) -> None:
    application = _apply(world, requested_max_occupants=7)
    service.approve(_admin(world), application, service.Approval(clock.today(), None, 7))
    db.session.commit()
    flag = db.session.execute(select(Flag).where(Flag.address_id == world.address_id)).scalar_one()
    assert flag.status == "open" and flag.limit == 7


def test_approval_refuses_bad_values_and_a_taken_decision_reference(
    ctx: Flask, world: World
) -> None:
    application = _apply(world)
    before = _stored()
    for approval, code in (
        (service.Approval(None, None, 10), "permit_application.from_required"),
        (service.Approval(clock.today(), None, 10001), "permit_application.max_range"),
        (service.Approval(clock.today(), None, 10, "UTR-1"), "permit_application.reference_taken"),
    ):
        with pytest.raises(Refused) as refused:
            service.approve(_admin(world), application, approval)
        db.session.rollback()
        assert refused.value.problems[0].code == code
    assert _stored() == before
    assert db.session.get(PermitApplication, application.id).status == "submitted"


def test_reject_needs_a_reason_and_mails_it(ctx: Flask, world: World) -> None:
    application = _apply(world)
    with pytest.raises(Refused) as refused:
        service.reject(_admin(world), application, "   ")
    assert refused.value.problems[0].code == "permit_application.reason_required"
    db.session.rollback()
    service.reject(_admin(world), application, "De plattegrond ontbreekt.")
    db.session.commit()
    assert application.status == "rejected"
    assert application.decision_reason == "De plattegrond ontbreekt."
    mail = db.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.kind == "permit_application_rejected",
            OutboxMessage.recipient == "aanvrager@example.nl",
        )
    ).scalar_one()
    assert "De plattegrond ontbreekt." in mail.body_text
    assert _count(Permit) == 1


def test_question_and_answer_go_back_and_forth(ctx: Flask, world: World) -> None:
    application = _apply(world, floor_plan=None)
    holder = db.session.get(User, world.holder_user_id)
    with pytest.raises(Refused) as refused:
        service.answer(holder, application, "Zonder vraag")
    assert refused.value.problems[0].code == "permit_application.no_question"
    db.session.rollback()
    with pytest.raises(Refused):
        service.request_information(_admin(world), application, "")
    db.session.rollback()
    service.request_information(_admin(world), application, "Stuur de plattegrond mee.")
    db.session.commit()
    assert application.status == "info_requested"
    assert db.session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.kind == "permit_application_info_requested",
            OutboxMessage.recipient == "aanvrager@example.nl",
        )
    ).first()
    before = _stored()
    with pytest.raises(Refused) as refused:
        service.answer(holder, application, "Hier", service.Upload("plan.pdf", EXE))
    db.session.rollback()
    assert refused.value.problems[0].code == "document.unsupported"
    assert _stored() == before
    holder = db.session.get(User, world.holder_user_id)
    application = db.session.get(PermitApplication, application.id)
    message = service.answer(holder, application, "Hierbij.", service.Upload("plan.pdf", PDF))
    db.session.commit()
    assert application.status == "submitted"
    assert message.document_id is not None
    assert [m.side for m in application.messages] == ["municipality", "applicant"]
    answered_to = set(
        db.session.execute(
            select(OutboxMessage.recipient).where(
                OutboxMessage.kind == "permit_application_answered"
            )
        ).scalars()
    )
    assert "beheer@utrecht.example.nl" in answered_to
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"permit_application.request_info", "permit_application.answer"} <= actions


def test_only_an_admin_of_the_municipality_decides(
    ctx: Flask, world: World, make_user: Callable[..., Any], make_municipality: Callable[..., Any]
) -> None:
    application = _apply(world)
    other = make_user("municipal_admin", municipality=make_municipality("GM0599", "Rotterdam"))
    with pytest.raises(Refused) as refused:
        service.reject(db.session.get(User, other.id), application, "nee")
    assert refused.value.problems[0].code == "municipal_admin.only"


# --- receipt and verification -------------------------------------------------------------------


def test_receipt_pdf_shows_the_reference_and_the_requested_maximum(
    ctx: Flask, world: World
) -> None:
    application = _apply(world, requested_max_occupants=4321)
    pdf = receipt_pdf(service.receipt_of(application))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert application.reference in text
    assert "4.321" in text  # Dutch number format
    assert "Verlenging" in text or "verlenging" in text or "renewal" in text


def test_verification_shows_the_application_and_its_current_status(
    ctx: Flask, world: World
) -> None:
    application = _apply(world)
    code = service.receipt_of(application).verification_code
    result = verify_receipt(code)
    assert (result.status, result.kind, result.requested_max) == (
        "authentic",
        "permit_application",
        10,
    )
    assert result.organisation == "Huisvesting Test B.V."
    assert result.municipality == "Utrecht"
    assert result.application_status == "submitted"
    service.reject(_admin(world), application, "nee")
    db.session.commit()
    assert verify_receipt(code).application_status == "rejected"


def test_verification_of_a_batch_receipt(ctx: Flask, world: World) -> None:
    snapshot = {
        "kind": "batch",
        "reference": "MH-2026-999999",
        "filed_at": "2026-11-27T10:00:00+00:00",
        "verification_code": "ABCD-EFGH-JKMN",
        "organisation": {"name": "Uitzend B.V.", "kvk": "12345678"},
        "declarations": [{"reference": "MH-2026-000001"}, {"reference": "MH-2026-000002"}],
    }
    db.session.add(
        Receipt(
            reference="MH-2026-999999",
            verification_code="ABCD-EFGH-JKMN",
            organisation_id=world.holder_org_id,
            snapshot_json=canonical_json(snapshot).decode(),
            sha256=snapshot_sha256(snapshot),
            template_version="test",
        )
    )
    db.session.commit()
    result = verify_receipt("ABCD-EFGH-JKMN")
    assert (result.status, result.kind, result.declaration_count, result.organisation) == (
        "authentic",
        "batch",
        2,
        "",  # like a single filing, a batch's verification never names the organisation
    )


# --- two admins deciding at once ------------------------------------------------------------------


@pytest.fixture
def postgres(app: Flask) -> Iterator[None]:
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("concurrent transactions need PostgreSQL")
    yield


def test_two_admins_approving_at_once_make_one_permit(
    app: Flask,
    postgres: None,
    world: World,
    make_user: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sabotage (shown by hand, 2026-11-28): with SABOTAGE_NO_STATUS_CHECK=1 the decision's
    UPDATE accepts any status; both admins then approve and two new permits are made."""
    if os.environ.get("SABOTAGE_NO_STATUS_CHECK"):
        monkeypatch.setattr(service, "OPEN_APPLICATION_STATUSES", APPLICATION_STATUSES)
    with app.app_context():
        application_id = _apply(world).id
    second_admin = make_user(
        "municipal_admin", municipality=type("M", (), {"id": world.municipality_id})()
    )
    admins = [world.admin_id, second_admin.id]
    barrier = threading.Barrier(len(admins))
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(admin_id: int, maximum: int) -> None:
        with app.app_context():
            user = db.session.get(User, admin_id)
            application = db.session.get(PermitApplication, application_id)
            barrier.wait()
            try:
                service.approve(user, application, service.Approval(date.today(), None, maximum))
                db.session.commit()
                result = "approved"
            except Refused as exc:
                db.session.rollback()
                result = exc.problems[0].code
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(a, 9 + i)) for i, a in enumerate(admins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["approved", "permit_application.not_open"]
    with app.app_context():
        assert _count(Permit) == 2  # the old one and exactly one new one
        assert db.session.get(PermitApplication, application_id).status == "approved"
