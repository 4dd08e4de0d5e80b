"""The benchmark's staging loader (issue 7; bench/staging_loader.py): rows copied into a
staging table, checked in set-based SQL, then moved with one INSERT … SELECT — or nothing stored
and every problem named. Runs on SQLite and on PostgreSQL (COPY)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench import staging_loader as staging
from bench.staging_loader import LoadProblem, StagedDeclaration
from portal import clock
from portal.domain.receipt_codes import format_reference
from portal.extensions import db
from portal.models import AuditEvent, Declaration, ReferenceNumber

FILED = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _row(key: int, org: int, address: int, **changes: Any) -> StagedDeclaration:
    row = StagedDeclaration(
        key=key,
        kind="new",
        organisation_id=org,
        address_id=address,
        occupants=3,
        start_date=date(2026, 3, 1),
        end_date=None,
        end_reason=None,
        separate_contracts=True,
        supersedes_key=None,
        filed_at=FILED.replace(day=1 + key % 20),
    )
    return replace(row, **changes)


@pytest.fixture
def keys(ctx: Flask, make_org: Callable[..., Any], make_address: Callable[..., Any]) -> Any:
    org, other = make_org(), make_org()
    first, second = make_address(house_number=1), make_address(house_number=2)
    return org.id, other.id, first, second


def _declarations() -> list[Declaration]:
    return list(db.session.execute(select(Declaration).order_by(Declaration.id)).scalars())


def test_loads_chains_with_ids_roots_and_municipality(keys: Any) -> None:
    org, _, first, second = keys
    rows = [
        _row(1, org, first.id),
        _row(2, org, first.id, kind="amendment", supersedes_key=1, occupants=4,
             start_date=date(2026, 4, 1), filed_at=FILED.replace(day=25)),
        _row(3, org, first.id, kind="end", supersedes_key=2, occupants=4,
             start_date=date(2026, 4, 1), end_date=date(2026, 6, 30),
             end_reason="employment_ended", filed_at=FILED.replace(day=28)),
        _row(4, org, second.id, occupants=2, declared_for_kvk="12345678",
             occupants_registered_brp=1),
    ]  # fmt: skip
    report = staging.load_declarations(rows, actor_label="test")
    assert report.problems == []
    assert (report.staged, report.inserted) == (4, 4)
    loaded = {d.filed_at: d for d in _declarations()}
    one, two, three, four = (loaded[r.filed_at] for r in rows)
    # Ids follow the filing time; a chain's root is its first filing.
    assert one.id < four.id < two.id < three.id
    assert (two.supersedes_id, three.supersedes_id) == (one.id, two.id)
    assert {one.root_id, two.root_id, three.root_id} == {one.id}
    assert four.root_id == four.id and four.supersedes_id is None
    assert one.municipality_id == first.municipality_id
    assert (three.end_date, three.end_reason) == (date(2026, 6, 30), "employment_ended")
    assert (four.declared_for_kvk, four.occupants_registered_brp) == ("12345678", 1)
    assert two.filed_at == FILED.replace(day=25)
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "declarations.load")
    ).scalar_one()
    assert (event.actor_label, event.detail) == ("test", "count=4")
    # A second load continues after the first one's ids.
    again = staging.load_declarations([_row(5, org, second.id)])
    assert again.inserted == 1
    assert max(d.id for d in _declarations()) > three.id


BAD = [
    ("address", {"address_id": 10**8}, "address_id", "address.not_in_register"),
    ("organisation", {"organisation_id": 10**8}, "organisation_id", "organisation.unknown"),
    ("no occupants", {"occupants": 0}, "occupants", "occupants.range"),
    ("too many", {"occupants": 501}, "occupants", "occupants.range"),
    ("brp over", {"occupants_registered_brp": 4}, "occupants_registered_brp",
     "brp.more_than_occupants"),
    ("period", {"end_date": date(2026, 2, 1)}, "end_date", "end_date.before_start"),
    ("kind", {"kind": "other"}, "kind", "load.kind"),
    ("new with predecessor", {"supersedes_key": 1}, "kind", "load.kind"),
    ("amendment without one", {"kind": "amendment"}, "kind", "load.kind"),
    ("end without date", {"kind": "end", "supersedes_key": 1, "end_reason": "x"}, "kind",
     "load.kind"),
    ("unknown predecessor", {"kind": "amendment", "supersedes_key": 77}, "supersedes_key",
     "load.supersedes"),
    ("later predecessor", {"kind": "amendment", "supersedes_key": 1,
                           "filed_at": datetime(2026, 1, 1, tzinfo=UTC)}, "supersedes_key",
     "load.supersedes"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_row_stores_nothing_and_is_named(
    keys: Any, changes: dict[str, Any], field: str, code: str
) -> None:
    org, _, first, second = keys
    rows = [_row(1, org, first.id), _row(2, org, second.id, **changes), _row(3, org, first.id)]
    report = staging.load_declarations(rows)
    assert LoadProblem(2, field, code) in report.problems
    assert {p.key for p in report.problems} <= {1, 2}, report.problems
    assert report.inserted == 0
    assert _declarations() == []
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 0


def test_successor_must_follow_the_same_organisation_and_address(keys: Any) -> None:
    org, other, first, second = keys
    later = FILED.replace(day=28)
    rows = [
        _row(1, org, first.id),
        _row(2, other, first.id, kind="amendment", supersedes_key=1, filed_at=later),
        _row(3, org, first.id),
        _row(4, org, second.id, kind="amendment", supersedes_key=3, filed_at=later),
        _row(5, org, second.id),
        _row(6, org, second.id, kind="amendment", supersedes_key=5, filed_at=later),
        _row(7, org, second.id, kind="amendment", supersedes_key=5, filed_at=later),
    ]
    problems = staging.load_declarations(rows).problems
    assert problems == [
        LoadProblem(2, "supersedes_key", "load.supersedes"),
        LoadProblem(4, "supersedes_key", "load.supersedes"),
        LoadProblem(6, "supersedes_key", "declaration.superseded"),
        LoadProblem(7, "supersedes_key", "declaration.superseded"),
    ]
    assert _declarations() == []


def test_references_are_drawn_like_single_filings(keys: Any) -> None:
    org, _, first, _ = keys
    with clock.freeze(datetime(2026, 5, 1, 10, tzinfo=UTC)):
        drawn = ReferenceNumber()
        db.session.add(drawn)
        db.session.flush()
        staging.load_declarations([_row(1, org, first.id), _row(2, org, first.id)])
        after = ReferenceNumber()
        db.session.add(after)
        db.session.flush()
    references = [d.reference for d in _declarations()]
    assert references == [format_reference(2026, drawn.id + n) for n in (1, 2)]
    assert after.id > drawn.id + 1  # a single filing after the load never takes a loaded number


def test_a_repeated_key_is_refused(keys: Any) -> None:
    org, _, first, second = keys
    rows = [_row(1, org, first.id), _row(1, org, second.id)]
    report = staging.load_declarations(rows)
    assert {p.code for p in report.problems} == {"load.key_repeated"}
    assert _declarations() == []


def test_copy_rows_refuses_a_naive_timestamp(keys: Any) -> None:
    org, _, first, _ = keys
    naive = _row(1, org, first.id, filed_at=datetime(2026, 3, 1, 10))
    with pytest.raises((ValueError, Exception), match="naive"):
        staging.load_declarations([naive])
    db.session.rollback()


def test_skipping_key_triggers_needs_postgresql_superuser(keys: Any) -> None:
    org, _, first, _ = keys
    rows = [_row(1, org, first.id)]
    if db.session.connection().dialect.name != "postgresql":
        with pytest.raises(ValueError, match="superuser"):
            staging.load_declarations(rows, skip_key_triggers=True)
        return
    # The tests run as the postgres superuser: the fast path loads the same rows, and its own
    # checks still refuse an unknown key (the triggers would not).
    bad = staging.load_declarations([_row(2, org, 10**8)], skip_key_triggers=True)
    assert bad.problems == [LoadProblem(2, "address_id", "address.not_in_register")]
    report = staging.load_declarations(rows, skip_key_triggers=True)
    assert report.inserted == 1
    role = db.session.execute(select(func.current_setting("session_replication_role"))).scalar()
    assert role == "origin"
