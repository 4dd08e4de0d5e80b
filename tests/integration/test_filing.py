"""Filing, amending and ending declarations: one transaction per filing, judged over all
declarants, flagged, receipted."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.domain.receipt_codes import snapshot_sha256
from portal.extensions import db
from portal.models import AuditEvent, Declaration, Flag, Permit, Receipt, User
from portal.services.declarations import (
    ManualAddress,
    amend_declaration,
    end_declaration,
    file_declaration,
)
from portal.services.errors import Refused
from portal.services.flags import evaluate_address
from portal.services.reevaluation import reevaluate


@pytest.fixture
def two_agencies(
    ctx: Flask,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_address: Callable[..., Any],
) -> dict[str, Any]:
    agency = make_org(name="Flexwerk", kvk="90000011")
    other = make_org(name="Westland Personeel", kvk="90000012")
    return {
        "a": make_user("declarant", org=agency),
        "b": make_user("declarant", org=other),
        # 100 m² dwelling: area limit floor(100/12) = 8; no permit: at most 4
        "address": make_address("3511 AB", 12, floor_area=100),
    }


def _user(user: Any) -> User:
    return db.session.get(User, user.id)  # type: ignore[return-value]


def _file(user: Any, address: Any, occupants: int, **kwargs: Any) -> Any:
    data = DeclarationInput(
        occupants=occupants,
        start_date=kwargs.pop("start_date", clock.today()),
        end_date=kwargs.pop("end_date", None),
        occupants_registered_brp=kwargs.pop("brp", None),
        separate_contracts=kwargs.pop("separate_contracts", True),
    )
    result = file_declaration(_user(user), data, address_id=address.id, **kwargs)
    db.session.commit()
    return result


def test_two_organisations_at_one_address_are_summed_and_flagged(two_agencies: dict) -> None:
    first = _file(two_agencies["a"], two_agencies["address"], 6)
    assert {f.code for f in first.findings} >= {"permit_required"}
    assert "over_limit" not in {f.code for f in first.findings}

    second = _file(two_agencies["b"], two_agencies["address"], 5)
    codes = {f.code: f for f in second.findings}
    assert codes["over_limit"].occupants == 11
    assert (codes["over_limit"].limit, codes["over_limit"].rule) == (8, "area_dwelling")
    assert (codes["permit_required"].limit, codes["permit_required"].rule) == (
        4,
        "no_permit_threshold",
    )

    flags = db.session.query(Flag).all()
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.status, flag.occupants, flag.limit) == ("open", 11, 8)
    assert flag.reason_list == ["over_limit", "permit_required"]
    assert flag.over_by == 3

    snapshot = json.loads(second.receipt.snapshot_json)
    assert snapshot["declaration"]["occupants"] == 5
    assert {f["code"] for f in snapshot["findings"]} >= {"over_limit", "permit_required"}
    assert second.receipt.sha256 == snapshot_sha256(snapshot)
    assert second.receipt.reference == second.declaration.reference
    assert second.receipt.reference.startswith(f"MH-{clock.today().year}-")


def test_a_permit_raises_the_limit_and_the_flag_follows(two_agencies: dict) -> None:
    address = two_agencies["address"]
    db.session.add(
        Permit(
            address_id=address.id,
            municipality_id=address.municipality_id,
            permit_type="omzettingsvergunning",
            max_occupants=10,
            valid_from=clock.today() - timedelta(days=30),
            valid_until=clock.today() + timedelta(days=365),
        )
    )
    db.session.commit()
    until = clock.today() + timedelta(days=365)
    result = _file(two_agencies["a"], address, 6)
    now = {f.code for f in result.findings if f.start == clock.today()}
    assert now == set()
    # The permit's end is already on the timeline: a warning before it, a permit needed after.
    later = {(f.code, f.start) for f in result.findings}
    assert ("permit_required", until + timedelta(days=1)) in later
    assert ("permit_expiring", until - timedelta(days=90)) in later

    result = _file(two_agencies["b"], address, 3)
    now = {f.code for f in result.findings if f.start == clock.today()}
    assert now == {"over_limit"}  # the area (8) is lower than the permit (10)


def test_amendment_supersedes_from_its_date_and_lowering_resolves_the_flag(
    two_agencies: dict,
) -> None:
    _file(two_agencies["a"], two_agencies["address"], 6)
    second = _file(two_agencies["b"], two_agencies["address"], 5)
    assert db.session.query(Flag).one().status == "open"

    decl = db.session.get(Declaration, second.declaration.id)
    amended = amend_declaration(_user(two_agencies["b"]), decl, 1, clock.today())
    db.session.commit()
    assert amended.declaration.kind == "amendment"
    assert amended.declaration.supersedes_id == decl.id
    assert amended.declaration.root_id == decl.id
    # 6 + 1 = 7: under the area limit, still above the no-permit threshold
    flag = db.session.query(Flag).one()
    assert flag.reason_list == ["permit_required"] and flag.occupants == 7

    # The filed original is unchanged.
    assert db.session.get(Declaration, decl.id).occupants == 5
    # A superseded filing cannot be amended again.
    with pytest.raises(Refused) as caught:
        amend_declaration(_user(two_agencies["b"]), decl, 2, clock.today())
    assert caught.value.problems[0].code == "declaration.superseded"


def test_ending_all_occupancy_closes_an_untouched_flag(two_agencies: dict) -> None:
    result = _file(
        two_agencies["a"], two_agencies["address"], 9, start_date=clock.today() - timedelta(days=2)
    )
    assert db.session.query(Flag).one().status == "open"
    yesterday = clock.today() - timedelta(days=1)
    ended = end_declaration(
        _user(two_agencies["a"]),
        db.session.get(Declaration, result.declaration.id),
        yesterday,
        "employment_ended",
    )
    db.session.commit()
    assert ended.declaration.kind == "end"
    assert ended.declaration.end_reason == "employment_ended"
    flag = db.session.query(Flag).one()
    assert (flag.status, flag.outcome) == ("resolved", "no_longer_applies")
    assert evaluate_address(ended.declaration.address).findings == ()
    with pytest.raises(Refused) as caught:
        amend_declaration(
            _user(two_agencies["a"]),
            db.session.get(Declaration, ended.declaration.id),
            3,
            clock.today(),
        )
    assert caught.value.problems[0].code == "declaration.ended"


def test_future_start_is_judged_from_its_date(two_agencies: dict) -> None:
    later = clock.today() + timedelta(days=30)
    result = _file(two_agencies["a"], two_agencies["address"], 9, start_date=later)
    over = next(f for f in result.findings if f.code == "over_limit")
    assert over.start == later
    # The receipt shows it now; the flag opens only when the daily re-evaluation reaches the date.
    assert db.session.query(Flag).count() == 0
    reevaluate(later)
    db.session.commit()
    assert db.session.query(Flag).one().period_start == later


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"occupants": 0}, "occupants", "occupants.range"),
        ({"occupants": 501}, "occupants", "occupants.range"),
        ({"occupants": None}, "occupants", "occupants.required"),
        ({"brp": 7}, "occupants_registered_brp", "brp.more_than_occupants"),
        ({"start_date": None}, "start_date", "start_date.required"),
        ({"start_date_offset": -400}, "start_date", "date.too_early"),
        ({"start_date_offset": 400}, "start_date", "date.too_late"),
        ({"end_offset": -1}, "end_date", "end_date.before_start"),
        ({"separate_contracts": None}, "separate_contracts", "separate_contracts.required"),
        ({"kvk": "1234"}, "declared_for_kvk", "kvk.format"),
    ],
)
def test_invalid_input_is_refused_per_field_and_nothing_is_stored(
    two_agencies: dict, changes: dict[str, Any], field: str, code: str
) -> None:
    today = clock.today()
    start = changes.get("start_date", today + timedelta(days=changes.get("start_date_offset", 0)))
    data = DeclarationInput(
        occupants=changes.get("occupants", 6),
        start_date=start,
        end_date=(today + timedelta(days=changes["end_offset"]))
        if "end_offset" in changes
        else None,
        occupants_registered_brp=changes.get("brp"),
        separate_contracts=changes.get("separate_contracts", True),
    )
    with pytest.raises(Refused) as caught:
        file_declaration(
            _user(two_agencies["a"]),
            data,
            address_id=two_agencies["address"].id,
            declared_for_kvk=changes.get("kvk"),
        )
    db.session.rollback()
    assert (field, code) in {(p.field, p.code) for p in caught.value.problems}
    for model in (Declaration, Receipt, Flag, AuditEvent):
        assert db.session.query(model).count() == 0


def test_manual_address_is_stored_unverified_and_flagged_medium(
    ctx: Flask, make_user, make_municipality
) -> None:  # type: ignore[no-untyped-def]
    make_municipality("GM0983", "Venlo", "Limburg")
    user = make_user("declarant")
    manual = ManualAddress(
        postcode="5911ab",
        house_number="7",
        street="Nieuwe Weg",
        town="Venlo",
        municipality_code="GM0983",
    )
    result = file_declaration(
        _user(user),
        DeclarationInput(occupants=3, start_date=clock.today(), separate_contracts=False),
        manual_address=manual,
    )
    db.session.commit()
    address = result.declaration.address
    assert (address.postcode, address.verified, address.nummeraanduiding_id) == (
        "5911 AB",
        False,
        None,
    )
    codes = {f.code for f in result.findings}
    assert {"address_unverified", "area_unknown"} <= codes


def test_late_declaration_is_noted_on_the_receipt(two_agencies: dict) -> None:
    result = _file(
        two_agencies["a"], two_agencies["address"], 2, start_date=clock.today() - timedelta(days=10)
    )
    late = next(f for f in result.findings if f.code == "late_declaration")
    assert late.severity == "medium"
    on_time = _file(
        two_agencies["b"], two_agencies["address"], 1, start_date=clock.today() - timedelta(days=3)
    )
    assert "late_declaration" not in {f.code for f in on_time.findings}


def test_every_filing_writes_one_audit_event(two_agencies: dict) -> None:
    result = _file(two_agencies["a"], two_agencies["address"], 2)
    end_declaration(
        _user(two_agencies["a"]),
        db.session.get(Declaration, result.declaration.id),
        clock.today(),
        "returned_home",
    )
    db.session.commit()
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions.count("declaration.new") == 1
    assert actions.count("declaration.end") == 1
