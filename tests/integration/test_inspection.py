"""The inspector's work on flags, at the service layer: scoping, inbox order and filters, the
status rule, assignment, notes, the dossier's declarations and the occupancy chart.

Flags are made by the real rules: declarations filed through ``file_declaration``. The
municipalities, organisations and users are one world built once for the module; each test runs
in a savepoint (``in_savepoint``, see tests/conftest.py) and its writes are rolled back after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import AuditEvent, Declaration, Flag, FlagEvent, Permit, User
from portal.presentation.charts import Step, nice_scale, step_chart, window
from portal.presentation.exports import excel_csv, flag_rows
from portal.presentation.occupancy import occupancy_chart
from portal.services import inspection
from portal.services.declarations import amend_declaration, end_declaration, file_declaration
from portal.services.errors import Refused
from portal.services.queries import scope_of
from tests.conftest import create_municipality, create_org, create_user


def _user(user: Any) -> User:
    return db.session.get(User, user.id)  # type: ignore[return-value]


def declare(user: Any, address: Any, occupants: int, **kwargs: Any) -> Declaration:
    """File a declaration through the real service and commit it, as a request would."""
    data = DeclarationInput(
        occupants=occupants,
        start_date=kwargs.pop("start_date", clock.today()),
        end_date=kwargs.pop("end_date", None),
        separate_contracts=True,
    )
    result = file_declaration(_user(user), data, address_id=address.id)
    db.session.commit()
    return result.declaration


def flag_of(address: Any) -> Flag:
    return db.session.execute(select(Flag).where(Flag.address_id == address.id)).scalar_one()


@pytest.fixture(scope="module")
def _world(app: Flask, module_tables: None) -> dict[str, Any]:
    """Built once for the module and committed; each test works in a savepoint on top of it."""
    utrecht = create_municipality(app, "GM0344", "Utrecht")
    westland = create_municipality(app, "GM1783", "Westland", "Zuid-Holland")
    flex = create_org(app, name="Flexwerk B.V.", kvk="90000011")
    west = create_org(app, name="Westland Personeel", kvk="90000012")
    return {
        "utrecht": utrecht,
        "westland": westland,
        "a": create_user(app, "declarant", org=flex),
        "b": create_user(app, "declarant", org=west),
        "inspector": create_user(app, "inspector", municipality=utrecht),
        "colleague": create_user(app, "inspector", municipality=utrecht),
        "foreign_inspector": create_user(app, "inspector", municipality=westland),
    }


@pytest.fixture
def world(
    _world: dict[str, Any],
    ctx: Flask,
    in_savepoint: Any,
    make_address: Callable[..., Any],
) -> dict[str, Any]:
    utrecht = _world["utrecht"]
    return {
        **_world,
        "make_address": lambda postcode, number, mun=utrecht, **kw: make_address(
            postcode, number, municipality=mun, **kw
        ),
    }


def _ids(stmt: Any) -> list[int]:
    return [f.id for f in db.session.execute(stmt).scalars()]


# --- scoping ----------------------------------------------------------------------------------


def test_an_inspector_sees_and_counts_only_the_flags_of_their_own_municipality(world) -> None:  # type: ignore[no-untyped-def]
    own = world["make_address"]("3511 AB", 1)
    foreign = world["make_address"]("2671 AA", 5, world["westland"], street="Havenstraat")
    declare(world["a"], own, 6)
    declare(world["a"], foreign, 9)
    own_flag, foreign_flag = flag_of(own), flag_of(foreign)
    inspector = _user(world["inspector"])
    scope = scope_of(inspector)

    for status in inspection.STATUS_FILTERS:
        stmt = inspection.inbox_query(scope, inspector, inspection.InboxFilter(status=status))
        assert foreign_flag.id not in _ids(stmt)
    assert _ids(inspection.inbox_query(scope, inspector, inspection.InboxFilter())) == [own_flag.id]
    assert inspection.inbox_counts(scope, inspector) == inspection.InboxCounts(1, 0, 0)
    flags, users = inspection.export_inbox(scope, inspector, inspection.InboxFilter(status="all"))
    csv = excel_csv(*flag_rows(flags, users))
    assert "Havenstraat" not in csv.decode("utf-8-sig")
    assert inspection.flags_of_address(foreign, scope) == []
    with pytest.raises(NotFound):
        inspection.get_flag(foreign_flag.id, scope)


@pytest.mark.parametrize(
    "change",
    [
        lambda user, flag_id: inspection.add_note(user, flag_id, "kijken"),
        lambda user, flag_id: inspection.assign(user, flag_id, user.id),
        lambda user, flag_id: inspection.assign(user, flag_id, None),
        lambda user, flag_id: inspection.change_status(user, flag_id, "in_progress"),
    ],
    ids=["note", "assign", "unassign", "status"],
)
def test_changes_to_a_flag_of_another_municipality_answer_404_and_change_nothing(
    world,
    change,  # type: ignore[no-untyped-def]
) -> None:
    foreign = world["make_address"]("2671 AA", 5, world["westland"])
    declare(world["a"], foreign, 9)
    flag = flag_of(foreign)
    events = len(db.session.execute(select(FlagEvent)).all())
    with pytest.raises(NotFound):
        change(_user(world["inspector"]), flag.id)
    db.session.rollback()
    assert len(db.session.execute(select(FlagEvent)).all()) == events
    assert (flag_of(foreign).status, flag_of(foreign).assignee_user_id) == ("open", None)


# --- the inbox: order and filters -------------------------------------------------------------


def test_inbox_sorts_by_severity_age_and_postcode_area(world) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    make = world["make_address"]
    # 100 m²: area limit 8, no permit: at most 4 -> permit_required, limit 4.
    mild = make("3521 CD", 1)  # 5 of 4: over by 1, opened 10 days ago
    worst = make("3511 AB", 2)  # 7 of 4: over by 3, opened 5 days ago
    # 36 m²: area limit 3 -> over_limit, limit 3: 5 of 3 is over by 2 (ratio 1.67) ...
    small = make("3505 EF", 3, floor_area=36)
    # ... and 6 of 4 is also over by 2 (ratio 1.5): the ratio breaks the tie.
    tie = make("3531 GH", 4)
    with clock.freeze(now - timedelta(days=10)):
        declare(world["a"], mild, 5)
    with clock.freeze(now - timedelta(days=5)):
        declare(world["a"], worst, 7)
    with clock.freeze(now - timedelta(days=2)):
        declare(world["b"], small, 5)
    declare(world["b"], tie, 6)
    ids = {
        name: flag_of(a).id
        for name, a in (("mild", mild), ("worst", worst), ("small", small), ("tie", tie))
    }
    assert flag_of(small).reasons.split(",")[0] == "over_limit"
    inspector = _user(world["inspector"])
    scope = scope_of(inspector)

    def order(sort: str) -> list[str]:
        by_id = {v: k for k, v in ids.items()}
        stmt = inspection.inbox_query(scope, inspector, inspection.InboxFilter(sort=sort))
        return [by_id[i] for i in _ids(stmt)]

    assert order("severity") == ["worst", "small", "tie", "mild"]
    assert order("age") == ["mild", "worst", "small", "tie"]
    assert order("postcode") == ["small", "worst", "mild", "tie"]


def test_inbox_filters_by_status_reason_and_assignee(world) -> None:  # type: ignore[no-untyped-def]
    make = world["make_address"]
    permit_only = make("3511 AB", 1)  # 6 of 4 without a permit
    over_area = make("3512 AB", 2, floor_area=36)  # 5 of area limit 3, also > 4
    closed = make("3513 AB", 3)
    declare(world["a"], permit_only, 6)
    declare(world["a"], over_area, 5)
    declare(world["a"], closed, 6)
    inspector, colleague = _user(world["inspector"]), _user(world["colleague"])
    scope = scope_of(inspector)
    f_permit, f_area, f_closed = flag_of(permit_only), flag_of(over_area), flag_of(closed)
    inspection.assign(inspector, f_permit.id, inspector.id)
    inspection.assign(inspector, f_area.id, colleague.id)
    inspection.change_status(inspector, f_area.id, "in_progress")
    inspection.change_status(inspector, f_closed.id, "in_progress")
    inspection.change_status(inspector, f_closed.id, "dismissed", "unfounded")
    db.session.commit()

    def ids(**kwargs: str) -> set[int]:
        stmt = inspection.inbox_query(scope, inspector, inspection.InboxFilter(**kwargs))
        return set(_ids(stmt))

    assert ids() == {f_permit.id, f_area.id}  # default: open and in progress
    assert ids(status="open") == {f_permit.id}
    assert ids(status="in_progress") == {f_area.id}
    assert ids(status="closed") == {f_closed.id}
    assert ids(status="all") == {f_permit.id, f_area.id, f_closed.id}
    assert ids(reason="over_limit") == {f_area.id}
    assert ids(reason="permit_required") == {f_permit.id, f_area.id}
    assert ids(reason="non_residential") == set()
    assert ids(assignee="me") == {f_permit.id}
    assert ids(assignee="nobody") == set()
    assert ids(status="all", assignee="nobody") == {f_closed.id}
    assert inspection.inbox_counts(scope, inspector) == inspection.InboxCounts(1, 1, 1)
    # Unknown values fall back to the defaults instead of failing.
    assert (
        inspection.InboxFilter.from_args(
            {"status": "x", "reason": "' OR 1=1--", "assignee": "?", "sort": "drop"}
        )
        == inspection.InboxFilter()
    )


# --- the status rule ----------------------------------------------------------------------------


def test_assign_start_and_close_write_history_and_audit_events(world) -> None:  # type: ignore[no-untyped-def]
    address = world["make_address"]("3511 AB", 1)
    declare(world["a"], address, 6)
    flag = flag_of(address)
    inspector, colleague = _user(world["inspector"]), _user(world["colleague"])

    inspection.assign(inspector, flag.id, colleague.id)
    inspection.change_status(inspector, flag.id, "in_progress")
    inspection.add_note(inspector, flag.id, "Bezocht; 6 bedden geteld.")
    inspection.change_status(inspector, flag.id, "resolved", "warning")
    db.session.commit()

    flag = flag_of(address)
    assert (flag.status, flag.outcome, flag.assignee_user_id) == (
        "resolved",
        "warning",
        colleague.id,
    )
    assert flag.closed_at is not None
    events = db.session.execute(
        select(FlagEvent)
        .where(FlagEvent.flag_id == flag.id, FlagEvent.actor_user_id == inspector.id)
        .order_by(FlagEvent.id)
    ).scalars()
    assert [(e.kind, e.from_status, e.to_status, e.detail, e.actor_user_id) for e in events] == [
        ("assigned", None, None, str(colleague.id), inspector.id),
        ("status", "open", "in_progress", "", inspector.id),
        ("note", None, None, "Bezocht; 6 bedden geteld.", inspector.id),
        ("status", "in_progress", "resolved", "warning", inspector.id),
    ]
    audits = db.session.execute(
        select(AuditEvent.action, AuditEvent.detail, AuditEvent.municipality_id)
        .where(AuditEvent.object_type == "flag", AuditEvent.object_id == str(flag.id))
        .where(AuditEvent.actor_user_id == inspector.id)
        .order_by(AuditEvent.id)
    ).all()
    utrecht = world["utrecht"].id
    assert audits == [
        ("flag.assign", f"-->{colleague.id}", utrecht),
        ("flag.status", "open->in_progress", utrecht),
        ("flag.note", "", utrecht),  # the note's text stays out of the audit trail
        ("flag.status", "in_progress->resolved warning", utrecht),
    ]

    dossier = inspection.dossier(flag, scope_of(inspector))
    mine = [e.kind for e in dossier.events if e.actor_user_id == inspector.id]
    assert mine == ["status", "note", "status", "assigned"]  # newest first


@pytest.mark.parametrize(
    ("steps", "target", "outcome", "code"),
    [
        ([], "resolved", "compliant", "flag.not_started"),
        ([], "dismissed", "unfounded", "flag.not_started"),
        ([], "open", None, "flag.status_unknown"),
        ([], "", None, "flag.status_unknown"),
        (["in_progress"], "in_progress", None, "flag.transition"),
        (["in_progress"], "resolved", None, "flag.outcome_required"),
        (["in_progress"], "resolved", "no_longer_applies", "flag.outcome_required"),
        (["in_progress"], "dismissed", "", "flag.outcome_required"),
        (["in_progress", "resolved"], "in_progress", None, "flag.closed"),
        (["in_progress", "dismissed"], "resolved", "compliant", "flag.closed"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(
    world,
    steps: list[str],
    target: str,
    outcome: str | None,
    code: str,  # type: ignore[no-untyped-def]
) -> None:
    address = world["make_address"]("3511 AB", 1)
    declare(world["a"], address, 6)
    flag_id = flag_of(address).id
    inspector = _user(world["inspector"])
    for step in steps:
        inspection.change_status(inspector, flag_id, step, "compliant")
    db.session.commit()
    before = (flag_of(address).status, flag_of(address).outcome)
    events = len(db.session.execute(select(FlagEvent)).all())

    with pytest.raises(Refused) as refused:
        inspection.change_status(inspector, flag_id, target, outcome)
    db.session.rollback()

    assert [p.code for p in refused.value.problems] == [code]
    assert (flag_of(address).status, flag_of(address).outcome) == before
    assert len(db.session.execute(select(FlagEvent)).all()) == events


def test_assignment_only_to_active_staff_of_the_same_municipality(world, make_user) -> None:  # type: ignore[no-untyped-def]
    address = world["make_address"]("3511 AB", 1)
    declare(world["a"], address, 6)
    flag_id = flag_of(address).id
    inspector = _user(world["inspector"])
    admin = make_user("municipal_admin", municipality=world["utrecht"])
    for stranger in (world["foreign_inspector"], world["a"], 999999):
        with pytest.raises(Refused) as refused:
            inspection.assign(inspector, flag_id, getattr(stranger, "id", stranger))
        assert refused.value.problems[0].code == "assignee.unknown"
    inspection.assign(inspector, flag_id, admin.id)
    inspection.assign(inspector, flag_id, admin.id)  # the same again: no second event
    inspection.assign(inspector, flag_id, None)
    db.session.commit()
    kinds = db.session.execute(select(FlagEvent.detail).where(FlagEvent.kind == "assigned"))
    assert [d for (d,) in kinds] == [str(admin.id), ""]
    inspection.change_status(inspector, flag_id, "in_progress")
    inspection.change_status(inspector, flag_id, "resolved", "compliant")
    with pytest.raises(Refused) as refused:
        inspection.assign(inspector, flag_id, inspector.id)
    assert refused.value.problems[0].code == "flag.closed"


def test_notes_must_have_text_within_the_limit(world) -> None:  # type: ignore[no-untyped-def]
    address = world["make_address"]("3511 AB", 1)
    declare(world["a"], address, 6)
    flag_id = flag_of(address).id
    inspector = _user(world["inspector"])
    for text, code in (("   ", "note.required"), ("x" * 4001, "note.too_long")):
        with pytest.raises(Refused) as refused:
            inspection.add_note(inspector, flag_id, text)
        assert refused.value.problems[0].code == code
    note = inspection.add_note(inspector, flag_id, "  <b>x</b>\nregel 2  ")
    assert note.detail == "<b>x</b>\nregel 2"


def test_alert_mode_is_one_of_three(world) -> None:  # type: ignore[no-untyped-def]
    inspector = _user(world["inspector"])
    inspection.set_alert_mode(inspector, "digest")
    db.session.commit()
    assert _user(world["inspector"]).alert_mode == "digest"
    with pytest.raises(Refused):
        inspection.set_alert_mode(inspector, "hourly")
    actions = db.session.execute(
        select(AuditEvent.detail).where(AuditEvent.action == "user.alert_mode")
    ).all()
    assert actions == [("immediate->digest",)]


# --- the dossier ---------------------------------------------------------------------------------


def test_dossier_lists_declarations_in_force_of_all_organisations(world) -> None:  # type: ignore[no-untyped-def]
    today = clock.today()
    address = world["make_address"]("3511 AB", 12)
    a, b = _user(world["a"]), _user(world["b"])
    first = declare(a, address, 3)
    declare(b, address, 4)
    declare(b, address, 2, start_date=today + timedelta(days=30))
    gone = declare(a, address, 1, start_date=today - timedelta(days=20))
    end_declaration(a, gone, today - timedelta(days=1), "returned_home")
    amend_declaration(a, first, 5, today + timedelta(days=10))
    db.session.add(
        Permit(
            address_id=address.id,
            municipality_id=address.municipality_id,
            permit_type="omzettingsvergunning",
            max_occupants=6,
            valid_from=today - timedelta(days=400),
            valid_until=today - timedelta(days=35),
            decision_reference="2024-OMZ-1",
        )
    )
    db.session.commit()
    flag = flag_of(address)

    dossier = inspection.dossier(flag, scope_of(_user(world["inspector"])))
    rows = [
        (r.declaration.organisation.name, r.declaration.occupants, r.start, r.end, r.state)
        for r in dossier.declarations
    ]
    assert rows == [
        ("Flexwerk B.V.", 3, today, today + timedelta(days=9), "active"),
        ("Westland Personeel", 4, today, None, "active"),
        ("Flexwerk B.V.", 5, today + timedelta(days=10), None, "future"),
        ("Westland Personeel", 2, today + timedelta(days=30), None, "future"),
    ]
    assert dossier.total_today == 7
    assert [(r.permit.decision_reference, r.state) for r in dossier.permits] == [
        ("2024-OMZ-1", "expired")
    ]
    steps = [(s.start, s.total, s.limit) for s in occupancy_chart(dossier.evaluation, today).steps]
    assert steps == [
        (today, 7, 4),
        (today + timedelta(days=10), 9, 4),
        (today + timedelta(days=30), 11, 4),
    ]


# --- the chart -----------------------------------------------------------------------------------


def _chart(steps: list[Step], first: date, **kwargs: Any) -> Any:
    texts = {
        "title": "Bewoners",
        "description": "Beschrijving",
        "legend_total": "Totaal",
        "legend_limit": "Grens",
        "legend_over": "Boven de grens",
    }
    return step_chart(steps, first, **{**texts, **kwargs})


def test_chart_is_an_accessible_svg_without_scripts_or_external_references() -> None:
    first = date(2026, 11, 27)
    chart = _chart(
        [Step(first, date(2027, 1, 9), 6, 4), Step(date(2027, 1, 10), None, 3, 4)],
        first,
        title='<script>alert(1)</script> "x"',
    )
    svg = str(chart.svg)
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-labelledby="occupancy-chart-title occupancy-chart-desc"' in svg
    assert '<title id="occupancy-chart-title">&lt;script&gt;alert(1)&lt;/script&gt;' in svg
    assert '<desc id="occupancy-chart-desc">Beschrijving</desc>' in svg
    assert "<script" not in svg and "href" not in svg and "style" not in svg
    # Two lines (total, limit), one shaded period over the limit, the legend.
    assert svg.count("<path ") == 2
    assert svg.count('fill-opacity="0.18"') == 2  # the shaded period and its legend sample
    assert 'stroke-dasharray="8 5"' in svg
    assert chart.last_day == first + timedelta(days=179)


def test_chart_window_cuts_to_the_period_shown_and_merges_equal_steps() -> None:
    first = date(2026, 11, 27)
    steps = [
        Step(date(2026, 11, 1), date(2026, 11, 30), 5, 4),
        Step(date(2026, 12, 1), date(2026, 12, 31), 5, 4),  # same as before: merged
        Step(date(2027, 1, 1), date(2027, 12, 31), 2, 4),
        Step(date(2028, 1, 1), None, 9, 4),  # after the window
    ]
    shown = window(steps, first, 180)
    assert shown == [
        Step(first, date(2026, 12, 31), 5, 4),
        Step(date(2027, 1, 1), date(2027, 12, 31), 2, 4),
    ]
    assert shown[0].over_by == 1 and shown[1].over_by == 0
    assert nice_scale(0) == (2, 1)
    assert nice_scale(4) == (5, 1)
    assert nice_scale(11) == (15, 5)
    assert nice_scale(480) == (500, 100)


def test_an_old_bookmark_with_the_dutch_status_still_filters() -> None:
    """?status=in_behandeling (before migration 0007) shows the flags in progress."""
    assert inspection.InboxFilter.from_args({"status": "in_behandeling"}).status == "in_progress"
    assert inspection.InboxFilter.from_args({"status": "in_progress"}).status == "in_progress"
    assert inspection.InboxFilter.from_args({"status": "afgehandeld"}).status == "current"
