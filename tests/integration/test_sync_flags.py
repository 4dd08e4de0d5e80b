"""``flags.sync_flags``: many addresses' flags in one go, exactly as one ``sync_flag`` each.

The bulk paths (the first ``flags reevaluate --all``, a batch import) hand every changing address
to ``sync_flags`` at once. Two copies of the same seven cases — a new breach, a closed flag that
reopens (the latest of two), an escalation, an update, a flag that resolves itself, one an
inspector is working on, one that matches — are synced, one copy in one call and the other one
address at a time; flags, history, audit events and alerts must come out the same. And the number
of statements must not grow with the number of addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from portal import clock
from portal.extensions import db
from portal.models import (
    Address,
    AuditEvent,
    Declaration,
    Flag,
    FlagEvent,
    MunicipalPolicy,
    OutboxMessage,
)
from portal.services.flags import (
    evaluate_address,
    flag_findings,
    flag_values,
    sync_flag,
    sync_flags,
)

TODAY = date(2026, 3, 2)
ALERT_ADDRESS = "signalen@gemeente.example"
CASES = ("new", "reopen", "escalate", "update", "resolve", "working", "same", "quiet")


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
        yield


@pytest.fixture
def town(
    ctx: Flask,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
) -> dict[str, Any]:
    """Two municipalities with alert addresses and an immediate inspector each."""
    utrecht = make_municipality()
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    for municipality in (utrecht, westland):
        db.session.add(
            MunicipalPolicy(
                municipality_id=municipality.id,
                effective_from=TODAY - timedelta(days=30),
                m2_per_person_dwelling=12,
                m2_per_person_lodging=10,
                no_permit_max_occupants=4,
                late_after_days=3,
                alert_emails=f"{municipality.code}-{ALERT_ADDRESS}",
                support_desk_email="",
            )
        )
    db.session.commit()
    make_user("inspector", municipality=utrecht, email="direct@gemeente.example")
    make_user("inspector", municipality=westland, email="westland@gemeente.example")
    return {"municipalities": (utrecht, westland), "org": make_org(name="Flexwerk")}


def _declare(address: Address, organisation: Any, occupants: int) -> None:
    db.session.add(
        Declaration(
            reference=f"MH-2026-{address.id:07d}",
            kind="new",
            organisation_id=organisation.id,
            address_id=address.id,
            municipality_id=address.municipality_id,
            occupants=occupants,
            start_date=TODAY - timedelta(days=30),
            separate_contracts=True,
        )
    )


def _flag(address: Address, **values: Any) -> Flag:
    row = {
        "address_id": address.id,
        "municipality_id": address.municipality_id,
        "status": "open",
        "reasons": "permit_required",
        "period_start": TODAY - timedelta(days=30),
        "occupants": 6,
        "limit": 4,
        **values,
    }
    flag = Flag(**row)
    db.session.add(flag)
    return flag


def _build(town: dict, make_address: Callable[..., Any], copy: int) -> dict[str, Address]:
    """The seven cases (and a quiet address), alternating between the two municipalities.

    Every dwelling is 100 m² without a permit: at most 4 occupants.
    """
    org = town["org"]
    addresses: dict[str, Address] = {}
    for n, case in enumerate(CASES):
        municipality = town["municipalities"][n % 2]
        made = make_address(
            "3511 AB", 100 * copy + n + 1, municipality=municipality, street=f"Straat {case}"
        )
        addresses[case] = db.session.get(Address, made.id)  # type: ignore[assignment]
    occupants = {"new": 6, "reopen": 7, "escalate": 9, "update": 6, "resolve": 3, "working": 2,
                 "same": 6, "quiet": 0}  # fmt: skip
    for case, count in occupants.items():
        if count:
            _declare(addresses[case], org, count)
    earlier = clock.now() - timedelta(days=20)
    _flag(addresses["reopen"], status="resolved", outcome="compliant", closed_at=earlier)
    _flag(addresses["reopen"], status="dismissed", outcome="warning",
          closed_at=earlier + timedelta(days=5))  # fmt: skip  # the latest: this one reopens
    _flag(addresses["escalate"], occupants=6, alerted_occupants=6)
    _flag(addresses["update"], period_end=TODAY + timedelta(days=90))  # the end date changed
    _flag(addresses["resolve"])
    _flag(addresses["working"], status="in_progress")
    db.session.flush()
    same = addresses["same"]
    values = flag_values(flag_findings(evaluate_address(same), TODAY))
    _flag(same, **values)
    db.session.commit()
    return addresses


def _outcome(addresses: dict[str, Address]) -> dict[str, Any]:
    """Per case: its flags (status, outcome, values), history, audit actions and alert mails."""
    found: dict[str, Any] = {}
    for case, address in addresses.items():
        flags = db.session.execute(
            select(Flag).where(Flag.address_id == address.id).order_by(Flag.id)
        ).scalars()
        rows = []
        for flag in flags:
            events = db.session.execute(
                select(FlagEvent.kind, FlagEvent.detail, FlagEvent.from_status, FlagEvent.to_status)
                .where(FlagEvent.flag_id == flag.id)
                .order_by(FlagEvent.id)
            ).all()
            actions = db.session.execute(
                select(AuditEvent.action, AuditEvent.detail)
                .where(AuditEvent.object_type == "flag", AuditEvent.object_id == str(flag.id))
                .order_by(AuditEvent.id)
            ).all()
            link = re.compile(rf"/inspectie/signalen/{flag.id}(?!\d)")
            mails = sorted(m.recipient for m in _alerts() if link.search(m.body_text))
            rows.append(
                {
                    "status": flag.status,
                    "outcome": flag.outcome,
                    "reasons": flag.reasons,
                    "occupants": flag.occupants,
                    "limit": flag.limit,
                    "period_end": flag.period_end,
                    "closed": flag.closed_at is not None,
                    "alerted": flag.alerted_occupants,
                    "events": [tuple(e) for e in events],
                    "audit": [tuple(a) for a in actions],
                    "mails": mails,
                }
            )
        found[case] = rows
    return found


def _alerts() -> list[OutboxMessage]:
    return list(
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "flag_alert")
        ).scalars()
    )


def _items(addresses: dict[str, Address]) -> list[tuple[Address, Any]]:
    return [(a, evaluate_address(a)) for a in addresses.values()]


def test_one_call_for_many_addresses_does_what_one_call_per_address_does(
    town: dict, make_address: Callable[..., Any]
) -> None:
    together = _build(town, make_address, 1)
    apart = _build(town, make_address, 2)

    items = _items(together)
    returned = sync_flags(list(reversed(items)), None, today=TODAY)
    db.session.commit()
    for address, evaluation in _items(apart):
        sync_flag(address, evaluation, None, today=TODAY)
        db.session.commit()

    first, second = _outcome(together), _outcome(apart)
    assert first == second
    # And what that is, case by case.
    assert [f is None for f in returned] == [case == "quiet" for case in reversed(CASES)]
    new = first["new"][0]
    assert (new["status"], new["occupants"], new["alerted"]) == ("open", 6, 6)
    assert new["events"] == [("opened", "permit_required", None, "open")]
    assert new["audit"] == [("flag.open", "permit_required")]
    assert new["mails"] == ["GM0344-signalen@gemeente.example", "direct@gemeente.example"]
    older, latest = first["reopen"]
    assert (older["status"], older["events"]) == ("resolved", [])
    assert (latest["status"], latest["outcome"], latest["closed"]) == ("open", None, False)
    assert latest["events"] == [
        ("reopened", "permit_required;previous_outcome=warning", "dismissed", "open")
    ]
    assert latest["mails"] == ["GM1783-signalen@gemeente.example", "westland@gemeente.example"]
    escalated = first["escalate"][0]
    assert (escalated["occupants"], escalated["alerted"]) == (9, 9)
    assert escalated["events"] == [("escalated", "over_limit,permit_required", None, None)]
    assert len(escalated["mails"]) == 2
    updated = first["update"][0]
    assert updated["events"] == [("updated", "permit_required", None, None)]
    assert (updated["period_end"], updated["mails"]) == (None, [])
    resolved = first["resolve"][0]
    assert (resolved["status"], resolved["outcome"]) == ("resolved", "no_longer_applies")
    assert resolved["events"] == [
        ("resolved", "permit_required;outcome=no_longer_applies", "open", "resolved")
    ]
    assert (resolved["audit"], resolved["mails"]) == ([("flag.resolve", "")], [])
    for case in ("working", "same"):
        assert first[case][0]["events"] == [] and first[case][0]["audit"] == []
    assert first["working"][0]["status"] == "in_progress"
    assert first["quiet"] == []


def _statements(run: Callable[[], Any]) -> int:
    counted = 0

    def count(*args: Any) -> None:
        nonlocal counted
        counted += 1

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counted


def test_the_number_of_statements_does_not_grow_with_the_addresses(
    town: dict, make_address: Callable[..., Any]
) -> None:
    one = _build(town, make_address, 1)
    others = [_build(town, make_address, copy) for copy in range(2, 12)]
    many = [item for addresses in others for item in _items(addresses)]
    large = _statements(lambda: (sync_flags(many, None, today=TODAY), db.session.flush()))
    db.session.rollback()
    few = _items(one)
    small = _statements(lambda: (sync_flags(few, None, today=TODAY), db.session.flush()))
    db.session.rollback()
    # Ten times the addresses (70 changes, 40 alerts): the same reads and one batched write per
    # table, not about ten statements per address as one sync_flag per address would take.
    assert len(many) == 10 * len(few)
    assert large <= small + 2, (small, large)
