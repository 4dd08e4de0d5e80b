"""What a municipal admin does: set the occupancy policy from a date, invite and deactivate the
municipality's users (service layer).

Every read goes through the scoping helpers (``portal.services.queries``), so an admin only ever
sees and touches their own municipality. A new policy starts today or later and never rewrites an
earlier one (``portal.domain.policy.policy_problems``); every change is an audit event. Nothing
here commits; on ``Refused`` the caller rolls back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy import exc as sa_exc

from portal import clock
from portal.domain.identifiers import normalise_email
from portal.domain.policy import (
    ALERT_EMAILS_SEPARATOR,
    OccupancyPolicy,
    PolicyDraft,
    alert_address_list,
    policy_problems,
)
from portal.extensions import db
from portal.models import MunicipalPolicy, OutboxMessage, User
from portal.models.user import MUNICIPAL_ROLES
from portal.services import accounts, audit
from portal.services.errors import Refused
from portal.services.municipalities import default_policy, policy_for
from portal.services.queries import Scope, restrict, scope_of, scoped
from portal.services.sessions import revoke_all_sessions

PolicyStatus = Literal["planned", "in_force", "earlier"]
# The figures of a policy row, in the order pages show them.
FIGURES = (
    "m2_per_person_dwelling",
    "m2_per_person_lodging",
    "no_permit_max_occupants",
    "near_limit_percent",
    "late_after_days",
)


@dataclass(frozen=True)
class PolicyRow:
    """One stored policy with whoever set it and where it stands today."""

    policy: MunicipalPolicy
    set_by: User | None  # the user who set it; None when not recorded (demo data, import)
    status: PolicyStatus

    @property
    def alert_addresses(self) -> list[str]:
        return alert_address_list(self.policy.alert_emails)


@dataclass(frozen=True)
class PolicyOverview:
    """The policy in force today (as the rules see it), the national defaults and the history."""

    today: date
    in_force: OccupancyPolicy
    in_force_row: PolicyRow | None  # None: the national defaults apply
    defaults: OccupancyPolicy
    history: list[PolicyRow]  # newest effective date first

    @property
    def planned(self) -> list[PolicyRow]:
        return [row for row in self.history if row.status == "planned"]


def _require_admin(admin: User) -> Scope:
    scope = scope_of(admin)
    if admin.role != "municipal_admin" or scope.kind != "municipality":
        raise Refused.one("", "municipal_admin.only")
    return scope


def _rows(scope: Scope) -> list[MunicipalPolicy]:
    stmt = scoped(MunicipalPolicy, scope).order_by(MunicipalPolicy.effective_from.desc())
    return list(db.session.execute(stmt).scalars())


def policy_overview(scope: Scope) -> PolicyOverview:
    """The municipality's policy today and every policy it has set, with who set each."""
    today = clock.today()
    rows = _rows(scope)
    setters = {
        user.id: user
        for user in db.session.execute(
            # Setters are municipal admins of this municipality (or a system admin, who is not
            # in this scope: shown as not recorded rather than revealed).
            scoped(User, scope).where(User.id.in_({r.created_by_id for r in rows} - {None}))
        ).scalars()
    }
    in_force = policy_for(scope.tenant_id or 0, today)
    history: list[PolicyRow] = []
    for row in rows:
        status: PolicyStatus = (
            "planned"
            if row.effective_from > today
            else "in_force"
            if row.effective_from == in_force.effective_from
            else "earlier"
        )
        history.append(PolicyRow(row, setters.get(row.created_by_id or 0), status))
    current = next((r for r in history if r.status == "in_force"), None)
    return PolicyOverview(today, in_force, current, default_policy(), history)


def policy_form_data(overview: PolicyOverview, change: str | None = None) -> dict[str, object]:
    """What the policy form starts with: the planned policy of date ``change`` (ISO) when there
    is one (to replace it), else the figures in force today with no date (the admin chooses)."""
    row = next(
        (r for r in overview.planned if r.policy.effective_from.isoformat() == (change or "")),
        None,
    )
    if row is not None:
        source: object = row.policy
        data: dict[str, object] = {"effective_from": row.policy.effective_from, "replace": True}
    else:
        source = overview.in_force
        data = {"effective_from": None, "replace": False}
        row = overview.in_force_row
    data.update({name: getattr(source, name) for name in FIGURES})
    data["alert_emails"] = "\n".join(row.alert_addresses) if row else ""
    data["support_desk_email"] = row.policy.support_desk_email if row else ""
    return data


def _snapshot(row: MunicipalPolicy) -> dict[str, object]:
    values: dict[str, object] = {"effective_from": row.effective_from.isoformat()}
    values.update({name: getattr(row, name) for name in FIGURES})
    values["alert_emails"] = row.alert_emails
    values["support_desk_email"] = row.support_desk_email
    return values


def set_policy(admin: User, draft: PolicyDraft, *, replace: bool = False) -> MunicipalPolicy:
    """Store a new policy from ``draft.effective_from`` (today or later) for the admin's
    municipality; with ``replace`` a policy planned for that same future date is overwritten.

    Refused (nothing stored) with a reason per field when the draft breaks a rule.
    """
    scope = _require_admin(admin)
    rows = {row.effective_from: row for row in _rows(scope)}
    today = clock.today()
    problems = policy_problems(draft, today=today, existing=rows.keys(), replace=replace)
    if problems:
        raise Refused(*problems)
    assert draft.effective_from is not None  # policy_problems refuses a missing date

    row = rows.get(draft.effective_from)
    previous = _snapshot(row) if row is not None else None
    if row is None:
        row = MunicipalPolicy(municipality_id=scope.tenant_id, effective_from=draft.effective_from)
        db.session.add(row)
    for name in FIGURES:
        setattr(row, name, getattr(draft, name))
    row.alert_emails = ALERT_EMAILS_SEPARATOR.join(alert_address_list(draft.alert_emails))
    row.support_desk_email = (
        normalise_email(draft.support_desk_email) if draft.support_desk_email.strip() else ""
    )
    row.created_by_id = admin.id
    row.created_at = clock.now()
    try:
        db.session.flush()
    except sa_exc.IntegrityError as exc:
        # Another admin stored a policy for the same date a moment ago.
        code = "in_force" if draft.effective_from == today else "planned"
        raise Refused.one("effective_from", f"policy.effective_from.{code}") from exc
    detail: dict[str, object] = {"policy": _snapshot(row)}
    if previous is not None:
        detail["replaces"] = previous
    audit.record(
        "policy.set",
        actor=admin,
        object_type="municipal_policy",
        object_id=row.id,
        municipality_id=scope.tenant_id,
        result="replaced" if previous is not None else "ok",
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False),
    )
    return row


# --- users ----------------------------------------------------------------------------------------


def municipal_users(scope: Scope) -> list[User]:
    """The municipality's inspectors and municipal admins, active ones first."""
    stmt = scoped(User, scope).order_by(User.active.desc(), User.role.desc(), User.email)
    return list(db.session.execute(stmt).scalars())


def failed_mail_query(scope: Scope) -> Select[tuple[OutboxMessage]]:
    """Mail to the municipality's own users (inspectors and admins) that failed after the last
    attempt, newest first. The outbox has no tenant: a user's address is what binds a message to
    the municipality (addresses are unique per account). The policy's alert and support-desk
    addresses are left out, since another municipality may list the same address."""
    emails = scoped(User, scope).with_only_columns(func.lower(User.email))
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed", func.lower(OutboxMessage.recipient).in_(emails))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )


def invite_user(admin: User, raw_email: str, role: str, name: str = "") -> str:
    """Create an inspector or municipal admin of the admin's municipality (``name``: their
    display name, optional); the invitee gets an email with a link to choose a password (through
    the outbox). Returns the (normalised) address; one that already has an account anywhere gets
    only a notice, and the admin is told the same as for any invitation
    (``accounts.notify_existing_account``)."""
    _require_admin(admin)
    if role not in MUNICIPAL_ROLES:
        raise Refused.one("role", "role.unknown")
    municipality = admin.municipality
    assert municipality is not None  # a municipal admin always has one (users check constraint)
    email = accounts.checked_email(raw_email, "email")
    person = accounts.checked_display_name(name)
    existing = accounts.find_user_by_email(email)
    if existing is not None:
        accounts.notify_existing_account(existing, admin, role)
        return email
    accounts.create_user(
        email=email,
        role=role,
        municipality_code=municipality.code,
        locale=admin.preferred_locale,
        inviter=admin,
        display_name=person,
    )
    return email


def deactivate_user(admin: User, target: User) -> None:
    """Deactivate a user of the admin's municipality and end all their sessions at once.

    ``target`` comes from the scoping helper; it is checked through it again here. The last
    municipal admin who can log in cannot be deactivated (the municipality would be locked out).
    """
    scope = _require_admin(admin)
    visible = db.session.execute(
        restrict(select(User.id).where(User.id == target.id), User, scope)
    ).first()
    if visible is None or target.role not in MUNICIPAL_ROLES:
        raise Refused.one("user", "deactivate.not_allowed")
    if not target.is_active:
        raise Refused.one("user", "deactivate.already")
    if target.role == "municipal_admin":
        # Lock the admins' rows (PostgreSQL) so two admins deactivating each other at the same
        # moment cannot both succeed and leave nobody.
        admins = db.session.execute(
            scoped(User, scope)
            .where(
                User.role == "municipal_admin",
                User.active.is_(True),
                User.removed_at.is_(None),
                User.password_hash.is_not(None),
            )
            .with_for_update()
        ).scalars()
        if not [user for user in admins if user.id != target.id]:
            raise Refused.one("user", "deactivate.last_admin")
    target.active = False
    revoke_all_sessions(target)
    audit.record(
        "user.deactivate",
        actor=admin,
        object_type="user",
        object_id=target.id,
        municipality_id=scope.tenant_id,
        detail=target.role,
    )
