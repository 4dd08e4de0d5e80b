"""Unregistered addresses (issue 21): one row per real address, entries kept as entered,
disagreements decided by a municipal admin (services.address_entries).

The concurrency test needs PostgreSQL (SQLite serialises every writer). Sabotage (shown by hand,
2026-12-08): with ``SABOTAGE_PLAIN_INSERT=1`` the row is taken as before this change — look for
it, insert it when missing — and the partial unique index is dropped for the test. Then the
five organisations entering one address at the same moment make several rows, each judged on
its own, and the test fails. Run: SABOTAGE_PLAIN_INSERT=1 TEST_DATABASE_URL=… pytest this file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from portal import clock
from portal.domain.address_entries import Place, disagree
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import (
    Address,
    AddressEntry,
    AuditEvent,
    Declaration,
    Flag,
    Municipality,
    MunicipalPolicy,
    Permit,
    User,
)
from portal.services import address_entries
from portal.services import declarations as service
from portal.services.errors import Refused
from portal.services.flags import evaluate_address
from portal.services.queries import Scope

ORGS = 5
RUNS = 20
OCCUPANTS = 2


def _manual(number: int, street: str = "Nieuwe Weg", town: str = "Venlo", code: str = "GM0983"):  # type: ignore[no-untyped-def]
    return service.ManualAddress(
        postcode="5911AB",
        house_number=str(number),
        street=street,
        town=town,
        municipality_code=code,
    )


def _file(user_id: int, manual: service.ManualAddress, occupants: int = OCCUPANTS) -> Any:
    result = service.file_declaration(
        db.session.get(User, user_id),  # type: ignore[arg-type]
        DeclarationInput(occupants=occupants, start_date=clock.today(), separate_contracts=True),
        manual_address=manual,
    )
    db.session.commit()
    return result


# --- the pure rule ------------------------------------------------------------------------------


def test_entries_disagree_on_street_town_or_municipality_not_on_spelling() -> None:
    first = Place("Nieuwe Weg", "Venlo", 1)
    assert not disagree(first, Place("nieuwe  weg", "VENLO", 1))
    assert not disagree(Place("Café Straat", "Venlo", 1), Place("Cafe straat", "Venlo", 1))
    assert disagree(first, Place("Oude Weg", "Venlo", 1))
    assert disagree(first, Place("Nieuwe Weg", "Blerick", 1))
    assert disagree(first, Place("Nieuwe Weg", "Venlo", 2))


# --- five at once (PostgreSQL) ------------------------------------------------------------------


def _old_select_then_insert(values: dict[str, object], municipality_id: int) -> Address:
    """The row as it was taken before issue 21: look, and insert when not found (the sabotage)."""
    found = db.session.execute(
        select(Address).where(
            Address.postcode == values["postcode"],
            Address.house_number == values["house_number"],
            ~Address.verified,
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    address = Address(
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
    )
    db.session.add(address)
    db.session.flush()
    return address


def test_five_organisations_entering_one_address_at_once_meet_on_one_row(
    app: Flask,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_municipality: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL: SQLite serialises all writers, so nothing races")
    make_municipality("GM0983", "Venlo", "Limburg")
    users = [make_user("declarant", org=make_org()).id for _ in range(ORGS)]
    sabotage = bool(os.environ.get("SABOTAGE_PLAIN_INSERT"))
    if sabotage:
        monkeypatch.setattr(service, "_unregistered", _old_select_then_insert)
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("DROP INDEX uq_addresses_unregistered"))
    try:
        outcomes = [_race(app, users, number) for number in range(1, RUNS + 1)]
    finally:
        if sabotage:
            with app.app_context(), db.engine.begin() as conn:
                conn.execute(text("DELETE FROM address_entries"))
                conn.execute(text("DELETE FROM flag_events"))
                conn.execute(text("DELETE FROM flags"))
                conn.execute(text("DELETE FROM receipts"))
                conn.execute(text("DELETE FROM declarations"))
                conn.execute(text("DELETE FROM addresses WHERE verified = false"))
                conn.execute(
                    text(
                        "CREATE UNIQUE INDEX uq_addresses_unregistered ON addresses "
                        "(postcode, house_number, house_letter, house_number_addition) "
                        "WHERE verified = false AND retired_at IS NULL"
                    )
                )
    good = sum(1 for outcome in outcomes if outcome == (1, ORGS * OCCUPANTS, ORGS))
    assert good == RUNS, f"{good}/{RUNS} runs ended on one row with the whole total: {outcomes}"


def _race(app: Flask, users: list[int], number: int) -> tuple[int, int, int]:
    """Five organisations file at house ``number`` at once; (rows, judged total, entries)."""
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def worker(user_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                _file(user_id, _manual(number))
        except BaseException as exc:
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        rows = list(
            db.session.execute(
                select(Address).where(Address.postcode == "5911 AB", Address.house_number == number)
            ).scalars()
        )
        judged = (
            max((max((s.occupants for s in evaluate_address(a).segments), default=0)) for a in rows)
            if rows
            else 0
        )
        entries = db.session.execute(
            select(func.count()).where(AddressEntry.address_id.in_([a.id for a in rows]))
        ).scalar_one()
        if errors:
            return (len(rows), -len(errors), int(entries))
        return (len(rows), int(judged), int(entries))


# --- conflicts and decisions --------------------------------------------------------------------


@pytest.fixture
def conflict(
    ctx: Flask,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_municipality: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """Organisation A enters 5911 AB 7 as Nieuwe Weg, Venlo; B as Kerkstraat, Horst in Horst aan
    de Maas, whose policy allows 1 occupant without a permit (the national default here: 6)."""
    monkeypatch.setitem(ctx.config, "DEFAULT_NO_PERMIT_MAX_OCCUPANTS", 6)
    venlo = make_municipality("GM0983", "Venlo", "Limburg")
    horst = make_municipality("GM1507", "Horst aan de Maas", "Limburg")
    db.session.add(
        MunicipalPolicy(
            municipality_id=horst.id,
            effective_from=clock.today() - timedelta(days=30),
            m2_per_person_dwelling=12,
            m2_per_person_lodging=10,
            no_permit_max_occupants=1,
            late_after_days=3,
        )
    )
    db.session.commit()
    a = make_user("declarant", org=make_org())
    b = make_user("declarant", org=make_org())
    first = _file(a.id, _manual(7), occupants=2)
    second = _file(b.id, _manual(7, "Kerkstraat", "Horst", "GM1507"), occupants=2)
    return {
        "venlo": venlo,
        "horst": horst,
        "a": a,
        "b": b,
        "address_id": first.declaration.address_id,
        "second": second,
        "admin": make_user("municipal_admin", municipality=horst),
    }


def _open_flag(address_id: int) -> Flag | None:
    return db.session.execute(
        select(Flag).where(Flag.address_id == address_id, Flag.status == "open")
    ).scalar_one_or_none()


def test_a_disagreeing_entry_is_kept_counted_and_queued_for_both_municipalities(
    conflict: dict[str, Any],
) -> None:
    address = db.session.get(Address, conflict["address_id"])
    assert address is not None
    # Not merged: the row keeps A's values, B's entry is stored as entered and open.
    assert (address.street, address.town, address.municipality_id) == (
        "Nieuwe Weg",
        "Venlo",
        conflict["venlo"].id,
    )
    entries = (
        db.session.execute(
            select(AddressEntry)
            .where(AddressEntry.address_id == address.id)
            .order_by(AddressEntry.id)
        )
        .scalars()
        .all()
    )
    assert [(e.street, e.town, e.state) for e in entries] == [
        ("Nieuwe Weg", "Venlo", "accepted"),
        ("Kerkstraat", "Horst", "open"),
    ]
    # The declaration still counts at the one row: the total is judged over both.
    assert conflict["second"].declaration.address_id == address.id
    assert max(s.occupants for s in conflict["second"].evaluation.segments) == 4
    for municipality in ("venlo", "horst"):
        queue = address_entries.open_conflicts(Scope("municipality", conflict[municipality].id))
        assert [c.address.id for c in queue] == [address.id]
    other = Municipality(code="GM0344", name="Utrecht", province="Utrecht")
    db.session.add(other)
    db.session.flush()
    assert address_entries.open_conflicts(Scope("municipality", other.id)) == []
    assert db.session.query(AuditEvent).filter_by(action="address.conflict").count() == 1


def test_confirm_takes_the_entry_moves_the_address_and_rejudges(
    conflict: dict[str, Any],
) -> None:
    address_id = conflict["address_id"]
    assert _open_flag(address_id) is None  # 4 ≤ 6 in Venlo
    admin = db.session.get(User, conflict["admin"].id)
    horst = Scope("municipality", conflict["horst"].id)
    entry = db.session.execute(
        select(AddressEntry).where(AddressEntry.state == "open")
    ).scalar_one()
    address_entries.confirm_entry(admin, horst, address_id, entry.id)  # type: ignore[arg-type]
    db.session.commit()
    address = db.session.get(Address, address_id)
    assert address is not None
    assert (address.street, address.town, address.municipality_id) == (
        "Kerkstraat",
        "Horst",
        conflict["horst"].id,
    )
    municipalities = db.session.execute(
        select(Declaration.municipality_id).where(Declaration.address_id == address_id)
    ).scalars()
    assert set(municipalities) == {conflict["horst"].id}
    flag = _open_flag(address_id)  # judged again at once: 4 > 1 without a permit in Horst
    assert flag is not None and flag.municipality_id == conflict["horst"].id
    assert flag.occupants == 4
    states = db.session.execute(
        select(AddressEntry.street, AddressEntry.state).order_by(AddressEntry.id)
    ).all()
    assert [tuple(s) for s in states] == [("Nieuwe Weg", "set_aside"), ("Kerkstraat", "confirmed")]
    assert address_entries.open_conflicts(horst) == []
    event = db.session.query(AuditEvent).filter_by(action="address.decision").one()
    assert event.detail.startswith(f"confirm;entry={entry.id}")


def test_correct_takes_the_typed_values_and_rejudges(conflict: dict[str, Any]) -> None:
    address_id = conflict["address_id"]
    admin = db.session.get(User, conflict["admin"].id)
    venlo = Scope("municipality", conflict["venlo"].id)
    with pytest.raises(Refused) as refused:
        address_entries.correct(admin, venlo, address_id, "", "Horst", "GM9999")  # type: ignore[arg-type]
    assert {p.code for p in refused.value.problems} == {"street.required", "municipality.unknown"}
    db.session.rollback()
    address_entries.correct(admin, venlo, address_id, "Kerkweg", "Horst", "GM1507")  # type: ignore[arg-type]
    db.session.commit()
    address = db.session.get(Address, address_id)
    assert address is not None
    assert (address.street, address.town, address.municipality_id) == (
        "Kerkweg",
        "Horst",
        conflict["horst"].id,
    )
    flag = _open_flag(address_id)
    assert flag is not None and flag.municipality_id == conflict["horst"].id
    assert set(db.session.execute(select(AddressEntry.state)).scalars()) == {"set_aside"}
    assert address_entries.open_conflicts(venlo) == []
    with pytest.raises(Refused):  # decided: a second decision is refused
        address_entries.correct(admin, venlo, address_id, "Kerkweg", "Horst", "GM1507")  # type: ignore[arg-type]


def test_link_moves_the_declarations_to_the_register_and_retires_the_row(
    conflict: dict[str, Any], make_address: Callable[..., Any]
) -> None:
    address_id = conflict["address_id"]
    # The register caught up: the "7" both typed is 7A there, with 10 m² (room for nobody).
    register = make_address(
        "5911 AB", 7, letter="A", municipality=conflict["venlo"], floor_area=10, street="Nieuwe Weg"
    )
    elsewhere = make_address("5911 AB", 8, municipality=conflict["venlo"])
    permit = Permit(
        address_id=address_id,
        municipality_id=conflict["venlo"].id,
        permit_type="huisvestingsvergunning",
        max_occupants=10,
        valid_from=clock.today() + timedelta(days=30),
        valid_until=None,
    )
    db.session.add(permit)
    db.session.commit()
    admin = db.session.get(User, conflict["admin"].id)
    horst = Scope("municipality", conflict["horst"].id)
    with pytest.raises(Refused) as refused:
        address_entries.link_to_register(admin, horst, address_id, elsewhere.id)  # type: ignore[arg-type]
    assert refused.value.problems[0].code == "address_conflict.not_a_candidate"
    db.session.rollback()
    address_entries.link_to_register(admin, horst, address_id, register.id)  # type: ignore[arg-type]
    db.session.commit()
    moved = db.session.execute(select(Declaration.address_id, Declaration.municipality_id)).all()
    assert {tuple(m) for m in moved} == {(register.id, conflict["venlo"].id)}
    assert db.session.get(Permit, permit.id).address_id == register.id  # type: ignore[union-attr]
    retired = db.session.get(Address, address_id)
    assert retired is not None and retired.retired_at is not None
    assert retired.replaced_by_id == register.id
    flag = _open_flag(register.id)  # judged at once: 4 occupants on 10 m²
    assert flag is not None and flag.occupants == 4
    assert _open_flag(address_id) is None
    assert address_entries.open_conflicts(horst) == []
    # A new hand entry of "7" now files at the register's 7A, not at a new unregistered row.
    again = _file(conflict["a"].id, _manual(7), occupants=1)
    assert again.declaration.address_id == register.id
    assert db.session.query(Address).filter_by(verified=False).count() == 1
