"""The inspector's work on flags (service layer): inbox, dossier, notes, assignment, status.

Every read goes through the scoping helpers (``portal.services.queries``), so an inspector only
ever sees and changes the flags of their own municipality; a foreign flag answers 404. Every
change writes a ``FlagEvent`` (the flag's history) and an audit event, and locks the address row
first — the same lock a filing takes — so a transition never races a filing that updates the
same flag. Nothing here commits.

Status rule (``portal.domain.flags``): ``open → in_progress → resolved | dismissed``; closing
needs an inspection outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import contains_eager, selectinload

from portal import clock
from portal.domain.declarations import Filing, effective_periods
from portal.domain.errors import InvalidValue
from portal.domain.flags import CLOSED_STATUSES as CLOSED_STATUSES
from portal.domain.flags import CLOSING_OUTCOMES as CLOSING_OUTCOMES
from portal.domain.flags import OPEN_STATUSES, from_legacy, transition_problem
from portal.domain.flags import TARGET_STATUSES as TARGET_STATUSES
from portal.domain.inputs import clean_text
from portal.domain.occupancy import SEVERITY, Evaluation, limit_on, total_on
from portal.domain.policy import policy_in_force
from portal.extensions import db
from portal.models import Address, Declaration, Flag, FlagEvent, Permit, User
from portal.models.user import MUNICIPAL_ROLES
from portal.services import audit
from portal.services.declarations import lock_address
from portal.services.errors import Refused
from portal.services.flags import evaluate_address
from portal.services.municipalities import default_policy, policies_by_municipality
from portal.services.occupancy import occupancy_inputs
from portal.services.queries import Scope, get_scoped_or_404, scope_of, scoped
from portal.services.sorting import Sort, SortOptions, ordered

# --- the rules of the work -----------------------------------------------------------------------

# The rules of state (which status may follow which, what closing needs) live in the domain
# (portal.domain.flags); the names stay importable from here for the forms and the API.
ALERT_MODES = ("immediate", "digest", "none")
NOTE_MAX_LENGTH = 4000

# Inbox filters; the first value of each is the default.
STATUS_FILTERS = ("current", "open", "in_progress", "closed", "all")
ASSIGNEE_FILTERS = ("anyone", "me", "nobody")
SORTS = ("severity", "age", "postcode")
# The inbox's sortable columns: the most severe first, the oldest first, postcode areas 1 to 9.
INBOX_SORTS = SortOptions({"severity": True, "age": False, "postcode": False}, default="severity")
# The findings that open a flag (high severity, docs/rules.md §1.5).
FLAG_REASONS = tuple(code for code, severity in SEVERITY.items() if severity == "high")


# Events the portal writes by itself (services.flags.sync_flag): their actor is the user whose
# filing caused them, or nobody (the daily re-evaluation).
AUTOMATIC_EVENTS = ("opened", "updated", "escalated", "reopened", "resolved")


def event_detail(detail: str) -> tuple[list[str], dict[str, str]]:
    """An automatic event's detail, ``"code,code;key=value;…"``, as (finding codes, notes)."""
    head, *rest = (detail or "").split(";")
    codes = [c for c in head.split(",") if c]
    notes = dict(part.split("=", 1) for part in rest if "=" in part)
    return codes, notes


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows; unknown values fall back to the defaults."""

    status: str = "current"
    reason: str = ""
    assignee: str = "anyone"
    sort: str = "severity"
    direction: str = ""  # "asc" or "desc"; empty: the column's first direction

    @property
    def sorting(self) -> Sort:
        return INBOX_SORTS.parse(self.sort, self.direction)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilter:
        def pick(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else default

        # An old bookmark's ?status=in_behandeling still shows the flags in progress.
        status = from_legacy((args.get("status") or "").strip())
        sorting = INBOX_SORTS.parse(args.get("sort"), args.get("dir"))
        return cls(
            status=status if status in STATUS_FILTERS else "current",
            reason=pick("reason", FLAG_REASONS, ""),
            assignee=pick("assignee", ASSIGNEE_FILTERS, "anyone"),
            sort=sorting.column,
            # Kept only when it is not the column's first direction (so defaults compare equal).
            direction="" if sorting == INBOX_SORTS.first(sorting.column) else sorting.direction,
        )


# --- reading -------------------------------------------------------------------------------------


def get_flag(flag_id: int, scope: Scope) -> Flag:
    """The flag, or 404 when it does not exist or belongs to another municipality."""
    return get_scoped_or_404(Flag, flag_id, scope)


def _status_values(status: str) -> tuple[str, ...] | None:
    return {
        "current": OPEN_STATUSES,
        "open": ("open",),
        "in_progress": ("in_progress",),
        "closed": CLOSED_STATUSES,
    }.get(status)


def _has_reason(code: str) -> ColumnElement[bool]:
    # reasons is "a,b,c": match the code between commas; "_" is a LIKE wildcard, so escape it.
    pattern = "%," + code.replace("_", "\\_") + ",%"
    return (literal(",") + Flag.reasons + literal(",")).like(pattern, escape="\\")


def inbox_query(scope: Scope, user: User, filters: InboxFilter) -> Select[tuple[Flag]]:
    """The municipality's flags, filtered and sorted as ``filters`` says."""
    stmt = (
        scoped(Flag, scope)
        .join(Address, Address.id == Flag.address_id)
        .options(contains_eager(Flag.address))
    )
    statuses = _status_values(filters.status)
    if statuses is not None:
        stmt = stmt.where(Flag.status.in_(statuses))
    if filters.reason:
        stmt = stmt.where(_has_reason(filters.reason))
    if filters.assignee == "me":
        stmt = stmt.where(Flag.assignee_user_id == user.id)
    elif filters.assignee == "nobody":
        stmt = stmt.where(Flag.assignee_user_id.is_(None))
    # Ties: the most severe first, then the oldest.
    then = (Flag.over_by.desc(), Flag.over_ratio.desc(), Flag.opened_at, Flag.id)
    return ordered(
        stmt,
        filters.sorting,
        {
            "severity": (Flag.over_by, Flag.over_ratio),
            "age": (Flag.opened_at,),
            "postcode": (func.substr(Address.postcode, 1, 4),),
        },
        then,
    )


@dataclass(frozen=True)
class CurrentFigures:
    """Today's total and limit at a flag's address: what the rules say now, not at opening."""

    occupants: int
    limit: int | None

    @property
    def over_by(self) -> int:
        return max(0, self.occupants - self.limit) if self.limit is not None else 0


def current_figures(flags: Iterable[Flag]) -> dict[int, CurrentFigures]:
    """Today's figures per flag id, for a page of flags in a fixed number of statements (the
    three of ``occupancy_inputs`` and one for the policies), whatever the number of flags."""
    today = clock.today()
    flags = list(flags)
    ids = sorted({f.address_id for f in flags})
    if not ids:
        return {}
    inputs = occupancy_inputs(ids, today)
    policies = policies_by_municipality(i.municipality_id for i in inputs.values())
    default = default_policy()
    by_address: dict[int, CurrentFigures] = {}
    for address_id, given in inputs.items():
        policy = policy_in_force(policies.get(given.municipality_id, []), today, default)
        by_address[address_id] = CurrentFigures(
            occupants=total_on(today, given.spans),
            limit=limit_on(today, given.facts, given.permits, policy).value,
        )
    return {f.id: by_address[f.address_id] for f in flags if f.address_id in by_address}


@dataclass(frozen=True)
class InboxCounts:
    open: int
    in_progress: int
    mine: int


def inbox_counts(scope: Scope, user: User) -> InboxCounts:
    """How many flags are open, in progress, and (of those) assigned to ``user``."""
    by_status = dict(
        db.session.execute(
            scoped(Flag, scope)
            .where(Flag.status.in_(OPEN_STATUSES))
            .with_only_columns(Flag.status, func.count())
            .group_by(Flag.status)
        ).all()
    )
    mine = db.session.execute(
        scoped(Flag, scope)
        .where(Flag.status.in_(OPEN_STATUSES), Flag.assignee_user_id == user.id)
        .with_only_columns(func.count())
    ).scalar_one()
    return InboxCounts(
        int(by_status.get("open", 0)), int(by_status.get("in_progress", 0)), int(mine)
    )


def users_by_id(scope: Scope, ids: Iterable[int | None]) -> dict[int, User]:
    """The visible users among ``ids`` (for assignee and actor names)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(scoped(User, scope).where(User.id.in_(wanted))).scalars()
    return {u.id: u for u in rows}


def assignable_users(scope: Scope) -> list[User]:
    """The inspectors and municipal admins of the municipality who can log in."""
    stmt = scoped(User, scope).where(
        User.role.in_(MUNICIPAL_ROLES), User.active.is_(True), User.removed_at.is_(None)
    )
    by_name = func.coalesce(User.display_name, User.email)
    return list(db.session.execute(stmt.order_by(by_name, User.email)).scalars())


def flags_of_address(address: Address, scope: Scope) -> list[Flag]:
    """The flags of an address, the open one first, then the closed ones newest first."""
    stmt = scoped(Flag, scope).where(Flag.address_id == address.id)
    flags = list(db.session.execute(stmt.order_by(Flag.opened_at.desc(), Flag.id.desc())).scalars())
    return sorted(flags, key=lambda f: f.status not in OPEN_STATUSES)


# --- the export ----------------------------------------------------------------------------------


def export_inbox(
    scope: Scope, user: User, filters: InboxFilter
) -> tuple[list[Flag], dict[int, User]]:
    """The flags of the inbox export (same filters and order) and their assignees, with an audit
    event; the view writes them as CSV (``portal.presentation.exports.flag_rows``)."""
    flags = list(db.session.execute(inbox_query(scope, user, filters)).scalars())
    users = users_by_id(scope, (f.assignee_user_id for f in flags))
    audit.record(
        "flag.export",
        actor=user,
        object_type="municipality",
        object_id=scope.tenant_id,
        municipality_id=scope.tenant_id,
        detail=(
            f"rows={len(flags)} status={filters.status} reason={filters.reason or '-'} "
            f"assignee={filters.assignee} sort={filters.sort}"
        ),
    )
    return flags, users


# --- the dossier ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationInForce:
    """A filing in force today or later: its organisation, its count, its effective period."""

    declaration: Declaration
    start: date
    end: date | None  # inclusive; None = open-ended; cut short by an amendment that follows
    state: str  # "active" or "future"


@dataclass(frozen=True)
class PermitRow:
    permit: Permit
    state: str  # "valid", "future", "expired" or "revoked"


@dataclass
class Dossier:
    flag: Flag
    address: Address
    evaluation: Evaluation
    declarations: list[DeclarationInForce]
    total_today: int
    permits: list[PermitRow]
    events: list[FlagEvent]
    users: dict[int, User] = field(default_factory=dict)
    assignable: list[User] = field(default_factory=list)

    @property
    def notes(self) -> list[FlagEvent]:
        return [e for e in self.events if e.kind == "note"]

    @property
    def assignee(self) -> User | None:
        return self.users.get(self.flag.assignee_user_id or 0)


def declarations_in_force(address: Address, scope: Scope, today: date) -> list[DeclarationInForce]:
    """Every filing at the address, of any organisation, that is in force today or later.

    A filing is in force until its successor takes over (the successor's start − 1), as in
    ``portal.domain.declarations.effective_periods``; so a chain shows its current filing, and
    also its next one when an amendment starts later.
    """
    filings = list(
        db.session.execute(
            scoped(Declaration, scope)
            .where(Declaration.address_id == address.id)
            .options(selectinload(Declaration.organisation))
        ).scalars()
    )
    periods = effective_periods(
        [
            Filing(f.id, f.organisation_id, f.occupants, f.start_date, f.end_date, f.supersedes_id)
            for f in filings
        ]
    )
    rows: list[DeclarationInForce] = []
    for filing in filings:
        if filing.id not in periods:
            continue
        start, end = periods[filing.id]
        if end is not None and end < today:
            continue
        state = "future" if start > today else "active"
        rows.append(DeclarationInForce(filing, start, end, state))
    rows.sort(key=lambda r: (r.start, r.declaration.organisation.name, r.declaration.id))
    return rows


def permit_rows(address: Address, scope: Scope, today: date) -> list[PermitRow]:
    """The permits of the address, newest first, each with whether it is valid today."""
    permits = db.session.execute(
        scoped(Permit, scope)
        .where(Permit.address_id == address.id)
        .order_by(Permit.valid_from.desc(), Permit.id.desc())
    ).scalars()
    rows = []
    for p in permits:
        if p.status != "valid":
            state = "revoked"
        elif p.valid_from > today:
            state = "future"
        elif p.valid_until is not None and p.valid_until < today:
            state = "expired"
        else:
            state = "valid"
        rows.append(PermitRow(p, state))
    return rows


def dossier(flag: Flag, scope: Scope) -> Dossier:
    """Everything the inspector needs to judge the flag's address."""
    today = clock.today()
    address = flag.address
    evaluation = evaluate_address(address)
    declarations = declarations_in_force(address, scope, today)
    events = list(
        db.session.execute(
            select(FlagEvent)
            .where(FlagEvent.flag_id == flag.id)
            .order_by(FlagEvent.occurred_at.desc(), FlagEvent.id.desc())
        ).scalars()
    )
    assignable = assignable_users(scope)
    users = {u.id: u for u in assignable}
    users.update(users_by_id(scope, [flag.assignee_user_id, *(e.actor_user_id for e in events)]))
    return Dossier(
        flag=flag,
        address=address,
        evaluation=evaluation,
        declarations=declarations,
        total_today=sum(r.declaration.occupants for r in declarations if r.state == "active"),
        permits=permit_rows(address, scope, today),
        events=events,
        users=users,
        assignable=assignable,
    )


# --- changing a flag -----------------------------------------------------------------------------


def _locked_flag(user: User, flag_id: int) -> Flag:
    """The user's flag, 404 when foreign; its address row and the flag row locked, reloaded."""
    scope = scope_of(user)
    flag = get_flag(flag_id, scope)
    lock_address(flag.address_id)
    return db.session.execute(
        scoped(Flag, scope)
        .where(Flag.id == flag_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _event(flag: Flag, user: User, kind: str, **values: object) -> FlagEvent:
    event = FlagEvent(flag_id=flag.id, actor_user_id=user.id, kind=kind, **values)
    db.session.add(event)
    return event


def _audit(action: str, user: User, flag: Flag, detail: str = "") -> None:
    audit.record(
        action,
        actor=user,
        object_type="flag",
        object_id=flag.id,
        municipality_id=flag.municipality_id,
        detail=detail,
    )


def add_note(user: User, flag_id: int, text: str) -> FlagEvent:
    """Add a note to the flag's history (kept as typed, in NFC; shown escaped). A note with an
    invisible or direction-reversing character is refused (``inputs.clean_text``)."""
    try:
        text = clean_text(text).strip()
    except InvalidValue as exc:
        raise Refused.one("text", exc.code) from None
    if not text:
        raise Refused.one("text", "note.required")
    if len(text) > NOTE_MAX_LENGTH:
        raise Refused.one("text", "note.too_long")
    flag = _locked_flag(user, flag_id)
    event = _event(flag, user, "note", detail=text)
    flag.updated_at = clock.now()
    # The note itself stays out of the audit trail: it may hold details about people.
    _audit("flag.note", user, flag)
    db.session.flush()
    return event


def assign(user: User, flag_id: int, assignee_id: int | None) -> Flag:
    """Give the flag to an inspector of the same municipality, or to nobody (None)."""
    flag = _locked_flag(user, flag_id)
    if flag.status in CLOSED_STATUSES:
        raise Refused.one("assignee", "flag.closed")
    if assignee_id is not None:
        candidates = {u.id for u in assignable_users(scope_of(user))}
        if assignee_id not in candidates:
            raise Refused.one("assignee", "assignee.unknown")
    if flag.assignee_user_id == assignee_id:
        return flag
    previous = flag.assignee_user_id
    flag.assignee_user_id = assignee_id
    flag.updated_at = clock.now()
    _event(flag, user, "assigned", detail="" if assignee_id is None else str(assignee_id))
    _audit("flag.assign", user, flag, f"{previous or '-'}->{assignee_id or '-'}")
    db.session.flush()
    return flag


def change_status(user: User, flag_id: int, target: str, outcome: str | None = None) -> Flag:
    """Move the flag along ``open → in_progress → resolved | dismissed``."""
    flag = _locked_flag(user, flag_id)
    problem = transition_problem(flag.status, target, outcome)
    if problem is not None:
        raise Refused(problem)
    previous = flag.status
    now = clock.now()
    flag.status = target
    flag.updated_at = now
    detail = ""
    if target in CLOSED_STATUSES:
        flag.outcome = outcome
        flag.closed_at = now
        detail = outcome or ""
    _event(flag, user, "status", from_status=previous, to_status=target, detail=detail)
    _audit("flag.status", user, flag, f"{previous}->{target}" + (f" {detail}" if detail else ""))
    db.session.flush()
    return flag


# --- the inspector's own settings ----------------------------------------------------------------


def set_alert_mode(user: User, mode: str | None) -> None:
    """How the inspector gets alerts: each one at once, a daily digest, or no email."""
    if mode not in ALERT_MODES:
        raise Refused.one("alert_mode", "alert_mode.unknown")
    if user.alert_mode == mode:
        return
    previous = user.alert_mode
    user.alert_mode = mode
    audit.record(
        "user.alert_mode",
        actor=user,
        object_type="user",
        object_id=user.id,
        detail=f"{previous}->{mode}",
    )
    db.session.flush()
