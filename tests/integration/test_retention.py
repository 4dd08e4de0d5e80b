"""docs/security.md T16: the retention purge removes every record past its configured period and
nothing else, twice in a row deletes nothing the second time, is audit-logged, and leaves the
published statistics as they were.

The clock is frozen at the real present (the audit trigger of migration 0006 judges deletions by
the database's own now()), and the records are seeded across the past: for each record type one
just outside its period (a few days past it) and one just inside (a few days short of it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AccountToken,
    ApiKey,
    AuditEvent,
    Batch,
    BatchUpload,
    Declaration,
    Flag,
    FlagEvent,
    IdempotencyRecord,
    MonthlyStatistic,
    OutboxMessage,
    Permit,
    PermitApplication,
    PermitApplicationMessage,
    PermitDocument,
    PermitReminder,
    RateLimitWindow,
    Receipt,
    UserSession,
)
from portal.services import retention, statistics

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.astimezone(clock.AMSTERDAM).date()
_n = count(1)


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def day_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@dataclass
class Seeded:
    """Ids per model: ``gone`` must be purged, ``kept`` must stay."""

    gone: dict[type, set[Any]] = field(default_factory=dict)
    kept: dict[type, set[Any]] = field(default_factory=dict)

    def add(self, obj: Any, gone: bool) -> Any:
        db.session.add(obj)
        db.session.flush()
        key = (
            (obj.key, obj.window_start)
            if isinstance(obj, RateLimitWindow)
            else (obj.permit_id, obj.valid_until, obj.days_before)
            if isinstance(obj, PermitReminder)
            else obj.id
        )
        (self.gone if gone else self.kept).setdefault(type(obj), set()).add(key)
        return obj


def _pk(model: type) -> Any:
    if model is RateLimitWindow:
        return select(RateLimitWindow.key, RateLimitWindow.window_start)
    if model is PermitReminder:
        return select(
            PermitReminder.permit_id, PermitReminder.valid_until, PermitReminder.days_before
        )
    return select(model.id)  # type: ignore[attr-defined]


def present(model: type) -> set[Any]:
    rows = db.session.execute(_pk(model)).all()
    return {tuple(r) if len(r) > 1 else r[0] for r in rows}


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.freeze(NOW):
        yield


def _declaration(
    seeded: Seeded,
    world: dict[str, Any],
    gone: bool,
    start: int,
    end: int | None,
    filed: int,
    *,
    supersedes: Declaration | None = None,
    batch: Batch | None = None,
    pdf: bool = True,
    occupants: int = 6,
) -> Declaration:
    n = next(_n)
    declaration = seeded.add(
        Declaration(
            reference=f"MH-T-{n:06d}",
            kind="amendment" if supersedes else "new",
            organisation_id=world["org"].id,
            address_id=world["address"].id,
            municipality_id=world["municipality"].id,
            occupants=occupants,
            occupants_registered_brp=2,
            start_date=day_ago(start),
            end_date=None if end is None else day_ago(end),
            separate_contracts=True,
            supersedes_id=supersedes.id if supersedes else None,
            root_id=(supersedes.root_id or supersedes.id) if supersedes else None,
            batch_id=batch.id if batch else None,
            filed_at=ago(filed),
        ),
        gone,
    )
    seeded.add(_receipt(world, f"D{n}", declaration_id=declaration.id, pdf=pdf), gone)
    return declaration


def _receipt(world: dict[str, Any], tag: str, *, pdf: bool = True, **target: Any) -> Receipt:
    return Receipt(
        reference=f"R-{tag}"[:20],
        verification_code=f"{tag:>14}".replace(" ", "0")[:14],
        organisation_id=world["org"].id,
        municipality_id=world["municipality"].id,
        snapshot_json="{}",
        sha256="0" * 64,
        template_version="test",
        pdf=b"%PDF-1.7 test" if pdf else None,
        **target,
    )


def _permit(
    seeded: Seeded,
    world: dict[str, Any],
    gone: bool,
    until: int | None,
    *,
    revoked: int | None = None,
    created: int = 3300,
) -> Permit:
    return seeded.add(
        Permit(
            address_id=world["address"].id,
            municipality_id=world["municipality"].id,
            holder_organisation_id=world["org"].id,
            permit_type="verhuurvergunning",
            max_occupants=10,
            valid_from=day_ago(4000),
            valid_until=None if until is None else day_ago(until),
            status="revoked" if revoked is not None else "valid",
            revoked_at=None if revoked is None else ago(revoked),
            decision_reference=f"B-{next(_n)}",
            created_at=ago(created),
        ),
        gone,
    )


def _application(
    seeded: Seeded,
    world: dict[str, Any],
    gone: bool,
    permit: Permit,
    new_permit: Permit | None = None,
) -> PermitApplication:
    n = next(_n)
    application = seeded.add(
        PermitApplication(
            reference=f"VA-T-{n:06d}",
            permit_id=permit.id,
            new_permit_id=new_permit.id if new_permit else None,
            organisation_id=world["org"].id,
            municipality_id=world["municipality"].id,
            address_id=world["address"].id,
            permit_type="verhuurvergunning",
            requested_from=day_ago(3000),
            requested_max_occupants=10,
            status="approved" if new_permit else "rejected",
            submitted_at=ago(3000),
        ),
        gone,
    )
    document = seeded.add(
        PermitDocument(
            application_id=application.id,
            organisation_id=world["org"].id,
            municipality_id=world["municipality"].id,
            filename="plattegrond.pdf",
            size_bytes=10,
            sha256="1" * 64,
            content=b"%PDF-1.7 x",
        ),
        gone,
    )
    seeded.add(
        PermitApplicationMessage(
            application_id=application.id,
            side="applicant",
            body="zie bijlage",
            document_id=document.id,
        ),
        gone,
    )
    seeded.add(_receipt(world, f"A{n}", permit_application_id=application.id), gone)
    return application


def _flag(
    seeded: Seeded, world: dict[str, Any], gone: bool, closed: int | None, address: Any
) -> None:
    flag = seeded.add(
        Flag(
            address_id=address.id,
            municipality_id=world["municipality"].id,
            status="open" if closed is None else "resolved",
            reasons="over_limit",
            period_start=day_ago(1000),
            occupants=20,
            limit=8,
            opened_at=ago(1000),
            updated_at=ago(closed or 1000),
            closed_at=None if closed is None else ago(closed),
            outcome=None if closed is None else "warning",
        ),
        gone,
    )
    for kind in ("opened", "note"):
        seeded.add(
            FlagEvent(
                flag_id=flag.id,
                kind=kind,
                detail="inspecteur: bewoners gesproken",
                occurred_at=ago(1000),
            ),
            gone,
        )


def seed(world: dict[str, Any], make_user: Callable[..., Any]) -> Seeded:
    s = Seeded()
    user = make_user("declarant", org=world["org"])
    # Declarations (2 years = 730 days after the chain's end or last filing).
    _declaration(s, world, True, 900, 740, 900)  # ended and filed long ago
    old = _declaration(s, world, True, 1000, None, 1000)
    _declaration(s, world, True, 900, 734, 900, supersedes=old)  # amended, then ended
    _declaration(s, world, False, 800, 726, 800)  # ended just inside
    _declaration(s, world, False, 800, 800, 700)  # ended long ago, filed late: inside
    running = _declaration(s, world, False, 1500, None, 1500)
    _declaration(s, world, False, 1400, None, 1400, supersedes=running)  # still running
    ended_late = _declaration(s, world, False, 1000, None, 1000)
    _declaration(s, world, False, 1000, 720, 720, supersedes=ended_late)  # chain ends inside
    _declaration(s, world, False, 60, None, 60, occupants=9)  # recent figures
    _declaration(s, world, False, 400, 20, 400, occupants=5, pdf=False)
    out_batch = s.add(
        Batch(
            reference="B-OUT",
            organisation_id=world["org"].id,
            source="upload",
            row_count=1,
            created_at=ago(900),
        ),
        True,
    )
    s.add(_receipt(world, "BOUT", batch_id=out_batch.id), True)
    _declaration(s, world, True, 900, 760, 900, batch=out_batch)
    in_batch = s.add(
        Batch(
            reference="B-IN",
            organisation_id=world["org"].id,
            source="api",
            row_count=2,
            created_at=ago(900),
        ),
        False,
    )
    s.add(_receipt(world, "BIN", batch_id=in_batch.id), False)
    _declaration(s, world, True, 900, 760, 900, batch=in_batch)  # its filing goes ...
    _declaration(s, world, False, 900, 700, 900, batch=in_batch)  # ... this one keeps the batch

    # Permits (7 years = 2557 days after the end or revocation).
    p_out = _permit(s, world, True, 2600)
    s.add(
        PermitReminder(
            permit_id=p_out.id,
            valid_until=p_out.valid_until,
            days_before=7,
            sent_for_day=day_ago(2607),
        ),
        True,
    )
    p_out_new = _permit(s, world, True, 2570, created=2700)
    _application(s, world, True, p_out)
    _application(s, world, True, p_out, new_permit=p_out_new)  # result purged along
    _permit(s, world, True, None, revoked=2600)
    p_in = _permit(s, world, False, 2540)
    s.add(
        PermitReminder(
            permit_id=p_in.id,
            valid_until=p_in.valid_until,
            days_before=7,
            sent_for_day=day_ago(2547),
        ),
        False,
    )
    _application(s, world, False, p_in)
    _permit(s, world, False, None)  # no end
    _permit(s, world, False, 2600, created=2000)  # an old permit entered later: inside
    held = _permit(s, world, False, 2600)  # past, but the result of a kept application
    _application(s, world, False, _permit(s, world, False, 100), new_permit=held)

    # Flags (2 years after closing); an open flag at an address whose filings are purged.
    _flag(s, world, True, 740, world["address"])
    _flag(s, world, False, 720, world["address"])
    _flag(s, world, False, None, world["address"])

    # The audit trail (365 days) — really in the past, for the database trigger.
    for gone, days in ((True, 370), (True, 366), (False, 362)):
        s.add(AuditEvent(action="test.event", occurred_at=ago(days), origin_ip="203.0.113.9"), gone)

    # Sessions (30 days after they ended), emailed links (30 days), outbox (90 / 180 days).
    for gone, created, seen, revoked in (
        (True, 31.2, 31.1, 31),  # logged out 31 days ago
        (True, 31.2, 31, 0),  # idle since 31 days (0: not revoked)
        (True, 31, 0.5, 0),  # too old: past its absolute limit of 12 hours 30.5 days ago
        (False, 29.2, 29.1, 29),  # logged out 29 days ago
        (False, 0.2, 0, 0),
    ):
        s.add(
            UserSession(
                token_hash=f"{next(_n):064d}",
                user_id=user.id,
                created_at=ago(created),
                last_seen_at=ago(seen),
                revoked_at=ago(revoked) if revoked else None,
                origin_ip="198.51.100.7",
            ),
            gone,
        )
    for gone, expires, used in (
        (True, 31, None),
        (True, -1, 31),
        (False, 29, None),
        (False, -1, None),
    ):
        s.add(
            AccountToken(
                token_hash=f"{next(_n):064d}",
                user_id=user.id,
                purpose="verify_email",
                created_at=ago(40),
                expires_at=ago(expires),
                used_at=None if used is None else ago(used),
            ),
            gone,
        )
    for gone, status, created, sent in (
        (True, "sent", 95, 91),
        (False, "sent", 95, 89),
        (True, "failed", 181, None),
        (False, "failed", 179, None),
        (False, "pending", 400, None),
    ):
        s.add(
            OutboxMessage(
                kind="test",
                recipient="iemand@example.nl",
                subject="s",
                body_text="t",
                status=status,
                created_at=ago(created),
                sent_at=None if sent is None else ago(sent),
            ),
            gone,
        )
    s.add(RateLimitWindow(key="login:203.0.113.9", window_start=ago(2), hits=3), True)
    s.add(RateLimitWindow(key="login:203.0.113.9", window_start=ago(hours=1), hits=3), False)
    key = s.add(
        ApiKey(name="k", prefix="mhk_t", key_hash="2" * 64, organisation_id=world["org"].id), False
    )
    for gone, hours in ((True, 25), (False, 23)):
        s.add(
            IdempotencyRecord(
                api_key_id=key.id,
                key=f"k{hours}",
                request_hash="0" * 64,
                created_at=ago(hours=hours),
            ),
            gone,
        )
        s.add(
            BatchUpload(
                token=f"t{hours}",
                organisation_id=world["org"].id,
                user_id=user.id,
                content=b"x",
                created_at=ago(hours=hours),
            ),
            gone,
        )
    db.session.commit()
    return s


@pytest.fixture
def world(
    app: Flask, frozen: None, make_address: Callable[..., Any], make_org: Callable[..., Any]
) -> dict[str, Any]:
    address = make_address()
    with app.app_context():
        from portal.models import Municipality

        municipality = db.session.get(Municipality, address.municipality_id)
        db.session.expunge(municipality)
    return {"address": address, "municipality": municipality, "org": make_org()}


def _figures() -> list[tuple[Any, ...]]:
    rows = db.session.execute(select(MonthlyStatistic)).scalars().all()
    return sorted(
        (
            r.municipality_id,
            r.month,
            r.postcode_area,
            r.as_of,
            r.addresses_occupied,
            r.occupants,
            r.occupants_brp_known,
            r.occupants_brp_registered,
            r.open_flags,
            r.open_flags_by_reason,
            r.flags_closed,
            r.median_days_to_close,
            r.filings,
            r.late_filings,
        )
        for r in rows
    )


def _publish_every_month() -> list[date]:
    months = statistics.recent_months(TODAY, 40)  # back past the declaration retention
    for month in months:
        statistics.refresh_month(month, TODAY)
    db.session.commit()
    return months


def test_retention_purge(
    app: Flask,
    ctx: Flask,
    world: dict[str, Any],
    make_user: Callable[..., Any],
    runner: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = seed(world, make_user)
    months = _publish_every_month()
    before = _figures()
    published = statistics.open_statistics(months)
    assert any(r[5] for r in before), "the seeded months have figures"
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)  # chunk boundaries inside every type

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    db.session.expire_all()
    for model, ids in seeded.gone.items():
        assert ids <= present(model), f"the dry run deleted {model.__name__}"

    caplog.set_level(logging.INFO, logger="portal.retention")
    first = runner.invoke(args=["retention", "purge"])
    assert first.exit_code == 0, first.output
    db.session.expire_all()
    # 0 records past their period remain, 0 false deletions.
    for model, ids in seeded.gone.items():
        assert not ids & present(model), f"{model.__name__} past its period remains"
    for model, ids in seeded.kept.items():
        assert ids <= present(model), f"{model.__name__} inside its period was deleted"
    # The dry run counted exactly what the purge deleted.
    assert dry.output.replace("would delete", "deleted") == first.output
    expected = {
        "declaration": len(seeded.gone[Declaration]),
        "receipt": len(seeded.gone[Receipt]),
        "permit": len(seeded.gone[Permit]),
        "flag_event": len(seeded.gone[FlagEvent]),
        "audit_event": len(seeded.gone[AuditEvent]),
        "outbox_message": 2,
        "idempotency_record": 1,
    }
    for kind, n in expected.items():
        assert f"  {kind:<28} {n}\n" in first.output
    # No PDF or outbox payload older than its period; the open flag survived its filings.
    assert not db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == "sent", OutboxMessage.sent_at < ago(90))
    )
    assert db.session.scalar(select(func.count()).where(Flag.status == "open")) == 1
    # Each deletion logged: type, batch number, reason and every record id.
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delete ")]
    assert all(" batch=" in m and " reason=" in m and " ids=" in m for m in lines)
    logged = [(m.split()[1], i) for m in lines for i in m.split(" ids=")[1].split(",")]
    assert len(logged) == sum(len(ids) for ids in seeded.gone.values())
    assert {i for kind, i in logged if kind == "declaration"} == {
        str(i) for i in seeded.gone[Declaration]
    }
    assert not any("203.0.113.9" in m for m in lines), "no IP address in the log"
    # The run is audit-logged, with counts per type.
    events = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
        .scalars()
        .all()
    )
    assert len(events) == 1
    assert json.loads(events[0].detail)["deleted"]["declaration"] == expected["declaration"]

    second = runner.invoke(args=["retention", "purge"])
    assert second.exit_code == 0
    assert "deleted 0 records" in second.output
    db.session.expire_all()
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "retention.purge")) == 2
    )

    # The published statistics stay as they were after a refresh of every month.
    for month in months:
        statistics.refresh_month(month, TODAY)
    statistics.refresh_recent(TODAY)
    db.session.commit()
    assert _figures() == before
    assert statistics.open_statistics(months) == published


def test_without_the_seal_a_refresh_rewrites_past_months(
    app: Flask,
    ctx: Flask,
    world: dict[str, Any],
    make_user: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above can fail: with months never sealed, the purge changes published figures."""
    seed(world, make_user)
    months = _publish_every_month()
    before = _figures()
    retention.purge()
    db.session.commit()
    monkeypatch.setattr(statistics, "is_sealed", lambda month, today: False)
    for month in months:
        statistics.refresh_month(month, TODAY)
    db.session.commit()
    assert _figures() != before


def test_cli_refuses_an_audit_period_below_a_year(app: Flask) -> None:
    from portal import create_app
    from portal.settings import ConfigError
    from tests.conftest import overrides_for

    with pytest.raises(ConfigError, match="RETENTION_AUDIT_DAYS must be at least 365"):
        create_app({**overrides_for(app.config["DATABASE_URL"]), "RETENTION_AUDIT_DAYS": 30})
