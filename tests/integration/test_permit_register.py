"""The municipal permit register (services/permit_register.py): create, edit, revoke and import
permits; every change judges the address again at once, so flags open and resolve.

The place (municipalities, users, organisations, addresses) is built once for the module; each
test runs in a savepoint (``in_savepoint``, see tests/conftest.py) and its writes are rolled back
after it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.domain.permits import PERMIT_STATES, PermitFields, permit_state
from portal.extensions import db
from portal.models import AuditEvent, Flag, Municipality, Permit, User
from portal.models.flag import OPEN_STATUSES
from portal.services import permit_register
from portal.services.declarations import file_declaration
from portal.services.errors import Refused
from portal.services.queries import Scope
from tests.conftest import create_address, create_municipality, create_org, create_user

TODAY = date(2026, 3, 2)
HEADER = (
    "besluitnummer;postcode;huisnummer;huisletter;toevoeging;kvk_houder;soort;max_bewoners;"
    "geldig_van;geldig_tot"
)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
        yield


@pytest.fixture(scope="module")
def _place(app: Flask, module_tables: None) -> dict[str, Any]:
    """Built once for the module (on the frozen day) and committed; each test works in a
    savepoint on top of it."""
    with clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
        utrecht = create_municipality(app, "GM0344", "Utrecht")
        westland = create_municipality(app, "GM1783", "Westland", "Zuid-Holland")
        return {
            "utrecht": utrecht,
            "admin": create_user(app, "municipal_admin", municipality=utrecht),
            "declarant": create_user(app, "declarant", org=create_org(app, name="Flexwerk")),
            "holder": create_org(
                app, name="Woonbedrijf Oost", kvk="12345678", kinds=("housing_provider",)
            ),
            # 100 m² dwelling: area limit 8; without a permit at most 4 (national default)
            "address": create_address(app, "3511 AB", 12, floor_area=100),
            "other": create_address(app, "3511 AB", 14, floor_area=100),
            "foreign": create_address(
                app, "2671 AC", 29, municipality=westland, street="Hoogstraat"
            ),
        }


@pytest.fixture
def place(_place: dict[str, Any], ctx: Flask, in_savepoint: Any) -> dict[str, Any]:
    return _place


def _user(user: Any) -> User:
    return db.session.get(User, user.id)  # type: ignore[return-value]


def _fields(**changes: str) -> PermitFields:
    values = {
        "decision_reference": "2026/0815",
        "postcode": "3511AB",
        "house_number": "12",
        "holder_kvk": "12345678",
        "permit_type": "omzettingsvergunning",
        "max_occupants": "8",
        "valid_from": "01-01-2026",
        "valid_until": "31-12-2030",
    }
    values.update(changes)
    return PermitFields(**values)


def _file(place: dict[str, Any], occupants: int) -> None:
    file_declaration(
        _user(place["declarant"]),
        DeclarationInput(occupants=occupants, start_date=TODAY, separate_contracts=True),
        address_id=place["address"].id,
    )
    db.session.commit()


def _open_flag(address: Any) -> Flag | None:
    return db.session.execute(
        select(Flag).where(Flag.address_id == address.id, Flag.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()


def _permits() -> list[Permit]:
    return list(db.session.execute(select(Permit).order_by(Permit.id)).scalars())


def _refusal(call: Callable[[], object]) -> list[tuple[str, str]]:
    with pytest.raises(Refused) as caught:
        call()
    db.session.rollback()
    return [(p.field, p.code) for p in caught.value.problems]


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


# --- create, edit, revoke -------------------------------------------------------------------------


def test_a_new_permit_with_a_higher_maximum_resolves_the_flag_at_once(place: dict) -> None:
    _file(place, 6)  # 6 > 4 without a permit
    flag = _open_flag(place["address"])
    assert flag is not None and flag.reasons == "permit_required"

    permit = permit_register.create_permit(_user(place["admin"]), _fields())
    db.session.commit()

    assert (permit.max_occupants, permit.holder.kvk_number, permit.status) == (
        8,
        "12345678",
        "valid",
    )
    assert permit.address_id == place["address"].id
    assert _open_flag(place["address"]) is None
    db.session.refresh(flag)
    assert (flag.status, flag.outcome) == ("resolved", "no_longer_applies")
    assert "permit.create" in _actions() and "flag.resolve" in _actions()
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "permit.create")
    ).scalar_one()
    assert event.actor_user_id == place["admin"].id
    assert json.loads(event.detail)["decision_reference"] == "2026/0815"


def test_revoking_a_permit_opens_the_flag_at_once(place: dict) -> None:
    permit = permit_register.create_permit(_user(place["admin"]), _fields())
    db.session.commit()
    _file(place, 6)
    assert _open_flag(place["address"]) is None

    permit_register.revoke_permit(
        _user(place["admin"]), permit, "  Besluit 2026/0900: ingetrokken "
    )
    db.session.commit()

    db.session.refresh(permit)
    assert permit.status == "revoked" and permit.revoked_at is not None
    assert permit.revocation_reason == "Besluit 2026/0900: ingetrokken"
    assert len(_permits()) == 1  # never deleted
    flag = _open_flag(place["address"])
    assert flag is not None
    assert (flag.reasons, flag.limit, flag.rule) == ("permit_required", 4, "no_permit_threshold")
    assert "permit.revoke" in _actions()

    # Revoked is final: no second revocation, no edit.
    assert _refusal(
        lambda: permit_register.revoke_permit(_user(place["admin"]), permit, "again")
    ) == [("", "permit.already_revoked")]
    permit = db.session.get(Permit, permit.id)
    assert _refusal(
        lambda: permit_register.update_permit(_user(place["admin"]), permit, _fields())
    ) == [("", "permit.revoked")]


def test_revoking_needs_a_reason(place: dict) -> None:
    permit = permit_register.create_permit(_user(place["admin"]), _fields())
    db.session.commit()
    assert _refusal(
        lambda: permit_register.revoke_permit(_user(place["admin"]), permit, "   ")
    ) == [("reason", "permit.revocation_reason.required")]
    assert db.session.get(Permit, permit.id).status == "valid"  # type: ignore[union-attr]


def test_lowering_the_maximum_opens_the_flag_and_moving_resolves_it(place: dict) -> None:
    permit = permit_register.create_permit(_user(place["admin"]), _fields())
    db.session.commit()
    _file(place, 6)

    assert permit_register.update_permit(_user(place["admin"]), permit, _fields(max_occupants="5"))
    db.session.commit()
    flag = _open_flag(place["address"])
    assert flag is not None and flag.reasons == "over_limit" and flag.limit == 5

    # Unchanged fields: nothing written.
    assert not permit_register.update_permit(
        _user(place["admin"]), permit, _fields(max_occupants="5")
    )
    # Moving the permit to the right address … the old address is judged again too.
    assert permit_register.update_permit(
        _user(place["admin"]), permit, _fields(house_number="14", max_occupants="5")
    )
    db.session.commit()
    flag = _open_flag(place["address"])
    assert flag is not None and flag.reasons == "permit_required"
    assert db.session.get(Permit, permit.id).address_id == place["other"].id  # type: ignore[union-attr]


def test_create_refuses_with_a_clear_reason_per_field(place: dict) -> None:
    admin = _user(place["admin"])
    permit_register.create_permit(admin, _fields())
    db.session.commit()
    cases = [
        (
            _fields(decision_reference="2026/0815", house_number="14"),
            [("decision_reference", "permit.decision_reference.taken")],
        ),
        (
            _fields(decision_reference="B", postcode="2671 AC", house_number="29"),
            [("postcode", "permit.address.other_municipality")],
        ),
        (
            _fields(decision_reference="C", house_number="99"),
            [("postcode", "permit.address.unknown")],
        ),
        (
            _fields(decision_reference="D", house_letter="B"),
            [("postcode", "permit.address.unknown")],
        ),
        (
            _fields(decision_reference="E", holder_kvk="87654321"),
            [("holder_kvk", "organisation.unknown")],
        ),
        (
            _fields(decision_reference="F", max_occupants="10001"),
            [("max_occupants", "permit.max_occupants.range")],
        ),
        (
            _fields(decision_reference="G", valid_until="31-12-2025"),
            [("valid_until", "permit.valid_until.before_from")],
        ),
        (
            _fields(decision_reference="", holder_kvk="87654321", house_number="99"),
            [
                ("decision_reference", "permit.decision_reference.required"),
                ("postcode", "permit.address.unknown"),
                ("holder_kvk", "organisation.unknown"),
            ],
        ),
    ]
    for fields, expected in cases:
        assert (
            _refusal(lambda f=fields: permit_register.create_permit(_user(place["admin"]), f))
            == expected
        ), fields
    assert len(_permits()) == 1


def test_the_kinds_of_permit_bind_new_permits_not_existing_ones(place: dict) -> None:
    admin = _user(place["admin"])
    permit = permit_register.create_permit(admin, _fields())
    db.session.commit()
    permit_register.set_permit_types(_user(place["admin"]), ["verhuurvergunning"])
    db.session.commit()
    assert db.session.get(Municipality, place["utrecht"].id).permit_types == "verhuurvergunning"  # type: ignore[union-attr]

    assert _refusal(
        lambda: permit_register.create_permit(
            _user(place["admin"]), _fields(decision_reference="X")
        )
    ) == [("permit_type", "permit.type.not_issued")]
    # The existing permit keeps its kind when it is changed.
    permit = db.session.get(Permit, permit.id)
    assert permit_register.update_permit(_user(place["admin"]), permit, _fields(max_occupants="9"))
    db.session.commit()
    assert _refusal(lambda: permit_register.set_permit_types(_user(place["admin"]), [])) == [
        ("permit_types", "permit.types.required")
    ]


def test_only_a_municipal_admin_registers_permits(
    place: dict, make_user: Callable[..., Any]
) -> None:
    inspector = make_user("inspector", municipality=place["utrecht"])
    assert _refusal(lambda: permit_register.create_permit(_user(inspector), _fields())) == [
        ("", "municipal_admin.only")
    ]


# --- the register list ----------------------------------------------------------------------------


def test_the_state_filter_agrees_with_the_domain_state(
    place: dict, make_address: Callable[..., Any]
) -> None:
    utrecht = place["utrecht"]
    periods = [
        (TODAY + timedelta(days=1), None, "valid"),
        (TODAY, None, "valid"),
        (TODAY - timedelta(days=10), TODAY + timedelta(days=91), "valid"),
        (TODAY - timedelta(days=10), TODAY + timedelta(days=90), "valid"),
        (TODAY - timedelta(days=10), TODAY, "valid"),
        (TODAY - timedelta(days=10), TODAY - timedelta(days=1), "valid"),
        (TODAY - timedelta(days=10), None, "revoked"),
    ]
    for n, (start, end, status) in enumerate(periods):
        address = make_address("3512 CD", 100 + n)
        db.session.add(
            Permit(
                address_id=address.id,
                municipality_id=utrecht.id,
                permit_type="omzettingsvergunning",
                max_occupants=8,
                valid_from=start,
                valid_until=end,
                decision_reference=f"S-{n}",
                status=status,
            )
        )
    db.session.commit()
    scope = Scope("municipality", utrecht.id)
    everything = _permits()
    expected = {
        state: {
            p.id
            for p in everything
            if permit_state(p.valid_from, p.valid_until, p.status == "revoked", TODAY) == state
        }
        for state in PERMIT_STATES
    }
    assert all(expected[s] for s in PERMIT_STATES)  # the table covers every state
    for state in PERMIT_STATES:
        found = db.session.execute(
            permit_register.permits_query(scope, state=state, today=TODAY)
        ).scalars()
        assert {p.id for p in found} == expected[state], state
    assert permit_register.state_counts(scope, TODAY) == {
        s: len(expected[s]) for s in PERMIT_STATES
    }
    # Another municipality sees none of them.
    assert permit_register.state_counts(Scope("municipality", 999), TODAY) == {
        s: 0 for s in PERMIT_STATES
    }


def test_the_text_filter_finds_postcode_street_reference_and_holder(place: dict) -> None:
    permit_register.create_permit(_user(place["admin"]), _fields())
    permit_register.create_permit(
        _user(place["admin"]),
        _fields(decision_reference="2026/0999", house_number="14", holder_kvk=""),
    )
    db.session.commit()
    scope = Scope("municipality", place["utrecht"].id)

    def refs(text: str) -> list[str]:
        stmt = permit_register.permits_query(scope, text=text, today=TODAY)
        return [p.decision_reference for p in db.session.execute(stmt).scalars()]

    assert refs("") == ["2026/0815", "2026/0999"]
    assert refs("3511ab") == ["2026/0815", "2026/0999"]
    assert refs("3511") == ["2026/0815", "2026/0999"]
    assert refs("3512") == []
    assert refs("oudegr") == ["2026/0815", "2026/0999"]
    assert refs("0999") == ["2026/0999"]
    assert refs("woonbedrijf") == ["2026/0815"]
    assert refs("12345678") == ["2026/0815"]
    assert refs("100%") == []  # no wildcard injection


# --- the CSV import ------------------------------------------------------------------------------


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def test_import_inserts_updates_and_leaves_unchanged(place: dict) -> None:
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    first = _csv(
        "2026/1;3511 AB;12;;;12345678;omzettingsvergunning;8;01-01-2026;31-12-2030",
        "2026/2;3511AB;14;;;;Verhuurvergunning;6;2026-01-01;",
    )
    report = permit_register.import_permits(utrecht, first, _user(place["admin"]))
    db.session.commit()
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (2, 0, 0, [])
    one, two = _permits()
    assert (one.max_occupants, one.valid_until, one.holder_organisation_id) == (
        8,
        date(2030, 12, 31),
        place["holder"].id,
    )
    assert (two.permit_type, two.valid_until, two.holder_organisation_id) == (
        "verhuurvergunning",
        None,
        None,
    )

    second = _csv(
        "2026/1;3511 AB;12;;;12345678;omzettingsvergunning;8;01-01-2026;31-12-2030",
        "2026/2;3511AB;14;;;;verhuurvergunning;7;2026-01-01;",
    )
    report = permit_register.import_permits(utrecht, second, None)
    db.session.commit()
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    assert db.session.get(Permit, two.id).max_occupants == 7  # type: ignore[union-attr]
    assert _actions().count("permit.import") == 2


def test_import_re_evaluates_the_addresses_at_once(place: dict) -> None:
    _file(place, 6)
    assert _open_flag(place["address"]) is not None
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    permit_register.import_permits(
        utrecht, _csv("2026/1;3511 AB;12;;;;omzettingsvergunning;8;01-01-2026;"), None
    )
    db.session.commit()
    assert _open_flag(place["address"]) is None
    # The next file lowers the maximum below the 6 who live there: the flag opens again.
    permit_register.import_permits(
        utrecht, _csv("2026/1;3511 AB;12;;;;omzettingsvergunning;5;01-01-2026;"), None
    )
    db.session.commit()
    flag = _open_flag(place["address"])
    assert flag is not None and (flag.reasons, flag.limit) == ("over_limit", 5)


def test_a_file_with_bad_lines_stores_nothing_and_names_every_problem(place: dict) -> None:
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    data = _csv(
        "2026/1;3511 AB;12;;;12345678;omzettingsvergunning;8;01-01-2026;31-12-2030",  # good
        "2026/2;3511 AB;99;;;;omzettingsvergunning;8;01-01-2026;",  # unknown address
        "2026/3;2671 AC;29;;;;omzettingsvergunning;8;01-01-2026;",  # Westland
        "2026/4;3511 AB;14;;;87654321;logies;0;31-02-2026;",  # four problems
        "2026/1;3511 AB;14;;;;omzettingsvergunning;8;01-01-2026;",  # repeats line 2's reference
        ";3511 AB;14;;;;omzettingsvergunning;8;01-01-2026;01-01-2025",
    )
    report = permit_register.import_permits(utrecht, data, None)
    db.session.rollback()
    got = [(r.line, r.column, r.code) for r in report.rejected]  # type: ignore[attr-defined]
    assert got == [
        (3, "postcode", "permit.address.unknown"),
        (4, "postcode", "permit.address.other_municipality"),
        (5, "soort", "permit.type.unknown"),
        (5, "max_bewoners", "permit.max_occupants.range"),
        (5, "geldig_van", "date.nonexistent"),
        (5, "kvk_houder", "organisation.unknown"),
        (6, "besluitnummer", "duplicate_in_file"),
        (7, "besluitnummer", "permit.decision_reference.required"),
        (7, "geldig_tot", "permit.valid_until.before_from"),
    ]
    assert report.rejected[6].detail == "line 2"
    assert (report.inserted, report.updated) == (0, 0)
    assert _permits() == []  # not even the good line
    assert "permit.import" not in _actions()


def test_import_reads_commas_a_bom_and_english_headers(place: dict) -> None:
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    header = (
        "decision_reference,postcode,house_number,addition,holder_kvk,type,max_occupants,"
        "valid_from,valid_until"
    )
    data = "\ufeff".encode() + _csv(
        "A-1,3511 AB,12,,12345678,kamerverhuurvergunning,5,1-1-2026,", header=header
    )
    report = permit_register.import_permits(utrecht, data, None)
    assert (report.inserted, report.rejected) == (1, [])
    [permit] = _permits()
    assert (permit.decision_reference, permit.permit_type) == ("A-1", "kamerverhuurvergunning")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"besluitnummer;postcode;huisnummer\n1;3511 AB;12\n", ("file", "columns.missing")),
        ("besluitnummer;café\n".encode("latin-1"), ("file", "file.encoding")),
        (HEADER.encode() + b"\n", ("file", "permit.import.empty")),
    ],
)
def test_import_refuses_an_unreadable_file(
    place: dict, data: bytes, expected: tuple[str, str]
) -> None:
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    problems = _refusal(lambda: permit_register.import_permits(utrecht, data, None))
    assert problems == [expected]


def test_import_leaves_a_revoked_permit_alone(place: dict) -> None:
    permit = permit_register.create_permit(_user(place["admin"]), _fields(decision_reference="R-1"))
    db.session.commit()
    permit_register.revoke_permit(_user(place["admin"]), permit, "ingetrokken")
    db.session.commit()
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    report = permit_register.import_permits(
        utrecht, _csv("R-1;3511 AB;12;;;;omzettingsvergunning;9;01-01-2026;"), None
    )
    assert [(r.line, r.code) for r in report.rejected] == [(2, "permit.revoked")]
    db.session.rollback()
    assert db.session.execute(select(func.max(Permit.max_occupants))).scalar_one() == 8
    # The same line as the register holds is no change: a full register file still imports.
    utrecht = db.session.get(Municipality, place["utrecht"].id)
    report = permit_register.import_permits(
        utrecht,
        _csv("R-1;3511 AB;12;;;12345678;omzettingsvergunning;8;01-01-2026;31-12-2030"),
        None,
    )
    assert (report.unchanged, report.rejected) == (1, [])
    assert db.session.execute(select(Permit.status)).scalar_one() == "revoked"


def test_the_import_command_names_a_day_that_does_not_exist(
    place: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    from portal.cli.permits import print_permit_report

    utrecht = db.session.get(Municipality, place["utrecht"].id)
    data = _csv("2026/9;3511 AB;12;;;;omzettingsvergunning;8;31-02-2026;")
    report = permit_register.import_permits(utrecht, data, None)
    db.session.rollback()
    print_permit_report(report)
    assert "line 2, column geldig_van: 31 februari 2026 bestaat niet." in capsys.readouterr().err
