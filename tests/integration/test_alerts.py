"""Alerts, the flag's history, the daily digest and the support-desk notice.

Alerts are outbox rows written in the same transaction as the flag change (docs/architecture.md
§3.4): a rolled-back filing leaves neither flag nor alert. They name the address and the reasons
and link to the dossier, never an organisation or an occupant count (AVG: data minimisation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import (
    AlertDigestLine,
    AuditEvent,
    Declaration,
    Flag,
    FlagEvent,
    MunicipalPolicy,
    OutboxMessage,
    User,
)
from portal.notifications.alerts import enqueue_digests
from portal.receipts.texts import FINDING_TEXTS
from portal.services.declarations import amend_declaration, end_declaration, file_declaration
from portal.services.flags import evaluate_address, sync_flag
from tests.helpers import link_path

ALERT_ADDRESS = "signalen@gemeente.example"
DESK_ADDRESS = "steunpunt@gemeente.example"
AGENCY = "Flexwerk Uitzendbureau"
OTHER_AGENCY = "Westland Personeel"


@pytest.fixture(autouse=True)
def _noon() -> Iterator[None]:
    """A fixed moment (noon in the Netherlands), so "today" and the digest's day agree."""
    today = datetime.now(UTC).astimezone(clock.AMSTERDAM).date()
    with clock.freeze(datetime.combine(today, time(12), tzinfo=clock.AMSTERDAM)):
        yield


@pytest.fixture
def town(
    ctx: Flask,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> dict[str, Any]:
    """Utrecht with a policy in force (alert and support-desk addresses), its inspectors, two
    agencies and a 100 m² dwelling (area limit 8, no permit: at most 4)."""
    utrecht = make_municipality()
    other = make_municipality("GM1783", "Westland", "Zuid-Holland")
    today = clock.today()
    db.session.add_all(
        [
            _policy(utrecht.id, today - timedelta(days=30), ALERT_ADDRESS, DESK_ADDRESS),
            # Set for later: not in force yet, so its addresses get nothing today.
            _policy(utrecht.id, today + timedelta(days=10), "later@gemeente.example", ""),
        ]
    )
    db.session.commit()
    immediate = make_user("inspector", municipality=utrecht, email="direct@gemeente.example")
    english = make_user("inspector", municipality=utrecht, email="english@gemeente.example")
    digest = make_user("inspector", municipality=utrecht, email="dagelijks@gemeente.example")
    silent = make_user("inspector", municipality=utrecht, email="stil@gemeente.example")
    gone = make_user("inspector", municipality=utrecht, email="weg@gemeente.example")
    elsewhere = make_user("inspector", municipality=other, email="westland@gemeente.example")
    admin = make_user("municipal_admin", municipality=utrecht, email="beheer@gemeente.example")
    _set(english, preferred_locale="en")
    _set(digest, alert_mode="digest")
    _set(silent, alert_mode="none")
    _set(gone, active=False)
    return {
        "a": make_user("declarant", org=make_org(name=AGENCY, kvk="90000011")),
        "b": make_user("declarant", org=make_org(name=OTHER_AGENCY, kvk="90000012")),
        "address": make_address("3511 AB", 12, floor_area=100, street="Oudegracht"),
        "utrecht": utrecht,
        "other": other,
        "immediate": immediate,
        "english": english,
        "digest": digest,
        "elsewhere": elsewhere,
        "admin": admin,
    }


def _policy(municipality_id: int, start: Any, alerts: str, desk: str) -> MunicipalPolicy:
    return MunicipalPolicy(
        municipality_id=municipality_id,
        effective_from=start,
        m2_per_person_dwelling=12,
        m2_per_person_lodging=10,
        no_permit_max_occupants=4,
        late_after_days=3,
        alert_emails=alerts,
        support_desk_email=desk,
    )


def _set(user: Any, **values: Any) -> None:
    row = db.session.get(User, user.id)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()


def _user(user: Any) -> User:
    return db.session.get(User, user.id)  # type: ignore[return-value]


def _file(user: Any, address: Any, occupants: int, commit: bool = True) -> Any:
    result = file_declaration(
        _user(user),
        DeclarationInput(occupants=occupants, start_date=clock.today(), separate_contracts=True),
        address_id=address.id,
    )
    if commit:
        db.session.commit()
    return result


def _amend(user: Any, result: Any, occupants: int) -> Any:
    latest = db.session.get(Declaration, result.declaration.id)
    amended = amend_declaration(_user(user), latest, occupants, clock.today())
    db.session.commit()
    return amended


def _mails(kind: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list(db.session.execute(stmt).scalars())


def _title(code: str, locale: str) -> str:
    with force_locale(locale):
        return str(FINDING_TEXTS[code][0])


def _has_number(text: str, number: int) -> bool:
    return re.search(rf"(?<![\d.,]){number}(?![\d.,])", text) is not None


def _assert_minimal(mail: OutboxMessage, *counts: int) -> None:
    """No organisation, no KvK number and no occupant count anywhere in the message.

    A written-out date ("29 november 2026", a digest's day) is left out of the count check: on
    the 29th its day number is not an occupant count.
    """
    for part in (mail.subject, mail.body_text, mail.body_html):
        part = re.sub(r"\b\d{1,2} [^\W\d_]+ \d{4}\b", "", part)
        for name in (AGENCY, OTHER_AGENCY, "90000011", "90000012"):
            assert name not in part, (name, part)
        for count in counts:
            assert not _has_number(part, count), (count, part)


# --- immediate alerts -------------------------------------------------------------------------


def test_a_new_flag_alerts_the_alert_address_and_immediate_inspectors_only(town: dict) -> None:
    _file(town["a"], town["address"], 23)

    flag = db.session.execute(select(Flag)).scalar_one()
    mails = _mails("flag_alert")
    assert {m.recipient for m in mails} == {
        ALERT_ADDRESS,
        "direct@gemeente.example",
        "english@gemeente.example",
    }  # not: digest, none, inactive, another municipality, municipal admin, a later policy
    link = f"http://portal.test/inspectie/signalen/{flag.id}"
    for mail in mails:
        locale = "en" if mail.recipient.startswith("english") else "nl"
        for body in (mail.body_text, mail.body_html):
            assert "Oudegracht 12" in body and "3511 AB" in body and "Utrecht" in body
            assert link in body
            assert _title("over_limit", locale) in body
            assert _title("permit_required", locale) in body
        assert "Oudegracht" not in mail.subject  # no address in the subject line
        _assert_minimal(mail, 23)
    assert (flag.alerted_occupants, flag.alerted_at) == (23, clock.now())


def test_the_alert_link_is_the_inspectors_page_of_the_flag(town: dict) -> None:
    _file(town["a"], town["address"], 23)
    flag_id = db.session.execute(select(Flag.id)).scalar_one()
    path = link_path(_mails("flag_alert")[0])
    endpoint, args = current_app.url_map.bind("portal.test").match(path)
    assert endpoint.startswith("inspector.") and args == {"flag_id": flag_id}


def test_an_escalation_alerts_again_after_24_hours_but_the_same_or_a_lower_total_does_not(
    town: dict,
) -> None:
    first = _file(town["a"], town["address"], 23)
    assert len(_mails("flag_alert")) == 3
    second = _file(town["b"], town["address"], 6)  # 29: escalated, within 24 hours
    # Same severity level, same reasons: held back for each recipient's digest (docs/rules.md
    # §1.9), not mailed again.
    assert len(_mails("flag_alert")) == 3
    lines = db.session.execute(select(AlertDigestLine)).scalars().all()
    assert sorted(line.recipient for line in lines) == [
        "direct@gemeente.example",
        "english@gemeente.example",
        ALERT_ADDRESS,
    ]
    flag = db.session.execute(select(Flag)).scalar_one()
    assert flag.alerted_occupants == 29

    # The same judgement again changes nothing: no history, no alert.
    address = db.session.get(type(flag.address), flag.address_id)
    sync_flag(address, evaluate_address(address), None)
    db.session.commit()
    # Down to 24 (updated), back up to 27 (escalated, but not above the 29 already alerted).
    second = _amend(town["b"], second, 1)
    second = _amend(town["b"], second, 4)
    assert len(_mails("flag_alert")) == 3
    # A day later, above the alerted total: alert.
    with clock.freeze(clock.now() + timedelta(hours=25)):
        _amend(town["a"], first, 26)  # 26 + 4 = 30
    mails = _mails("flag_alert")
    assert len(mails) == 6
    for mail in mails[3:]:
        _assert_minimal(mail, 23, 24, 26, 27, 29, 30)
    kinds = [e.kind for e in db.session.execute(select(FlagEvent).order_by(FlagEvent.id)).scalars()]
    assert kinds == ["opened", "escalated", "updated", "escalated", "escalated"]
    assert db.session.get(Flag, flag.id).alerted_occupants == 30
    assert len(db.session.execute(select(AlertDigestLine)).all()) == 3


def test_a_rolled_back_filing_leaves_no_flag_and_no_alert(town: dict) -> None:
    _file(town["a"], town["address"], 23, commit=False)
    assert len(_mails("flag_alert")) == 3  # written in the filing's transaction …
    db.session.rollback()
    # … and gone with it.
    assert _mails() == []
    assert db.session.execute(select(Flag)).first() is None
    assert db.session.execute(select(FlagEvent)).first() is None


def test_a_closed_flag_reopens_and_alerts_again(town: dict) -> None:
    first = _file(town["a"], town["address"], 23)
    flag_id = db.session.execute(select(Flag.id)).scalar_one()
    first = _amend(town["a"], first, 3)  # under every limit: the flag resolves itself
    flag = db.session.get(Flag, flag_id)
    assert (flag.status, flag.outcome) == ("resolved", "no_longer_applies")
    assert flag.closed_at is not None
    assert len(_mails("flag_alert")) == 3

    with clock.freeze(clock.now() + timedelta(hours=25)):  # past the 24 hours of the alert
        _amend(town["a"], first, 11)  # breaks the rules again
    flags = db.session.execute(select(Flag)).scalars().all()
    assert [f.id for f in flags] == [flag_id]  # the same case, not a new one
    flag = flags[0]
    assert (flag.status, flag.closed_at, flag.outcome) == ("open", None, None)
    assert (flag.occupants, flag.alerted_occupants) == (11, 11)
    events = db.session.execute(select(FlagEvent).order_by(FlagEvent.id)).scalars().all()
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("opened", None, "open"),
        ("resolved", "open", "resolved"),
        ("reopened", "resolved", "open"),
    ]
    assert events[0].detail == "over_limit,permit_required"
    assert events[1].detail == "over_limit,permit_required;outcome=no_longer_applies"
    # The earlier outcome stays in the history.
    assert events[2].detail == "over_limit,permit_required;previous_outcome=no_longer_applies"
    assert all(e.actor_user_id == town["a"].id for e in events)
    mails = _mails("flag_alert")
    assert len(mails) == 6
    for mail in mails[3:]:
        assert f"/inspectie/signalen/{flag_id}" in mail.body_text
        _assert_minimal(mail, 11, 23)
    assert "reopened" in mails[-1].subject or "weer" in mails[-1].subject.lower()


def test_a_flag_an_inspector_closed_reopens_from_its_status(town: dict) -> None:
    _file(town["a"], town["address"], 23)
    flag = db.session.execute(select(Flag)).scalar_one()
    flag.status, flag.outcome, flag.closed_at = "dismissed", "unfounded", clock.now()
    db.session.commit()
    older = Flag(
        address_id=flag.address_id,
        municipality_id=flag.municipality_id,
        status="resolved",
        reasons="over_limit",
        period_start=clock.today() - timedelta(days=300),
        occupants=9,
        outcome="warning",
        closed_at=clock.now() - timedelta(days=200),
    )
    db.session.add(older)
    db.session.commit()

    _file(town["b"], town["address"], 2)
    open_flags = db.session.execute(select(Flag).where(Flag.status == "open")).scalars().all()
    assert [f.id for f in open_flags] == [flag.id]  # the most recently closed one
    reopened = db.session.execute(
        select(FlagEvent).where(FlagEvent.kind == "reopened")
    ).scalar_one()
    assert (reopened.from_status, reopened.detail) == (
        "dismissed",
        "over_limit,permit_required;previous_outcome=unfounded",
    )
    assert db.session.get(Flag, older.id).status == "resolved"


def test_no_alert_addresses_and_no_inspectors_means_no_mail(
    ctx: Flask, make_user: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    declarant = make_user("declarant")
    _file(declarant, make_address(floor_area=100), 23)
    flag = db.session.execute(select(Flag)).scalar_one()
    assert flag.status == "open" and _mails() == []
    assert flag.alerted_occupants == 23  # the judgement is recorded all the same


# --- the daily digest -------------------------------------------------------------------------


def test_the_digest_lists_the_days_flags_once_per_inspector_per_day(
    town: dict, make_address: Callable[..., Any], runner: Any
) -> None:
    second_digest = town["digest"]
    _set(town["english"], alert_mode="digest")  # an English digest reader too
    yesterday_noon = clock.now() - timedelta(days=1)
    with clock.freeze(yesterday_noon):
        old = make_address("3511 AC", 14, floor_area=100, street="Lijnmarkt")
        _file(town["a"], old, 10)
    today_first = _file(town["a"], town["address"], 23)
    _file(town["b"], town["address"], 6)  # escalated, same flag
    elsewhere = make_address(
        "2671 AA", 3, floor_area=100, municipality=town["other"], street="Havenstraat"
    )
    _file(town["b"], elsewhere, 9)
    assert today_first is not None
    before = len(_mails())

    # The two digest readers, and the escalation held back for the alert address and the
    # inspector with immediate alerts (docs/rules.md §1.9).
    assert enqueue_digests(clock.today()) == 4
    db.session.commit()
    readers = {second_digest.email, "english@gemeente.example"}
    held = [m for m in _mails("alert_digest") if m.recipient not in readers]
    assert {m.recipient for m in held} == {ALERT_ADDRESS, "direct@gemeente.example"}
    digests = [m for m in _mails("alert_digest") if m.recipient in readers]
    assert {m.recipient for m in digests} == readers
    flags = {f.address_id: f.id for f in db.session.execute(select(Flag)).scalars()}
    today_link = f"http://portal.test/inspectie/signalen/{flags[town['address'].id]}"
    for mail in digests + held:
        assert today_link in mail.body_text and today_link in mail.body_html
        # Only that day's flags of the inspector's own municipality, as links.
        assert f"/inspectie/signalen/{flags[old.id]}" not in mail.body_text
        assert f"/inspectie/signalen/{flags[elsewhere.id]}" not in mail.body_text
        for part in (mail.subject, mail.body_text, mail.body_html):
            assert "Oudegracht" not in part and "3511" not in part
        _assert_minimal(mail, 23, 29)
        assert str(clock.today().year) in mail.subject  # the day is in the subject
    assert len(_mails()) == before + 4

    # A second run for the same day writes nothing; the CLI says so.
    assert enqueue_digests(clock.today()) == 0
    db.session.commit()
    result = runner.invoke(args=["alerts", "digest", "--date", clock.today().isoformat()])
    assert result.exit_code == 0, result.output
    assert "digests written: 0" in result.output
    assert len(_mails("alert_digest")) == 4
    marks = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "alert.digest")
    ).scalars()
    assert sorted(m.detail for m in marks) == [clock.today().isoformat()] * 2

    # Yesterday's digest is another day: it has yesterday's flag only.
    result = runner.invoke(
        args=["alerts", "digest", "--date", (clock.today() - timedelta(days=1)).isoformat()]
    )
    assert "digests written: 2" in result.output
    yesterday = _mails("alert_digest")[-1]
    assert f"/inspectie/signalen/{flags[old.id]}" in yesterday.body_text
    assert today_link not in yesterday.body_text


def test_no_digest_without_flag_changes(town: dict) -> None:
    assert enqueue_digests(clock.today()) == 0
    assert _mails() == []


# --- the safety net ---------------------------------------------------------------------------


def _end(user: Any, result: Any, reason: str) -> Any:
    latest = db.session.get(Declaration, result.declaration.id)
    return end_declaration(_user(user), latest, clock.today() + timedelta(days=6), reason)


def test_ending_because_the_job_ended_tells_the_support_desk_counts_only(town: dict) -> None:
    result = _file(town["a"], town["address"], 7)
    before = len(_mails())
    _end(town["a"], result, "employment_ended")
    db.session.commit()
    notices = _mails("support_desk_notice")
    assert len(_mails()) == before + 1 and len(notices) == 1
    notice = notices[0]
    assert notice.recipient == DESK_ADDRESS
    last_day = clock.today() + timedelta(days=6)
    for body in (notice.body_text, notice.body_html):
        assert "Oudegracht 12" in body and "3511 AB" in body
        assert _has_number(body, 7)  # the number of people
        assert str(last_day.day) in body and str(last_day.year) in body
        for name in (AGENCY, "90000011", result.declaration.reference, town["a"].email):
            assert name not in body
    assert "Oudegracht" not in notice.subject


@pytest.mark.parametrize("reason", ["moved_in_nl", "returned_home", "other"])
def test_other_end_reasons_send_no_notice(town: dict, reason: str) -> None:
    result = _file(town["a"], town["address"], 7)
    _end(town["a"], result, reason)
    db.session.commit()
    assert _mails("support_desk_notice") == []


def test_the_notice_is_part_of_the_filing_transaction(town: dict) -> None:
    result = _file(town["a"], town["address"], 7)
    _end(town["a"], result, "employment_ended")
    assert len(_mails("support_desk_notice")) == 1
    db.session.rollback()
    assert _mails("support_desk_notice") == []


def test_no_support_desk_no_notice(
    ctx: Flask, make_user: Callable[..., Any], make_address: Callable[..., Any]
) -> None:
    declarant = make_user("declarant")
    result = _file(declarant, make_address(floor_area=100), 3)
    _end(declarant, result, "employment_ended")
    db.session.commit()
    assert _mails() == []
