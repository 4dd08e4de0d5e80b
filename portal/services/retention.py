"""The retention purge (service layer): remove every record past its retention period.

The periods are the ``RETENTION_*`` settings (``portal.domain.retention``); which record is past
its period is decided here, in set-based SQL so the purge works at national scale, each rule
stated where it applies: a record's period runs from when it stopped being needed *and* from when
it was last written, so a record entered late is kept its full period. Ids are selected first and
deleted ``BATCH_SIZE`` at a time, children before parents (foreign-key safe on SQLite and
PostgreSQL). Each deleted record is logged (logger ``portal.retention``: one line per batch with
the type, every id, the reason and the batch number) and the run adds one audit event with the
counts per type. Running it again deletes nothing. Never commits.

Not purged here: addresses, organisations, municipalities, users (and their recovery codes and
API keys), policies, reference numbers, and the anonymous ``monthly_statistics`` (kept whole;
``portal.services.statistics`` leaves months whose sources may be purged as published).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, delete, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from portal import clock
from portal.domain.flags import OPEN_STATUSES
from portal.domain.retention import AUDIT_MINIMUM_DAYS, RetentionPeriods, cutoff_day
from portal.extensions import db
from portal.models import (
    AccountToken,
    AuditEvent,
    Batch,
    BatchUpload,
    Declaration,
    Flag,
    FlagEvent,
    IdempotencyRecord,
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
from portal.services import audit

logger = logging.getLogger("portal.retention")

BATCH_SIZE = 1000
# Not settings: the API's replay window and the life of a CSV kept between dry run and filing.
IDEMPOTENCY_HOURS = 24
UPLOAD_HOURS = 24

# The order of the summary (and of deletion within each group).
TYPES = (
    "declaration",
    "receipt",
    "batch",
    "permit_application_message",
    "permit_document",
    "permit_application",
    "permit_reminder",
    "permit",
    "flag_event",
    "flag",
    "audit_event",
    "session",
    "account_token",
    "outbox_message",
    "rate_limit_window",
    "idempotency_record",
    "batch_upload",
)


def periods() -> RetentionPeriods:
    return RetentionPeriods.from_settings(current_app.config)


@dataclass
class PurgeReport:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    batches: int = 0
    pdfs: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        parts = ", ".join(f"{n} {t}" for t, n in self.counts.items() if n)
        return (
            f"retention purge: {verb} {self.total} records"
            f" ({parts or 'nothing past its period'}); receipt PDFs: {self.pdfs};"
            f" in {self.batches} batches"
        )


def _chunks(ids: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=clock.AMSTERDAM).astimezone(UTC)


class _Purger:
    def __init__(self, now: datetime, dry_run: bool, batch_size: int) -> None:
        self.now = now
        self.today = now.astimezone(clock.AMSTERDAM).date()
        self.dry_run = dry_run
        self.size = batch_size
        self.report = PurgeReport(dry_run)
        self.periods = periods()

    # ---- helpers ---------------------------------------------------------------------------

    def _ids(self, stmt: Any) -> list[Any]:
        return list(db.session.execute(stmt).scalars())

    def _delete(self, kind: str, model: Any, column: Any, ids: Sequence[Any], reason: str) -> None:
        """Delete rows of ``model`` whose ``column`` is in ``ids`` (ids deleted themselves)."""
        for chunk in _chunks(list(ids), self.size):
            self._log(kind, chunk, reason)
            if not self.dry_run:
                db.session.execute(
                    delete(model)
                    .where(column.in_(chunk))
                    .execution_options(synchronize_session=False)
                )

    def _log(self, kind: str, ids: Sequence[Any], reason: str) -> None:
        """Log one batch (every record id in it, the type, the reason, the batch number) and
        count it. One line per batch, not per record: a line per record cost more than the
        deletion itself at scale (100,000 declarations)."""
        if not ids:
            return
        self.report.batches += 1
        logger.info(
            "%s %s batch=%d reason=%s count=%d ids=%s",
            "would delete" if self.dry_run else "delete",
            kind,
            self.report.batches,
            reason,
            len(ids),
            ",".join(str(i) for i in ids),
        )
        self.report.counts[kind] += len(ids)

    def _cut(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    # ---- declarations, their receipts and batches ------------------------------------------

    def declarations(self) -> None:
        days = self.periods.declaration
        cut = cutoff_day(self.today, days)
        filed_cut = _local_midnight(cut)
        chain = func.coalesce(Declaration.root_id, Declaration.id)
        successor = aliased(Declaration)
        # A filing keeps its chain when it was filed on or after the cut-off day, or when it is
        # the chain's last filing and its period has no end or ends on or after that day: a
        # chain ends with its last filing's period or its last filing day, whichever is later.
        keeps = case(
            (
                or_(
                    Declaration.filed_at >= filed_cut,
                    and_(
                        successor.id.is_(None),
                        or_(Declaration.end_date.is_(None), Declaration.end_date >= cut),
                    ),
                ),
                1,
            ),
            else_=0,
        )
        chains = self._ids(
            select(chain)
            .select_from(Declaration)
            .outerjoin(successor, successor.supersedes_id == Declaration.id)
            .group_by(chain)
            .having(func.max(keeps) == 0)
            .order_by(chain)
        )
        reason = f"chain_ended_before_{cut.isoformat()}({days}d)"
        for chunk in _chunks(chains, self.size):
            ids = self._ids(
                select(Declaration.id)
                .where(or_(Declaration.id.in_(chunk), Declaration.root_id.in_(chunk)))
                # Latest first: a filing goes before the ones it supersedes (FK-safe even when
                # a chain is split over two statements).
                .order_by(Declaration.id.desc())
            )
            receipts = db.session.execute(
                select(Receipt.id, Receipt.pdf.is_not(None)).where(Receipt.declaration_id.in_(ids))
            ).all()
            self.report.pdfs += sum(1 for _id, has_pdf in receipts if has_pdf)
            self._delete("receipt", Receipt, Receipt.id, [r for r, _p in receipts], reason)
            self._delete("declaration", Declaration, Declaration.id, ids, reason)
        if not self.dry_run:
            db.session.flush()
        # A batch goes when none of its filings is left and it is itself past the period.
        remaining = select(Declaration.id).where(Declaration.batch_id == Batch.id)
        batch_ids = self._ids(
            select(Batch.id)
            .where(Batch.created_at < filed_cut, ~remaining.exists())
            .order_by(Batch.id)
        )
        if self.dry_run:
            # The filings would be gone: count batches whose filings all belong to purged chains.
            purged = set(chains)
            batch_ids = []
            rows = db.session.execute(
                select(Batch.id, chain)
                .select_from(Batch)
                .outerjoin(Declaration, Declaration.batch_id == Batch.id)
                .where(Batch.created_at < filed_cut)
            ).all()
            keep = {b for b, c in rows if c is not None and c not in purged}
            batch_ids = sorted({b for b, _c in rows} - keep)
        batch_reason = f"batch_filings_purged_created_before_{cut.isoformat()}({days}d)"
        receipts = db.session.execute(
            select(Receipt.id, Receipt.pdf.is_not(None)).where(Receipt.batch_id.in_(batch_ids))
        ).all()
        self.report.pdfs += sum(1 for _id, has_pdf in receipts if has_pdf)
        self._delete("receipt", Receipt, Receipt.id, [r for r, _p in receipts], batch_reason)
        self._delete("batch", Batch, Batch.id, batch_ids, batch_reason)

    # ---- permits with their applications -----------------------------------------------------

    def permits(self) -> None:
        days = self.periods.permit
        cut = cutoff_day(self.today, days)
        permit_ids = self._ended_permits(cut)
        reason = f"permit_ended_before_{cut.isoformat()}({days}d)"
        # Applications (with messages, documents and receipts) of every purged permit first:
        # an application may name a purged permit of another chunk as its result.
        for chunk in _chunks(permit_ids, self.size):
            apps = self._ids(
                select(PermitApplication.id)
                .where(PermitApplication.permit_id.in_(chunk))
                .order_by(PermitApplication.id)
            )
            for app_chunk in _chunks(apps, self.size):
                self._applications(app_chunk, reason)
        for chunk in _chunks(permit_ids, self.size):
            reminders = db.session.execute(
                select(
                    PermitReminder.permit_id, PermitReminder.valid_until, PermitReminder.days_before
                ).where(PermitReminder.permit_id.in_(chunk))
            ).all()
            # Keyed by (permit, end, days before): logged by that key, deleted by permit.
            self._log("permit_reminder", [f"{p}/{u}/{d}" for p, u, d in reminders], reason)
            if reminders and not self.dry_run:
                db.session.execute(
                    delete(PermitReminder)
                    .where(PermitReminder.permit_id.in_(chunk))
                    .execution_options(synchronize_session=False)
                )
            self._delete("permit", Permit, Permit.id, chunk, reason)

    def _ended_permits(self, cut: date) -> list[Any]:
        """The permits past their period: ended (the earlier of the last valid day and the
        revocation) before ``cut`` and entered before it, unless a kept application names the
        permit as its result."""
        cut_moment = _local_midnight(cut)
        ended = or_(
            and_(Permit.valid_until.is_not(None), Permit.valid_until < cut),
            and_(Permit.revoked_at.is_not(None), Permit.revoked_at < cut_moment),
        )
        candidates = set(self._ids(select(Permit.id).where(ended, Permit.created_at < cut_moment)))
        # A permit that a kept application names as its result stays with that application.
        results = db.session.execute(
            select(PermitApplication.permit_id, PermitApplication.new_permit_id).where(
                PermitApplication.new_permit_id.is_not(None)
            )
        ).all()
        while True:
            held = {new for old, new in results if old not in candidates and new in candidates}
            if not held:
                break
            candidates -= held
        return sorted(candidates)

    def _applications(self, app_chunk: Sequence[Any], reason: str) -> None:
        """Delete permit applications with their messages, receipts and documents."""
        self._delete(
            "permit_application_message",
            PermitApplicationMessage,
            PermitApplicationMessage.id,
            self._ids(
                select(PermitApplicationMessage.id).where(
                    PermitApplicationMessage.application_id.in_(app_chunk)
                )
            ),
            reason,
        )
        receipts = db.session.execute(
            select(Receipt.id, Receipt.pdf.is_not(None)).where(
                Receipt.permit_application_id.in_(app_chunk)
            )
        ).all()
        self.report.pdfs += sum(1 for _id, has_pdf in receipts if has_pdf)
        self._delete("receipt", Receipt, Receipt.id, [r for r, _p in receipts], reason)
        self._delete(
            "permit_document",
            PermitDocument,
            PermitDocument.id,
            self._ids(
                select(PermitDocument.id).where(PermitDocument.application_id.in_(app_chunk))
            ),
            reason,
        )
        self._delete(
            "permit_application", PermitApplication, PermitApplication.id, app_chunk, reason
        )

    # ---- flags, audit trail and short-lived records ------------------------------------------

    def flags(self) -> None:
        days = self.periods.flag
        cut = self._cut(days)
        flags = self._ids(
            select(Flag.id)
            .where(
                Flag.closed_at.is_not(None),
                Flag.closed_at < cut,
                Flag.status.not_in(OPEN_STATUSES),
            )
            .order_by(Flag.id)
        )
        reason = f"closed_before_{cut.date().isoformat()}({days}d)"
        for chunk in _chunks(flags, self.size):
            events = self._ids(select(FlagEvent.id).where(FlagEvent.flag_id.in_(chunk)))
            self._delete("flag_event", FlagEvent, FlagEvent.id, events, reason)
            self._delete("flag", Flag, Flag.id, chunk, reason)

    def audit_events(self) -> None:
        days = self.periods.audit_event
        cut = self._cut(days)
        if db.session.get_bind().dialect.name == "postgresql":
            # The trigger of migration 0006 judges by the database's clock: never ask it to
            # delete an event it would refuse (a clock set ahead would fail the whole run).
            db_now = db.session.execute(select(func.now())).scalar_one()
            cut = min(cut, db_now - timedelta(days=AUDIT_MINIMUM_DAYS, seconds=1))
        ids = self._ids(
            select(AuditEvent.id).where(AuditEvent.occurred_at < cut).order_by(AuditEvent.id)
        )
        self._delete("audit_event", AuditEvent, AuditEvent.id, ids, f"older_than_{days}d")

    def short_lived(self) -> None:
        p, now = self.periods, self.now
        cfg = current_app.config
        idle = timedelta(minutes=int(cfg["SESSION_IDLE_MINUTES"]))
        absolute = timedelta(hours=int(cfg["SESSION_ABSOLUTE_HOURS"]))
        cut = self._cut(p.session)
        # A session ended when it was revoked, had been idle too long or was too old.
        sessions = select(UserSession.id).where(
            or_(
                UserSession.revoked_at < cut,
                UserSession.last_seen_at < cut - idle,
                UserSession.created_at < cut - absolute,
            )
        )
        self._delete(
            "session",
            UserSession,
            UserSession.id,
            self._ids(sessions.order_by(UserSession.id)),
            f"ended_before_{cut.date().isoformat()}({p.session}d)",
        )
        cut = self._cut(p.account_token)
        tokens = select(AccountToken.id).where(
            or_(AccountToken.expires_at < cut, AccountToken.used_at < cut)
        )
        self._delete(
            "account_token",
            AccountToken,
            AccountToken.id,
            self._ids(tokens.order_by(AccountToken.id)),
            f"used_or_expired_before_{cut.date().isoformat()}({p.account_token}d)",
        )
        sent_cut, failed_cut = self._cut(p.outbox_sent), self._cut(p.outbox_failed)
        outbox = select(OutboxMessage.id).where(
            or_(
                and_(
                    OutboxMessage.status == "sent",
                    func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < sent_cut,
                ),
                and_(OutboxMessage.status == "failed", OutboxMessage.created_at < failed_cut),
            )
        )
        self._delete(
            "outbox_message",
            OutboxMessage,
            OutboxMessage.id,
            self._ids(outbox.order_by(OutboxMessage.id)),
            f"sent_{p.outbox_sent}d_or_failed_{p.outbox_failed}d",
        )
        cut = self._cut(p.rate_limit_window)
        windows = db.session.execute(
            select(RateLimitWindow.key, RateLimitWindow.window_start).where(
                RateLimitWindow.window_start < cut
            )
        ).all()
        self._delete_windows(windows, f"window_before_{cut.isoformat()}({p.rate_limit_window}d)")
        cut = now - timedelta(hours=IDEMPOTENCY_HOURS)
        self._delete(
            "idempotency_record",
            IdempotencyRecord,
            IdempotencyRecord.id,
            self._ids(select(IdempotencyRecord.id).where(IdempotencyRecord.created_at < cut)),
            f"older_than_{IDEMPOTENCY_HOURS}h",
        )
        cut = now - timedelta(hours=UPLOAD_HOURS)
        self._delete(
            "batch_upload",
            BatchUpload,
            BatchUpload.id,
            self._ids(select(BatchUpload.id).where(BatchUpload.created_at < cut)),
            f"abandoned_{UPLOAD_HOURS}h",
        )

    def _delete_windows(self, windows: Sequence[Any], reason: str) -> None:
        # The key holds an IP address: the log names the window by a hash of its key.
        for chunk in _chunks(list(windows), self.size):
            labels = [
                f"{hashlib.sha256(key.encode()).hexdigest()[:12]}@{start.isoformat()}"
                for key, start in chunk
            ]
            self._log("rate_limit_window", labels, reason)
            if not self.dry_run:
                db.session.execute(
                    delete(RateLimitWindow)
                    .where(
                        tuple_(RateLimitWindow.key, RateLimitWindow.window_start).in_(
                            [tuple(w) for w in chunk]
                        )
                    )
                    .execution_options(synchronize_session=False)
                )


def purge(
    *, dry_run: bool = False, now: datetime | None = None, batch_size: int | None = None
) -> PurgeReport:
    """Remove (or with ``dry_run`` only count) every record past its retention period, children
    before parents; add one audit event with the counts (not for a dry run). Never commits."""
    purger = _Purger(now or clock.now(), dry_run, batch_size or BATCH_SIZE)
    steps: list[Callable[[], None]] = [
        purger.declarations,
        purger.permits,
        purger.flags,
        purger.audit_events,
        purger.short_lived,
    ]
    for step in steps:
        step()
    report = purger.report
    if not dry_run:
        db.session.flush()
        audit.record(
            "retention.purge",
            actor_label="retention purge",
            object_type="retention",
            detail=json.dumps(
                {"deleted": {t: n for t, n in report.counts.items() if n}, "pdfs": report.pdfs},
                sort_keys=True,
            ),
        )
        db.session.flush()
    logger.info(report.describe())
    return report
