"""The daily re-evaluation: open, escalate and resolve flags as dates pass (service layer).

A flag shows only the high findings in force on the day (``domain.findings.flag_findings``), so
an address whose situation changes with the calendar — a declaration starting or ending, a permit
starting or running out, a municipal policy taking effect — must be judged again on that day.
``reevaluate`` does that for one day in three steps, never per address against the database:

1. **Candidates** in one set query (a UNION): declarations starting on the day or ending the day
   before, permits starting on the day, ending the day before or ending 90 days later (the day
   ``permit_expiring`` starts), the addresses with declarations in a municipality whose policy
   takes effect that day (or took effect yesterday but was only set after yesterday's run: a
   municipal admin may set a policy from today), and every address with an open flag (so flags
   resolve when their reason passes). ``everything`` takes every address with a declaration in
   force on or after the day. A filing's span also ends when a successor (amendment or end) takes
   over: that successor starts on the day, so the "starting on the day" branch brings it in.
2. **Bulk loading** per chunk of addresses: their register facts, filings, valid permits and open
   flags in four queries; the policies once per municipality. The pure ``evaluate(..., today=day)``
   then judges each address in Python, on the inputs ``flags.evaluate_address`` reads too
   (``occupancy.occupancy_inputs``).
3. **Writing only what changed**: ``sync_flag`` runs only for addresses whose flag would open,
   resolve or show other reasons, totals, limit, rule or end. Those addresses are locked (in id
   order, as a filing locks one) and judged again on fresh rows first, so a filing committed
   meanwhile is never overwritten with an older judgement. A second run for the same day
   therefore changes nothing.

Nothing here commits: the CLI command (``flask flags reevaluate``) commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

from sqlalchemy import and_, or_, select, union

from portal import clock
from portal.domain.findings import flag_findings, flag_values
from portal.domain.occupancy import EXPIRING_WITHIN_DAYS, Evaluation, evaluate
from portal.domain.policy import OccupancyPolicy
from portal.extensions import db
from portal.models import Address, Declaration, Flag, MunicipalPolicy, Permit
from portal.models.flag import OPEN_STATUSES
from portal.services.bulk import CHUNK, bulk_rows, chunks, member_of
from portal.services.flags import sync_flags
from portal.services.municipalities import default_policy, policy_list
from portal.services.occupancy import OccupancyInputs

# The one loader of the rules' inputs (services.occupancy), under the name bench/national.py
# times it by.
from portal.services.occupancy import occupancy_inputs as load_inputs

# The flag columns that tell whether a flag needs writing. ``period_start`` is left out on
# purpose: judged from a later day, a breach that began earlier seems to begin that day, and
# rewriting the start daily would be noise in the flag's history.
_COMPARED = ("reasons", "occupants", "limit", "rule", "period_end")


@dataclass
class ReevaluationReport:
    """What one run did: how many addresses it looked at and which flags it changed.

    ``opened`` includes a closed flag that ``sync_flag`` reopens (one case per address).
    """

    day: date
    everything: bool = False
    candidates: int = 0
    evaluated: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    seconds: float = 0.0
    changed_address_ids: list[int] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the CLI and the job log."""
        scope = "all addresses" if self.everything else "changing addresses"
        return (
            f"re-evaluated {self.day.isoformat()} ({scope}): {self.candidates} candidates, "
            f"{self.evaluated} evaluated; flags opened {self.opened}, updated {self.updated}, "
            f"resolved {self.resolved} in {self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class _OpenFlag:
    status: str
    values: tuple[object, ...]  # the _COMPARED columns


def candidate_addresses(day: date, everything: bool = False) -> list[int]:
    """The ids of the addresses whose judgement can change on ``day`` (one UNION query)."""
    in_force_later = or_(Declaration.end_date.is_(None), Declaration.end_date >= day)
    parts = [select(Flag.address_id).where(Flag.status.in_(OPEN_STATUSES))]
    if everything:
        parts.append(select(Declaration.address_id).where(in_force_later))
    else:
        day_before = day - timedelta(days=1)
        parts += [
            select(Declaration.address_id).where(
                or_(Declaration.start_date == day, Declaration.end_date == day_before)
            ),
            select(Permit.address_id).where(
                Permit.status == "valid",
                or_(
                    Permit.valid_from == day,
                    Permit.valid_until == day_before,
                    Permit.valid_until == day + timedelta(days=EXPIRING_WITHIN_DAYS),
                ),
            ),
            select(Declaration.address_id)
            .join(MunicipalPolicy, MunicipalPolicy.municipality_id == Declaration.municipality_id)
            .where(
                or_(
                    MunicipalPolicy.effective_from == day,
                    # Set yesterday to take effect at once, after yesterday's run had passed.
                    and_(
                        MunicipalPolicy.effective_from < day,
                        MunicipalPolicy.created_at >= _start_of(day_before),
                    ),
                ),
                in_force_later,
            ),
        ]
    return sorted(db.session.execute(union(*parts)).scalars())


def _start_of(day: date) -> datetime:
    """Midnight in the Netherlands at the start of ``day``, as UTC."""
    return datetime.combine(day, time(), tzinfo=clock.AMSTERDAM).astimezone(UTC)


def open_flags(ids: Sequence[int]) -> dict[int, _OpenFlag]:
    columns = [getattr(Flag, name) for name in _COMPARED]
    return {
        address_id: _OpenFlag(status, tuple(values))
        for address_id, status, *values in bulk_rows(
            select(Flag.address_id, Flag.status, *columns).where(
                member_of(Flag.address_id, ids), Flag.status.in_(OPEN_STATUSES)
            )
        )
    }


class Judge:
    """Evaluates addresses on bulk-loaded inputs; reads each municipality's policies once."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.default = default_policy()
        # Most municipalities follow the national defaults: ask ``policy_list`` only for the
        # ones that set a policy of their own.
        self.policies: dict[int, list[OccupancyPolicy]] = defaultdict(list)
        for (municipality_id,) in bulk_rows(select(MunicipalPolicy.municipality_id).distinct()):
            self.policies[municipality_id] = policy_list(municipality_id)

    def evaluation(self, inputs: OccupancyInputs, since: date | None = None) -> Evaluation:
        """The address judged from ``since`` (default: the judge's day) on."""
        policies = self.policies[inputs.municipality_id]
        return evaluate(
            inputs.facts,
            inputs.spans,
            inputs.permits,
            policies,
            self.default,
            today=since or self.day,
        )

    def change(self, evaluation: Evaluation, flag: _OpenFlag | None) -> str | None:
        """``opened``, ``updated``, ``resolved`` or None: what ``sync_flag`` would do."""
        high = flag_findings(evaluation, self.day)
        if not high:
            return "resolved" if flag is not None and flag.status == "open" else None
        if flag is None:
            return "opened"
        wanted = flag_values(high)
        return "updated" if tuple(wanted[k] for k in _COMPARED) != flag.values else None


def reevaluate(day: date, everything: bool = False) -> ReevaluationReport:
    """Re-judge every address whose situation changes on ``day``; open, update, resolve flags."""
    started = perf_counter()
    report = ReevaluationReport(day=day, everything=everything)
    db.session.flush()
    ids = candidate_addresses(day, everything)
    report.candidates = len(ids)
    _judge_addresses(ids, Judge(day), report)
    report.seconds = perf_counter() - started
    return report


def reevaluate_addresses(address_ids: Iterable[int], day: date) -> ReevaluationReport:
    """Re-judge exactly these addresses for ``day`` in bulk (after a permit import, say): the
    daily job's way, so only the addresses whose flag changes are locked and written, as the
    system (the caller's own audit event names who caused it)."""
    started = perf_counter()
    report = ReevaluationReport(day=day)
    db.session.flush()
    ids = sorted(set(address_ids))
    report.candidates = len(ids)
    _judge_addresses(ids, Judge(day), report)
    report.seconds = perf_counter() - started
    return report


def _judge_addresses(ids: Sequence[int], judge: Judge, report: ReevaluationReport) -> None:
    for chunk in chunks(ids, CHUNK):
        inputs = load_inputs(chunk, judge.day)
        flags = open_flags(chunk)
        changing: list[int] = []
        for address_id in chunk:
            address_inputs = inputs[address_id]
            flag = flags.get(address_id)
            if not address_inputs.spans and flag is None:
                continue  # nobody lives there from the day on and no flag is open: nothing to do
            report.evaluated += 1
            if judge.change(judge.evaluation(address_inputs), flag) is not None:
                changing.append(address_id)
        if changing:
            _write(changing, judge, report)


def _write(ids: list[int], judge: Judge, report: ReevaluationReport) -> None:
    """Lock the changing addresses, judge them again on fresh rows, and sync their flags."""
    db.session.flush()
    addresses = {
        a.id: a
        for a in db.session.execute(
            select(Address)
            .where(member_of(Address.id, ids))
            .order_by(Address.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    }
    inputs = load_inputs(ids, judge.day)
    flags = open_flags(ids)
    changing: list[tuple[Address, Evaluation]] = []
    for address_id in ids:
        evaluation = judge.evaluation(inputs[address_id])
        change = judge.change(evaluation, flags.get(address_id))
        if change is None:
            continue  # a filing committed meanwhile already brought the flag up to date
        changing.append((addresses[address_id], evaluation))
        setattr(report, change, getattr(report, change) + 1)
        report.changed_address_ids.append(address_id)
    sync_flags(changing, None, today=judge.day)
