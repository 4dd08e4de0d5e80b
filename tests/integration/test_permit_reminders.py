"""Expiry reminders to permit holders and the daily job (``flask daily run``): each reminder
exactly once at 90, 30 and 7 days, however often the job runs; an expired permit opens a flag."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.messages import message
from portal.models import (
    AuditEvent,
    Flag,
    MunicipalPolicy,
    OutboxMessage,
    Permit,
    PermitReminder,
    User,
)
from portal.models.flag import OPEN_STATUSES
from portal.services import permit_reminders
from portal.services.declarations import file_declaration
from portal.services.permit_reminders import send_permit_reminders

TODAY = date(2026, 3, 2)
END = date(2026, 9, 30)  # the last valid day of the permit


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
        yield


@pytest.fixture
def place(
    ctx: Flask,
    make_org: Callable[..., Any],
    make_address: Callable[..., Any],
    make_user: Callable[..., Any],
) -> dict[str, Any]:
    return {
        "holder": make_org(name="Woonbedrijf Oost", kinds=("housing_provider",)),
        "declarant": make_user("declarant"),
        "address": make_address("3511 AB", 12, floor_area=100),
    }


def _permit(place: dict, until: date | None = END, **changes: Any) -> Permit:
    address = place["address"]
    values: dict[str, Any] = {
        "address_id": address.id,
        "municipality_id": address.municipality_id,
        "holder_organisation_id": place["holder"].id,
        "permit_type": "omzettingsvergunning",
        "max_occupants": 8,
        "valid_from": date(2021, 10, 1),
        "valid_until": until,
        "decision_reference": changes.pop("reference", "2021/0815"),
    }
    values.update(changes)
    permit = Permit(**values)
    db.session.add(permit)
    db.session.commit()
    return permit


def _reminders() -> list[OutboxMessage]:
    return list(
        db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "permit_reminder")
            .order_by(OutboxMessage.id)
        ).scalars()
    )


def _daily(runner: Any, day: date) -> str:
    result = runner.invoke(args=["daily", "run", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_daily_run_sends_each_reminder_once_at_90_30_and_7_days(
    app: Flask, runner: Any, place: dict
) -> None:
    permit = _permit(place)
    holder = place["holder"]
    for days in (90, 60, 30, 20, 7, 1):
        for _twice in range(2):
            output = _daily(runner, END - timedelta(days=days))
    assert "permit reminders written: 0" in output

    with app.app_context():
        mails = _reminders()
        assert [m.recipient for m in mails] == [holder.contact_email] * 3
        rows = db.session.execute(
            select(PermitReminder.days_before, PermitReminder.sent_for_day).order_by(
                PermitReminder.sent_for_day
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            (90, END - timedelta(days=90)),
            (30, END - timedelta(days=30)),
            (7, END - timedelta(days=7)),
        ]
        events = db.session.execute(
            select(func.count()).where(AuditEvent.action == "permit.reminder")
        ).scalar_one()
        assert events == 3
    first = mails[0]
    assert "2021/0815" in first.body_text and "Oudegracht 12, 3511 AB Utrecht" in first.body_text
    assert "http://portal.test/organisatie/vergunningen" in first.body_text
    assert "90" in first.subject and "7" in mails[2].subject
    assert "30 september 2026" in first.body_text  # the last valid day, in Dutch
    assert permit.id


def test_the_job_prints_one_line_per_step(runner: Any, place: dict) -> None:
    _permit(place)
    output = _daily(runner, END - timedelta(days=30))
    lines = output.strip().splitlines()
    assert len(lines) == 5
    assert lines[0].startswith(f"re-evaluated {(END - timedelta(days=30)).isoformat()}")
    assert lines[1] == "permit reminders written: 1"
    assert lines[2].startswith("digests written:")
    assert lines[3].startswith("statistics rows written:")
    assert lines[4].startswith("removed: 0 abandoned uploads")


def test_a_permit_registered_20_days_before_its_end_skips_the_90_day_reminder(
    place: dict,
) -> None:
    _permit(place, until=TODAY + timedelta(days=20))
    assert send_permit_reminders(TODAY) == 1
    assert send_permit_reminders(TODAY + timedelta(days=1)) == 0
    assert send_permit_reminders(TODAY + timedelta(days=13)) == 1  # 7 days left
    db.session.commit()
    days = db.session.execute(select(PermitReminder.days_before)).scalars().all()
    assert sorted(days) == [7, 30]


def test_a_missed_day_sends_the_reminder_late_not_never(place: dict) -> None:
    _permit(place)
    assert send_permit_reminders(END - timedelta(days=85)) == 1  # the job did not run at 90
    assert send_permit_reminders(END - timedelta(days=80)) == 0


@pytest.mark.parametrize(
    "case",
    ["revoked", "no_holder", "no_end", "expired", "far_away", "renewed", "renewed_open_ended"],
)
def test_no_reminder_when_none_is_due(place: dict, case: str) -> None:
    day = END - timedelta(days=30)
    if case == "revoked":
        _permit(place, status="revoked")
    elif case == "no_holder":
        _permit(place, holder_organisation_id=None)
    elif case == "no_end":
        _permit(place, until=None)
    elif case == "expired":
        _permit(place, until=day - timedelta(days=1))
    elif case == "far_away":
        _permit(place, until=day + timedelta(days=91))
    else:
        _permit(place)
        # The renewal: the next period, same holder, same address.
        _permit(
            place,
            until=None if case == "renewed_open_ended" else END + timedelta(days=5 * 365),
            reference="2026/0001",
            valid_from=END + timedelta(days=1),
        )
    assert send_permit_reminders(day) == 0
    assert _reminders() == []


def test_a_renewal_by_another_holder_does_not_stop_the_reminder(
    place: dict, make_org: Callable[..., Any]
) -> None:
    _permit(place)
    other = make_org(name="Andere Verhuurder")
    _permit(place, until=None, reference="2026/0001", holder_organisation_id=other.id)
    assert send_permit_reminders(END - timedelta(days=7)) == 1


def test_a_new_end_date_gets_its_own_reminders(place: dict) -> None:
    permit = _permit(place)
    assert send_permit_reminders(END - timedelta(days=30)) == 1
    permit.valid_until = END + timedelta(days=60)  # the municipality extended it
    db.session.commit()
    assert send_permit_reminders(END - timedelta(days=30)) == 1  # 90 days before the new end
    assert send_permit_reminders(END - timedelta(days=29)) == 0


def test_the_reminder_speaks_the_language_of_the_contact_person(
    place: dict, make_user: Callable[..., Any]
) -> None:
    holder = place["holder"]
    user = make_user("org_admin", org=holder, email=holder.contact_email)
    db.session.get(User, user.id).preferred_locale = "en"  # type: ignore[union-attr]
    db.session.commit()
    _permit(place)
    send_permit_reminders(END - timedelta(days=7))
    [mail] = _reminders()
    assert mail.subject == "Your permit for Oudegracht 12, 3511 AB Utrecht ends in 7 days"


def test_permits_remind_command(app: Flask, runner: Any, place: dict) -> None:
    _permit(place)
    day = (END - timedelta(days=7)).isoformat()
    result = runner.invoke(args=["permits", "remind", "--date", day])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "permit reminders written: 1"
    result = runner.invoke(args=["permits", "remind", "--date", day])
    assert result.output.strip() == "permit reminders written: 0"


def test_two_jobs_at_once_send_each_reminder_once(
    app: Flask, place: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both runs find the reminder due before either records it; the key lets one through.

    Sabotage (checked by hand, 2026-11-27, PostgreSQL): with ``_claim`` as a plain "is there a
    row?" select followed by an insert, both runs pass the select and the second fails with a
    UniqueViolation on pk_permit_reminders.
    """
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises all writers)")
    _permit(place)
    day = END - timedelta(days=30)
    barrier = threading.Barrier(2, timeout=20)
    original = permit_reminders._claim

    def claim_together(*args: Any) -> bool:
        barrier.wait()
        return original(*args)

    monkeypatch.setattr(permit_reminders, "_claim", claim_together)
    counts: list[int] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            with app.app_context(), clock.freeze(datetime(2026, 3, 2, 12, tzinfo=clock.AMSTERDAM)):
                counts.append(send_permit_reminders(day))
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(counts) == [0, 1]
    db.session.expire_all()
    assert len(_reminders()) == 1


# --- the daily job and the flags ------------------------------------------------------------------


def _open_flag(address: Any) -> Flag | None:
    return db.session.execute(
        select(Flag).where(Flag.address_id == address.id, Flag.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()


def test_an_expired_permit_opens_a_permit_required_flag_through_the_daily_job(
    app: Flask, runner: Any, place: dict
) -> None:
    address = place["address"]
    end = TODAY + timedelta(days=20)
    db.session.add(
        MunicipalPolicy(
            municipality_id=address.municipality_id,
            effective_from=TODAY - timedelta(days=365),
            m2_per_person_dwelling=12,
            m2_per_person_lodging=10,
            no_permit_max_occupants=4,
            late_after_days=3,
        )
    )
    db.session.commit()
    _permit(place, until=end)
    file_declaration(
        db.session.get(User, place["declarant"].id),  # type: ignore[arg-type]
        DeclarationInput(occupants=6, start_date=TODAY, separate_contracts=True),
        address_id=address.id,
    )
    db.session.commit()
    assert _open_flag(address) is None  # 6 ≤ the permit's 8

    assert "flags opened 0" in _daily(runner, end)
    with app.app_context():
        assert _open_flag(address) is None
    output = _daily(runner, end + timedelta(days=1))
    assert "flags opened 1, updated 0, resolved 0" in output
    with app.app_context():
        flag = _open_flag(address)
        assert flag is not None
        assert (flag.reasons, flag.occupants, flag.limit) == ("permit_required", 6, 4)
    assert "flags opened 0, updated 0, resolved 0" in _daily(runner, end + timedelta(days=1))


# --- the import command ---------------------------------------------------------------------------

HEADER = (
    "besluitnummer;postcode;huisnummer;huisletter;toevoeging;kvk_houder;soort;max_bewoners;"
    "geldig_van;geldig_tot"
)


def test_permits_import_command(app: Flask, runner: Any, place: dict, tmp_path: Path) -> None:
    kvk = place["holder"].kvk_number
    good = tmp_path / "vergunningen.csv"
    good.write_text(
        f"{HEADER}\n2026/1;3511 AB;12;;;{kvk};omzettingsvergunning;8;01-01-2026;31-12-2030\n",
        encoding="utf-8-sig",
    )
    result = runner.invoke(args=["permits", "import", "--municipality", "GM0344", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "inserted 1, updated 0, unchanged 0"

    bad = tmp_path / "fout.csv"
    bad.write_text(
        f"{HEADER}\n2026/2;3511 AB;12;;;;omzettingsvergunning;8;01-01-2026;\n"
        "2026/3;3511 AB;99;;;;omzettingsvergunning;nul;01-01-2026;\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["permits", "import", "--municipality", "GM0344", str(bad)])
    assert result.exit_code == 1
    assert "refused: 1 bad lines, nothing stored" in result.output
    with app.app_context():  # the command speaks the portal's default language
        number, unknown, municipality = (
            message(code)
            for code in (
                "permit.max_occupants.format",
                "permit.address.unknown",
                "municipality.unknown",
            )
        )
    assert f"line 3, column postcode: {unknown}" in result.output
    assert f"line 3, column max_bewoners: {number}" in result.output
    with app.app_context():
        refs = db.session.execute(select(Permit.decision_reference)).scalars().all()
    assert refs == ["2026/1"]

    result = runner.invoke(args=["permits", "import", "--municipality", "GM9999", str(good)])
    assert result.exit_code == 1
    assert f"error: municipality: {municipality} (GM9999)" in result.output
