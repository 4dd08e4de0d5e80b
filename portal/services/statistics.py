"""Monthly statistics: the nightly aggregate and what the regional and public pages read
(service layer).

``refresh_month`` recomputes one month for every municipality with set-based queries (grouped
counts in the database; only the open and closed flags and the month's filings come back as
rows, for the reasons, the median and the late rule). The occupancy in force respects
supersession like ``portal.domain.declarations.effective_periods``: a filing counts on a day when
the day is inside its period and no successor has taken over by then. Figures are "as known
now": a late filing changes a past month on its next refresh. Never commits.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import aliased

from portal import clock
from portal.domain.flags import OPEN_STATUSES
from portal.domain.occupancy import is_late
from portal.domain.policy import policy_in_force
from portal.domain.statistics import THRESHOLD, DisclosureRules, Protected, median
from portal.extensions import db
from portal.models import (
    Address,
    Declaration,
    Flag,
    MonthlyStatistic,
    Municipality,
    Organisation,
)
from portal.services.municipalities import default_policy, policies_by_municipality

MONTHS_SHOWN = 12


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def recent_months(today: date, count: int = MONTHS_SHOWN) -> list[date]:
    """The ``count`` months up to and including the month of ``today``, oldest first."""
    months = [first_of_month(today)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return list(reversed(months))


def _start_of(day: date) -> datetime:
    """Midnight in the Netherlands at the start of ``day``, as UTC."""
    return datetime.combine(day, time(), tzinfo=clock.AMSTERDAM).astimezone(UTC)


def in_force_on(day: date) -> Any:
    """Filings in force on ``day`` (their own period, no successor yet): a subquery with the
    municipality, address, postcode, occupants, BRP count and organisation."""
    successor = aliased(Declaration)
    return (
        select(
            Declaration.municipality_id,
            Declaration.address_id,
            Declaration.organisation_id,
            Declaration.occupants,
            Declaration.occupants_registered_brp,
            func.substr(Address.postcode, 1, 4).label("area"),
        )
        .join(Address, Address.id == Declaration.address_id)
        .outerjoin(
            successor,
            and_(successor.supersedes_id == Declaration.id, successor.start_date <= day),
        )
        .where(
            Declaration.start_date <= day,
            or_(Declaration.end_date.is_(None), Declaration.end_date >= day),
            successor.id.is_(None),
        )
        .subquery()
    )


@dataclass
class _Figures:
    addresses_occupied: int = 0
    occupants: int = 0
    occupants_brp_known: int = 0
    occupants_brp_registered: int = 0
    open_flags: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    close_days: list[float] = field(default_factory=list)
    filings: int = 0
    late_filings: int = 0


def _occupancy(day: date) -> dict[tuple[int, str], _Figures]:
    sub = in_force_on(day)
    rows = db.session.execute(
        select(
            sub.c.municipality_id,
            sub.c.area,
            func.count(func.distinct(sub.c.address_id)),
            func.sum(sub.c.occupants),
            func.sum(case((sub.c.occupants_registered_brp.is_not(None), sub.c.occupants), else_=0)),
            func.sum(func.coalesce(sub.c.occupants_registered_brp, 0)),
        ).group_by(sub.c.municipality_id, sub.c.area)
    ).all()
    return {
        (m, area): _Figures(int(a), int(o or 0), int(k or 0), int(r or 0))
        for m, area, a, o, k, r in rows
    }


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(clock.AMSTERDAM).date()


def is_sealed(month: date, today: date) -> bool:
    """Published figures of a month past the retention of its sources never change again
    (``portal.domain.retention.month_is_sealed``); a month never published may still be computed."""
    from portal.domain.retention import month_is_sealed
    from portal.services.retention import periods

    if not month_is_sealed(first_of_month(month), today, periods()):
        return False
    published = select(MonthlyStatistic.id).where(MonthlyStatistic.month == first_of_month(month))
    return db.session.execute(published.limit(1)).first() is not None


def _add_occupancy(figures: dict[int, _Figures], areas: dict[tuple[int, str], _Figures]) -> None:
    """Each municipality's occupancy: the sum of its postcode areas."""
    for (municipality_id, _area), part in areas.items():
        whole = figures[municipality_id]
        whole.addresses_occupied += part.addresses_occupied
        whole.occupants += part.occupants
        whole.occupants_brp_known += part.occupants_brp_known
        whole.occupants_brp_registered += part.occupants_brp_registered


def _add_open_flags(figures: dict[int, _Figures], stock_end: datetime) -> None:
    """The flags open at ``stock_end`` (opened before it, not closed by then), with reasons."""
    open_rows = db.session.execute(
        select(Flag.municipality_id, Flag.reasons).where(
            Flag.opened_at < stock_end,
            or_(Flag.closed_at.is_(None), Flag.closed_at >= stock_end),
        )
    ).all()
    for municipality_id, reasons in open_rows:
        figures[municipality_id].open_flags += 1
        figures[municipality_id].reasons.update(r for r in reasons.split(",") if r)


def _add_closed_flags(figures: dict[int, _Figures], start: datetime, end: datetime) -> None:
    """The flags closed in [start, end), each with its days from opening to closing."""
    closed_rows = db.session.execute(
        select(Flag.municipality_id, Flag.opened_at, Flag.closed_at).where(
            Flag.closed_at >= start, Flag.closed_at < end
        )
    ).all()
    for municipality_id, opened_at, closed_at in closed_rows:
        assert closed_at is not None
        days = (_local_day(closed_at) - _local_day(opened_at)).days
        figures[municipality_id].close_days.append(float(days))


def _add_filings(figures: dict[int, _Figures], start: datetime, end: datetime) -> None:
    """The filings of [start, end), and which of them came late under the policy in force."""
    policies, fallback = policies_by_municipality(), default_policy()
    filing_rows = db.session.execute(
        select(
            Declaration.municipality_id,
            Declaration.kind,
            Declaration.start_date,
            Declaration.end_date,
            Declaration.filed_at,
        ).where(Declaration.filed_at >= start, Declaration.filed_at < end)
    ).all()
    for municipality_id, kind, start_date, end_date, filed_at in filing_rows:
        changed_on = end_date if kind == "end" and end_date is not None else start_date
        policy = policy_in_force(policies.get(municipality_id, []), changed_on, fallback)
        whole = figures[municipality_id]
        whole.filings += 1
        whole.late_filings += int(is_late(_local_day(filed_at), changed_on, policy))


def _row(
    municipality_id: int, area: str | None, month: date, as_of: date, f: _Figures, now: datetime
) -> dict[str, Any]:
    """One monthly_statistics row: the whole municipality (``area`` None), or one postcode area,
    which has occupancy figures only."""
    whole = area is None
    return {
        "municipality_id": municipality_id,
        "month": month,
        "postcode_area": "" if area is None else area,
        "as_of": as_of,
        "addresses_occupied": f.addresses_occupied,
        "occupants": f.occupants,
        "occupants_brp_known": f.occupants_brp_known,
        "occupants_brp_registered": f.occupants_brp_registered,
        "open_flags": f.open_flags if whole else 0,
        "open_flags_by_reason": json.dumps(dict(sorted(f.reasons.items()))) if whole else "{}",
        "flags_closed": len(f.close_days) if whole else 0,
        "median_days_to_close": median(f.close_days) if whole else None,
        "filings": f.filings if whole else 0,
        "late_filings": f.late_filings if whole else 0,
        "refreshed_at": now,
    }


def refresh_month(month: date, today: date | None = None) -> int:
    """Recompute the figures of ``month`` for every municipality; returns the rows written.

    A month already published whose source records may have been purged (it starts more than
    the shortest retention period of declarations and flags ago) is left as it is: 0 rows."""
    today = today or clock.today()
    month = first_of_month(month)
    if is_sealed(month, today):
        return 0
    following = next_month(month)
    as_of = min(following - timedelta(days=1), today)
    start, end = _start_of(month), _start_of(following)
    figures: dict[int, _Figures] = defaultdict(_Figures)
    areas = _occupancy(as_of)
    _add_occupancy(figures, areas)
    _add_open_flags(figures, stock_end=_start_of(as_of + timedelta(days=1)))
    _add_closed_flags(figures, start, end)
    _add_filings(figures, start, end)
    db.session.execute(delete(MonthlyStatistic).where(MonthlyStatistic.month == month))
    now = clock.now()
    rows = [_row(m, None, month, as_of, f, now) for m, f in figures.items()]
    rows += [_row(m, area, month, as_of, part, now) for (m, area), part in areas.items()]
    if rows:
        db.session.execute(MonthlyStatistic.__table__.insert(), rows)
    db.session.flush()
    return len(rows)


def refresh_recent(today: date) -> int:
    """The daily job: the running month and the one before (late filings still change it)."""
    month = first_of_month(today)
    return refresh_month(previous_month(month), today) + refresh_month(month, today)


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    """One municipality (or the sum of several) in one month, as the pages show it."""

    month: date
    addresses_occupied: int
    occupants: int
    occupants_brp_known: int
    occupants_brp_registered: int
    open_flags: int
    reasons: dict[str, int]
    flags_closed: int
    median_days_to_close: float | None
    filings: int
    late_filings: int

    @property
    def brp_percent(self) -> int | None:
        if not self.occupants_brp_known:
            return None
        return round(100 * self.occupants_brp_registered / self.occupants_brp_known)


def _empty(month: date) -> MonthFigures:
    return MonthFigures(month, 0, 0, 0, 0, 0, {}, 0, None, 0, 0)


def monthly_rows(municipality_ids: Sequence[int], months: Sequence[date]) -> list[MonthlyStatistic]:
    """The stored whole-municipality rows of these municipalities and months (one query)."""
    if not municipality_ids or not months:
        return []
    return list(
        db.session.execute(
            select(MonthlyStatistic).where(
                MonthlyStatistic.municipality_id.in_(municipality_ids),
                MonthlyStatistic.month.in_(months),
                MonthlyStatistic.postcode_area == "",
            )
        ).scalars()
    )


def combine(month: date, rows: Iterable[MonthlyStatistic]) -> MonthFigures:
    """The sum of several municipalities' rows of one month. A median does not add up:
    for several municipalities the figure is their medians weighted by flags closed (the page
    says so)."""
    rows = list(rows)
    if not rows:
        return _empty(month)
    reasons: Counter[str] = Counter()
    for row in rows:
        reasons.update(json.loads(row.open_flags_by_reason))
    medians = [
        (r.median_days_to_close, r.flags_closed)
        for r in rows
        if r.median_days_to_close is not None and r.flags_closed
    ]
    weighted = sum(m * n for m, n in medians) / sum(n for _m, n in medians) if medians else None
    return MonthFigures(
        month=month,
        addresses_occupied=sum(r.addresses_occupied for r in rows),
        occupants=sum(r.occupants for r in rows),
        occupants_brp_known=sum(r.occupants_brp_known for r in rows),
        occupants_brp_registered=sum(r.occupants_brp_registered for r in rows),
        open_flags=sum(r.open_flags for r in rows),
        reasons=dict(sorted(reasons.items())),
        flags_closed=sum(r.flags_closed for r in rows),
        median_days_to_close=None if weighted is None else round(weighted, 1),
        filings=sum(r.filings for r in rows),
        late_filings=sum(r.late_filings for r in rows),
    )


@dataclass(frozen=True)
class RegionalFigures:
    """Per municipality and for the region: one MonthFigures per month, oldest first."""

    months: list[date]
    municipalities: list[Municipality]
    per_municipality: dict[int, list[MonthFigures]]
    region: list[MonthFigures]


def regional_figures(municipalities: Sequence[Municipality], today: date) -> RegionalFigures:
    """The last twelve months of the given municipalities and their sum."""
    months = recent_months(today)
    rows = monthly_rows([m.id for m in municipalities], months)
    by_key: dict[tuple[int, date], MonthlyStatistic] = {
        (r.municipality_id, r.month): r for r in rows
    }
    per = {
        m.id: [combine(month, [r] if (r := by_key.get((m.id, month))) else []) for month in months]
        for m in municipalities
    }
    region = [combine(month, [r for r in rows if r.month == month]) for month in months]
    return RegionalFigures(months, list(municipalities), per, region)


@dataclass(frozen=True)
class OrganisationSpread:
    """An organisation that houses people in the region: where, how many, with what flags."""

    organisation_id: int
    name: str
    kvk: str
    municipalities: int
    addresses: int
    occupants: int
    open_flags: int


def organisations_across(
    municipality_ids: Sequence[int], today: date, limit: int | None = None
) -> list[OrganisationSpread]:
    """Organisations with occupancy in force today in these municipalities, most spread first
    (only for a region with a data-sharing agreement: the caller checks)."""
    if not municipality_ids:
        return []
    sub = in_force_on(today)
    open_flag_addresses = (
        select(Flag.address_id)
        .where(Flag.status.in_(OPEN_STATUSES))
        .where(Flag.municipality_id.in_(municipality_ids))
    )
    stmt = (
        select(
            Organisation.id,
            Organisation.name,
            Organisation.kvk_number,
            func.count(func.distinct(sub.c.municipality_id)),
            func.count(func.distinct(sub.c.address_id)),
            func.sum(sub.c.occupants),
            func.count(
                func.distinct(case((sub.c.address_id.in_(open_flag_addresses), sub.c.address_id)))
            ),
        )
        .join(sub, sub.c.organisation_id == Organisation.id)
        .where(sub.c.municipality_id.in_(municipality_ids))
        .group_by(Organisation.id, Organisation.name, Organisation.kvk_number)
        .order_by(
            func.count(func.distinct(sub.c.municipality_id)).desc(),
            func.count(func.distinct(sub.c.address_id)).desc(),
            Organisation.name,
        )
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = db.session.execute(stmt).all()
    return [
        OrganisationSpread(i, n, k, int(m), int(a), int(o or 0), int(f))
        for i, n, k, m, a, o, f in rows
    ]


def regional_table(
    figures: RegionalFigures, region_name: str
) -> tuple[list[str], list[list[object]]]:
    """The regional figures as one table (header, rows) for the CSV and XLSX exports."""
    from flask_babel import gettext as _

    header = [
        _("Area"),
        _("CBS code"),
        _("Month"),
        _("Addresses with declared occupants"),
        _("Declared occupants"),
        _("Occupants with a stated BRP count"),
        _("Of whom registered in the BRP"),
        _("Open signals"),
        _("Signals closed"),
        _("Median days to close"),
        _("Filings"),
        _("Late filings"),
    ]
    areas: list[tuple[str, str, list[MonthFigures]]] = [
        (m.name, m.code, figures.per_municipality[m.id]) for m in figures.municipalities
    ]
    areas.append((region_name, "", figures.region))
    rows: list[list[object]] = []
    for name, code, series in areas:
        for f in series:
            rows.append(
                [
                    name,
                    code,
                    f.month.strftime("%Y-%m"),
                    f.addresses_occupied,
                    f.occupants,
                    f.occupants_brp_known,
                    f.occupants_brp_registered,
                    f.open_flags,
                    f.flags_closed,
                    f.median_days_to_close,
                    f.filings,
                    f.late_filings,
                ]
            )
    return header, rows


# ---- open data -------------------------------------------------------------------------------

# What the open statistics publish per municipality, and per postcode area within it.
OPEN_MEASURES = ("addresses_occupied", "occupants", "open_flags", "late_filings")
AREA_MEASURES = ("addresses_occupied", "occupants")


@dataclass(frozen=True)
class OpenStatistics:
    """Published rows: every count below 5 is "<5", counts hidden to protect one are "x"."""

    months: list[date]
    level: str
    rows: list[dict[str, object]]
    totals: list[dict[str, object]]


def published_months(today: date) -> list[date]:
    """The months of the last year whose figures are final and stored, oldest first.

    The nightly job recomputes the running month and the one before it (late filings still
    change that one); neither is published, so every published figure stays the same from the day
    it first appears and two publications can never be subtracted from each other."""
    running = first_of_month(today)
    final = [m for m in recent_months(today) if m < previous_month(running)]
    stored = set(
        db.session.execute(
            select(MonthlyStatistic.month).where(MonthlyStatistic.month.in_(final)).distinct()
        ).scalars()
    )
    return [m for m in final if m in stored]


def disclosure_rules() -> DisclosureRules:
    """The rules of the settings (``STATISTICS_MIN_ADDRESSES``)."""
    from flask import current_app

    return DisclosureRules(min_addresses=int(current_app.config["STATISTICS_MIN_ADDRESSES"]))


def open_statistics(
    months: Sequence[date], level: str = "municipality", rules: DisclosureRules | None = None
) -> OpenStatistics:
    """The open figures of ``months`` per municipality (every municipality, so a missing row
    never says "zero"), or per postcode area within a municipality, suppressed so that no count
    below 5, and no occupants of fewer than ``rules.min_addresses`` addresses, can be read or
    worked out from the totals (``portal.domain.statistics``; docs/statistics-disclosure.md)."""
    rules = rules or disclosure_rules()

    municipalities = list(
        db.session.execute(select(Municipality).order_by(Municipality.code)).scalars()
    )
    columns = select(
        MonthlyStatistic.month,
        MonthlyStatistic.municipality_id,
        MonthlyStatistic.postcode_area,
        *(getattr(MonthlyStatistic, m) for m in OPEN_MEASURES),
    ).where(MonthlyStatistic.month.in_(months))
    if level == "municipality":
        columns = columns.where(MonthlyStatistic.postcode_area == "")
    stored: Sequence[Any] = db.session.execute(columns).all() if months else []
    whole: dict[tuple[date, int], Any] = {}
    parts: dict[tuple[date, int], list[Any]] = defaultdict(list)
    for stat in stored:
        if stat.postcode_area:
            parts[(stat.month, stat.municipality_id)].append(stat)
        else:
            whole[(stat.month, stat.municipality_id)] = stat
    rows: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    for month in months:
        label = month.strftime("%Y-%m")
        cells: dict[str, Any] = {}
        total: dict[str, object] = {"month": label}
        values = {
            measure: [
                int(getattr(whole[(month, m.id)], measure)) if (month, m.id) in whole else 0
                for m in municipalities
            ]
            for measure in OPEN_MEASURES
        }
        protected = protect_units(values, None, rules, listed_only=False)
        assert protected is not None  # a total of its own may be hidden, never withheld
        for measure in OPEN_MEASURES:
            cells[measure] = protected[measure].cells
            total[measure] = protected[measure].total.shown
        totals.append(total)
        for i, m in enumerate(municipalities):
            if level == "municipality":
                row: dict[str, object] = {
                    "month": label,
                    "municipality_code": m.code,
                    "municipality": m.name,
                }
                row.update({measure: cells[measure][i].shown for measure in OPEN_MEASURES})
                rows.append(row)
                continue
            areas = sorted(parts.get((month, m.id), []), key=lambda r: r.postcode_area)
            if not areas:
                continue
            parents = {measure: cells[measure][i] for measure in AREA_MEASURES}
            if any(parent.hidden for parent in parents.values()):
                continue  # too small to break down: the municipality row is all there is
            breakdown = protect_units(
                {measure: [int(getattr(a, measure)) for a in areas] for measure in AREA_MEASURES},
                {measure: parent.value for measure, parent in parents.items()},
                rules,
                listed_only=True,
            )
            if breakdown is None:
                continue  # it cannot be broken down safely: the municipality row is all there is
            for j, area in enumerate(areas):
                part: dict[str, object] = {
                    "month": label,
                    "municipality_code": m.code,
                    "municipality": m.name,
                    "postcode_area": area.postcode_area,
                }
                part.update({m: breakdown[m].cells[j].shown for m in AREA_MEASURES})
                rows.append(part)
    return OpenStatistics(list(months), level, rows, totals)


def protect_units(
    values: dict[str, list[int]],
    totals: dict[str, int] | None,
    rules: DisclosureRules,
    *,
    listed_only: bool,
) -> dict[str, Protected] | None:
    """Protect the published measures of a list of units (municipalities, or the postcode areas
    of one): addresses and occupants linked (``protect_together``), every other measure on its
    own. ``totals`` None: the units' own sums, published beside them (hidden when they must
    be); else totals published elsewhere, and None when the units cannot be shown without
    giving one away. ``listed_only``: the list holds only units with occupancy."""
    from portal.domain.statistics import protect, protect_together

    addresses, occupants = values["addresses_occupied"], values["occupants"]
    positive = rules.listed_floor if listed_only else 0
    # What an outsider knows a unit has at least: 1 of each in a list of occupied units; 1
    # address where the occupants are 5 or more (shown, or "x").
    address_floor = [max(positive, rules.listed_floor if o >= THRESHOLD else 0) for o in occupants]
    linked = {"addresses_occupied": addresses, "occupants": occupants}
    wanted = {m: (sum(v) if totals is None else totals[m]) for m, v in linked.items()}
    floors = {"addresses_occupied": address_floor, "occupants": [positive] * len(occupants)}
    sensitive = {
        "addresses_occupied": [False] * len(addresses),
        # Occupants of only a few occupied addresses could be one address's total.
        "occupants": [n > 0 and rules.few_addresses(n) for n in addresses],
    }
    if rules.together:
        result = protect_together(linked, wanted, floors=floors, sensitive=sensitive)
    else:
        result = {
            m: protect(linked[m], wanted[m], floors=floors[m], sensitive=sensitive[m])
            for m in linked
        }
    if totals is not None and any(p.total.suppressed for p in result.values()):
        return None
    for measure, numbers in values.items():
        if measure not in result:
            result[measure] = protect(numbers)
    return result


LEVELS = ("municipality", "postcode")


def open_request(month: str | None, level: str | None, today: date) -> tuple[list[date], str]:
    """Check the open-data query (month YYYY-MM among the published months, level); the months
    to publish: the one asked for, else every published month (postcode level: the latest)."""
    from portal.domain.errors import Problem
    from portal.services.errors import Refused

    problems: list[Problem] = []
    level = level or "municipality"
    if level not in LEVELS:
        problems.append(Problem("level", "statistics.level"))
    available = published_months(today)
    chosen = available
    if month:
        try:
            asked = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            problems.append(Problem("month", "statistics.month_format"))
        else:
            if asked not in available:
                problems.append(Problem("month", "statistics.month_unknown"))
            chosen = [asked]
    if problems:
        raise Refused(*problems)
    if level == "postcode" and not month:
        chosen = available[-1:]
    return chosen, level
