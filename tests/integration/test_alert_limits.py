"""Alerts that do not flood (issue 20, item 6; docs/rules.md §1.9).

Per recipient at most one immediate alert per address per 24 hours, unless the severity level
rises or a new reason appears; the rest waits for that recipient's daily digest, at most one line
per (recipient, address, reasons, day). Filings go through the real filing service with the clock
frozen and moved on; the emails are read from the outbox and, once, sent over SMTP on loopback
(aiosmtpd).
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import (
    AlertDigestLine,
    AlertMark,
    Flag,
    FlagEvent,
    MunicipalPolicy,
    OutboxMessage,
    User,
)
from portal.notifications import alerts
from portal.notifications.sender import send_pending
from portal.services.declarations import file_declaration
from portal.services.flags import evaluate_address, sync_flag

ALERT_ADDRESS = "signalen@gemeente.example"
IMMEDIATE = ("direct@gemeente.example", "english@gemeente.example", ALERT_ADDRESS)
READER = "dagelijks@gemeente.example"


@pytest.fixture(autouse=True)
def _morning() -> Iterator[datetime]:
    """09:00 in the Netherlands today: a minute of filings stays on one Dutch day."""
    today = datetime.now(UTC).astimezone(clock.AMSTERDAM).date()
    start = datetime.combine(today, time(9), tzinfo=clock.AMSTERDAM)
    with clock.freeze(start):
        yield start


@pytest.fixture
def town(
    ctx: Flask,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> dict[str, Any]:
    """Utrecht (12 m² per person, at most 6 without a permit; an alert address), two inspectors
    with immediate alerts (one English), one with the daily digest, five organisations."""
    utrecht = make_municipality()
    db.session.add(
        MunicipalPolicy(
            municipality_id=utrecht.id,
            effective_from=clock.today() - timedelta(days=30),
            m2_per_person_dwelling=12,
            m2_per_person_lodging=10,
            no_permit_max_occupants=6,
            late_after_days=3,
            alert_emails=ALERT_ADDRESS,
        )
    )
    db.session.commit()
    make_user("inspector", municipality=utrecht, email=IMMEDIATE[0])
    english = make_user("inspector", municipality=utrecht, email=IMMEDIATE[1])
    reader = make_user("inspector", municipality=utrecht, email=READER)
    for user, values in ((english, {"preferred_locale": "en"}), (reader, {"alert_mode": "digest"})):
        row = db.session.get(User, user.id)
        for key, value in values.items():
            setattr(row, key, value)
    db.session.commit()
    return {
        "filers": [make_user("declarant", org=make_org()) for _ in range(5)],
        # 60 m²: 5 people by the area rule; a 7th person also needs a permit (threshold 6).
        "address": make_address("3511 AB", 13, floor_area=60, street="Oudegracht"),
    }


def _file(filer: Any, address: Any, occupants: int) -> None:
    file_declaration(
        db.session.get(User, filer.id),  # type: ignore[arg-type]
        DeclarationInput(occupants=occupants, start_date=clock.today(), separate_contracts=True),
        address_id=address.id,
    )
    db.session.commit()


def _alerts() -> Counter[str]:
    """Immediate alerts in the outbox per recipient."""
    rows = db.session.execute(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "flag_alert")
    ).scalars()
    return Counter(rows)


def _mails(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).scalars()
    )


def _file_at(town: dict, start: datetime, second: float, occupants: int) -> None:
    with clock.freeze(start + timedelta(seconds=second)):
        _file(town["filers"][int(second) % 5], town["address"], occupants)


def test_forty_filings_in_a_minute_alert_each_recipient_once_plus_a_digest_line(
    town: dict, _morning: datetime
) -> None:
    # The first filing puts 10 people in a home for 5: twice the limit, the highest level. Then
    # 39 more filings by five organisations within the minute, each one more person.
    _file_at(town, _morning, 0, 10)
    for second in range(1, 40):
        _file_at(town, _morning, second * 1.5, 1)  # 58.5 seconds in all
    flag = db.session.execute(select(Flag)).scalar_one()
    assert flag.occupants == 49
    kinds = db.session.execute(select(FlagEvent.kind).order_by(FlagEvent.id)).scalars().all()
    assert kinds == ["opened"] + ["escalated"] * 39  # the history keeps every step

    assert _alerts() == Counter(IMMEDIATE)  # one each; the digest reader none
    lines = db.session.execute(select(AlertDigestLine)).scalars().all()
    assert sorted(line.recipient for line in lines) == sorted(IMMEDIATE)  # one line each

    with clock.freeze(_morning + timedelta(hours=14)):  # the daily job, late that evening
        assert alerts.enqueue_digests(clock.today()) == 4  # the reader + 3 held back
        db.session.commit()
    digests = {m.recipient: m for m in _mails("alert_digest")}
    assert set(digests) == {*IMMEDIATE, READER}
    link = f"/inspectie/signalen/{flag.id}"
    for recipient in IMMEDIATE:
        body = digests[recipient].body_text
        assert body.count(link) == 1
        assert "49" not in body and "Oudegracht" not in body  # links only
    assert "after your alerts" in digests[IMMEDIATE[1]].subject  # the English inspector
    assert "na uw meldingen" in digests[IMMEDIATE[0]].subject
    assert "dagoverzicht" in digests[READER].subject

    # The digest again: nothing new.
    assert alerts.enqueue_digests(clock.today()) == 0
    db.session.commit()
    assert len(_mails("alert_digest")) == 4
    assert _alerts() == Counter(IMMEDIATE)


def test_a_rising_severity_or_a_new_reason_alerts_at_once(town: dict, _morning: datetime) -> None:
    _file_at(town, _morning, 0, 6)  # 6 in a home for 5: over the limit (level 1)
    assert _alerts() == Counter(IMMEDIATE)
    _file_at(town, _morning, 5, 1)  # 7: over 6 without a permit, a new reason
    assert _alerts() == Counter({r: 2 for r in IMMEDIATE})
    reasons = db.session.execute(select(Flag.reasons)).scalar_one()
    assert reasons == "over_limit,permit_required"
    _file_at(town, _morning, 10, 1)  # 8 (1.6 times the limit): level 2, at once
    assert _alerts() == Counter({r: 3 for r in IMMEDIATE})
    _file_at(town, _morning, 15, 1)  # 9: the same level and reasons, held back
    assert _alerts() == Counter({r: 3 for r in IMMEDIATE})
    _file_at(town, _morning, 20, 1)  # 10 (twice the limit): level 3, at once
    assert _alerts() == Counter({r: 4 for r in IMMEDIATE})
    marks = db.session.execute(select(AlertMark)).scalars().all()
    assert {(m.recipient, m.severity, m.occupants) for m in marks} == {
        (r, 3, 10) for r in IMMEDIATE
    }
    # The held-back 9 is one digest line per recipient.
    assert len(db.session.execute(select(AlertDigestLine)).all()) == 3


def test_after_24_hours_the_next_worsening_alerts_again(town: dict, _morning: datetime) -> None:
    _file_at(town, _morning, 0, 10)
    _file_at(town, _morning, 30, 1)  # held back
    assert _alerts() == Counter(IMMEDIATE)
    with clock.freeze(_morning + timedelta(hours=23, minutes=59)):
        _file(town["filers"][1], town["address"], 1)  # still within the 24 hours
    assert _alerts() == Counter(IMMEDIATE)
    with clock.freeze(_morning + timedelta(hours=24)):
        _file(town["filers"][2], town["address"], 1)
    assert _alerts() == Counter({r: 2 for r in IMMEDIATE})


def test_the_same_evaluation_twice_adds_nothing(town: dict, _morning: datetime) -> None:
    _file_at(town, _morning, 0, 10)
    _file_at(town, _morning, 10, 1)  # 11: held back
    before = (len(_mails("flag_alert")), len(db.session.execute(select(AlertDigestLine)).all()))
    assert before == (3, 3)
    address = town["address"]
    with clock.freeze(_morning + timedelta(seconds=20)):
        for _ in range(2):
            sync_flag(address, evaluate_address(address), None)
            flag = db.session.execute(select(Flag)).scalar_one()
            # The alert step itself, given the same changes again, writes nothing either.
            for change in ("opened", "reopened", "escalated", "updated"):
                assert alerts.alert_flags([(flag, change)]) == 0
            db.session.commit()
    after = (len(_mails("flag_alert")), len(db.session.execute(select(AlertDigestLine)).all()))
    assert after == before


def test_held_back_changes_of_a_missed_day_come_in_the_next_digest_once(
    town: dict, _morning: datetime
) -> None:
    _file_at(town, _morning, 0, 10)
    _file_at(town, _morning, 10, 1)  # held back today
    tomorrow = clock.today() + timedelta(days=1)
    with clock.freeze(_morning + timedelta(days=1, hours=1)):  # today's digest never ran
        assert alerts.enqueue_digests(tomorrow) == 3
        db.session.commit()
        assert alerts.enqueue_digests(tomorrow) == 0
        assert alerts.enqueue_digests(clock.today() - timedelta(days=1)) == 1  # the reader only
        db.session.commit()
    held = [m for m in _mails("alert_digest") if m.recipient != READER]
    assert sorted(m.recipient for m in held) == sorted(IMMEDIATE)


# --- once over SMTP -------------------------------------------------------------------------


class Sink:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_a_burst_of_filings_reaches_each_inspector_as_one_alert_and_one_digest(
    town: dict, _morning: datetime, smtp: tuple[Sink, int], ctx: Flask
) -> None:
    sink, port = smtp
    _file_at(town, _morning, 0, 10)
    for second in range(1, 10):
        _file_at(town, _morning, second, 1)
    alerts.enqueue_digests(clock.today())
    db.session.commit()
    report = send_pending({**ctx.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})
    assert (report.sent, report.failed) == (7, 0)  # 3 alerts, 3 held-back digests, 1 digest
    per_recipient = Counter(m["To"] for m in sink.messages)
    assert per_recipient == Counter({**{r: 2 for r in IMMEDIATE}, READER: 1})
