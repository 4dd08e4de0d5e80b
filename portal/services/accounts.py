"""Accounts (service layer): sign-up, email verification, login, password reset, invitations.

Every function adds and flushes in the caller's transaction and writes its emails to the outbox;
none commits. Answers that could reveal whether an address has an account are neutral.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal import clock
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import (
    normalise_email,
    normalise_kvk,
    normalise_municipality_code,
    normalise_snf_number,
)
from portal.domain.inputs import display_name as normalise_display_name
from portal.extensions import db
from portal.models import Municipality, Organisation, User
from portal.models.user import MUNICIPAL_ROLES, ORG_ROLES, ROLES
from portal.notifications.outbox import enqueue_email
from portal.services import audit, limits
from portal.services.errors import Refused
from portal.services.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal.services.sessions import revoke_all_sessions
from portal.services.tokens import consume_token, issue_token

ORG_KINDS = ("employer", "staffing_agency", "housing_provider")


@dataclass(frozen=True)
class SignUp:
    organisation_name: str
    kvk_number: str
    kinds: tuple[str, ...]
    contact_email: str
    email: str
    password: str
    snf_number: str = ""
    locale: str = "nl"
    name: str = ""  # the person's display name (optional)


@dataclass
class SignUpResult:
    """``user`` is None when the email already had an account (the page says the same)."""

    user: User | None = None
    organisation: Organisation | None = None
    problems: list[Problem] = field(default_factory=list)


def checked_email(raw: str, field_name: str) -> str:
    """``raw`` normalised, or Refused at ``field_name``."""
    try:
        return normalise_email(raw)
    except InvalidValue as exc:
        raise Refused.one(field_name, exc.code) from exc


def checked_display_name(raw: str | None, field_name: str = "name") -> str | None:
    """``raw`` as a display name (None: none given), or Refused at ``field_name``."""
    try:
        return normalise_display_name(raw)
    except InvalidValue as exc:
        raise Refused.one(field_name, exc.code) from exc


def set_display_name(user: User, raw: str) -> bool:
    """Change one's own display name (empty: none, the email address is shown); whether it
    changed. Audited without the name itself."""
    name = checked_display_name(raw)
    if name == user.display_name:
        return False
    user.display_name = name
    audit.record("account.name", actor=user, object_type="user", object_id=user.id)
    return True


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == email.lower())
    ).scalar_one_or_none()


def _password(password: str, field_name: str, personal: tuple[str, ...]) -> str:
    problems = check_password_policy(password, personal)
    if problems:
        raise Refused(*(Problem(field_name, code) for code in problems))
    return hash_password(password)


def sign_up_organisation(data: SignUp) -> SignUpResult:
    """Register an organisation and its first user (organisation admin, email unverified)."""
    problems: list[Problem] = []
    name = " ".join(data.organisation_name.split())
    if not name:
        problems.append(Problem("organisation_name", "organisation_name.required"))
    elif len(name) > 200:
        problems.append(Problem("organisation_name", "organisation_name.too_long"))
    values: dict[str, str] = {}
    for field_name, fn, raw in (
        ("kvk_number", normalise_kvk, data.kvk_number),
        ("snf_number", normalise_snf_number, data.snf_number),
        ("contact_email", normalise_email, data.contact_email),
        ("email", normalise_email, data.email),
    ):
        try:
            values[field_name] = fn(raw)
        except InvalidValue as exc:
            problems.append(Problem(field_name, exc.code))
    kinds = tuple(k for k in data.kinds if k in ORG_KINDS)
    if not kinds:
        problems.append(Problem("kinds", "kinds.required"))
    person = None
    try:
        person = normalise_display_name(data.name)
    except InvalidValue as exc:
        problems.append(Problem("name", exc.code))
    local_part = values.get("email", "").partition("@")[0]
    problems += [
        Problem("password", code)
        for code in check_password_policy(data.password, (local_part, name))
    ]
    if (
        "kvk_number" in values
        and db.session.execute(
            select(Organisation.id).where(Organisation.kvk_number == values["kvk_number"])
        ).first()
    ):
        problems.append(Problem("kvk_number", "kvk.taken"))
    if problems:
        raise Refused(*problems)

    existing = find_user_by_email(values["email"])
    if existing is not None:
        # Neutral answer; the owner of the address hears about the attempt. The password is
        # hashed all the same, so the answer takes as long as a real sign-up's.
        hash_password(data.password)
        enqueue_email(existing.email, "account_exists", locale=existing.preferred_locale)
        audit.record("signup", actor_label=values["email"], result="duplicate_email")
        return SignUpResult()

    organisation = Organisation(
        kvk_number=values["kvk_number"],
        name=name,
        is_employer="employer" in kinds,
        is_staffing_agency="staffing_agency" in kinds,
        is_housing_provider="housing_provider" in kinds,
        snf_number=values["snf_number"],
        contact_email=values["contact_email"],
    )
    db.session.add(organisation)
    db.session.flush()
    user = User(
        email=values["email"],
        display_name=person,
        password_hash=hash_password(data.password),
        role="org_admin",
        organisation_id=organisation.id,
        preferred_locale=data.locale,
    )
    db.session.add(user)
    db.session.flush()
    send_verification(user, organisation)
    audit.record("signup", actor=user, object_type="organisation", object_id=organisation.id)
    return SignUpResult(user=user, organisation=organisation)


def send_verification(user: User, organisation: Organisation) -> None:
    """Email ``user`` a link that confirms their address (through the outbox)."""
    token = issue_token(user, "verify_email")
    enqueue_email(
        user.email,
        "verify_email",
        locale=user.preferred_locale,
        token=token,
        user=user,
        organisation=organisation,
    )


def verify_email(raw_token: str) -> User:
    """Confirm a user's address from the emailed link."""
    user = consume_token(raw_token, "verify_email")
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
    audit.record("verify_email", actor=user, object_type="user", object_id=user.id)
    return user


def resend_verification(raw_email: str) -> None:
    """Send a new verification link when the address has an unverified account (neutral)."""
    try:
        email = normalise_email(raw_email)
    except InvalidValue as exc:
        raise Refused.one("email", exc.code) from exc
    user = find_user_by_email(email)
    if user is None or user.email_verified_at is not None or not user.is_active:
        return
    token = issue_token(user, "verify_email")
    enqueue_email(
        user.email,
        "verify_email",
        locale=user.preferred_locale,
        token=token,
        user=user,
        organisation=user.organisation,
    )


def authenticate(raw_email: str, password: str) -> User:
    """The user for these credentials, or Refused with a neutral reason."""
    try:
        email = normalise_email(raw_email)
        label = email
    except InvalidValue:
        email = (raw_email or "").strip().lower()[:254]
        # What was typed is not an email address; it may be a password typed in the wrong
        # field, so the audit trail does not keep it (docs/security.md T15: no secrets logged).
        label = "invalid-email"
    limits.check_login_allowed(email)  # lockout and per-address limit (T10), before the password
    user = find_user_by_email(email) if email else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        audit.record(
            "login",
            actor=user if user else None,
            actor_label=label,
            result="failed",
            object_type="user",
            object_id=user.id if user else "unknown",
        )
        limits.login_failed(email, user, label)
        raise Refused.one("email", "login.failed")
    limits.login_succeeded(email)
    if user.email_verified_at is None:
        audit.record(
            "login", actor=user, result="unverified", object_type="user", object_id=user.id
        )
        raise Refused.one("email", "login.unverified")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    audit.record("login", actor=user, object_type="user", object_id=user.id)
    return user


def request_password_reset(raw_email: str) -> None:
    """Email a reset link when the address belongs to an active account (neutral either way)."""
    try:
        email = normalise_email(raw_email)
    except InvalidValue as exc:
        raise Refused.one("email", exc.code) from exc
    user = find_user_by_email(email)
    allowed = limits.password_reset_allowed(email)  # beyond the limits: nothing sent, same answer
    audit.record(
        "password_reset_requested",
        actor=user,
        actor_label=email,
        object_type="user",
        object_id=user.id if user else "unknown",
        result=("ok" if user else "unknown") if allowed else "rate_limited",
    )
    if user is None or not user.is_active or not allowed:
        return
    token = issue_token(user, "reset_password")
    enqueue_email(
        user.email, "reset_password", locale=user.preferred_locale, token=token, user=user
    )


def reset_password(raw_token: str, password: str) -> User:
    """Set a new password from a reset link; every other session of the user ends."""
    from portal.services.tokens import peek_token

    user = peek_token(raw_token, "reset_password").user
    new_hash = _password(password, "password", (user.email.partition("@")[0],))
    consume_token(raw_token, "reset_password")
    user.password_hash = new_hash
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()  # the link proved the address
    revoke_all_sessions(user)
    audit.record("password_reset", actor=user, object_type="user", object_id=user.id)
    return user


def notify_existing_account(existing: User, inviter: User, role: str) -> None:
    """An invitation to an address that already has an account: nothing is created and the
    inviter is told what any invitation tells (no account enumeration); the owner of the address
    gets a notice by email instead. The inviter's audit event names no account."""
    enqueue_email(
        existing.email,
        "invite_existing",
        locale=existing.preferred_locale,
        organisation=inviter.organisation,
        municipality=inviter.municipality,
        role=role,
    )
    audit.record("invite", actor=inviter, object_type="user", detail=role)


def invite_colleague(admin: User, raw_email: str, role: str, name: str = "") -> str:
    """An organisation admin invites a colleague (``name``: their display name, optional); the
    invitee sets a password from the link. Returns the (normalised) address; one that already
    has an account gets only a notice (and keeps its own name)."""
    if admin.role != "org_admin" or admin.organisation_id is None:
        raise Refused.one("role", "invite.not_allowed")
    if role not in ORG_ROLES:
        raise Refused.one("role", "role.unknown")
    email = checked_email(raw_email, "email")
    person = checked_display_name(name)
    existing = find_user_by_email(email)
    if existing is not None:
        notify_existing_account(existing, admin, role)
        return email
    user = User(
        email=email,
        display_name=person,
        role=role,
        organisation_id=admin.organisation_id,
        preferred_locale=admin.preferred_locale,
    )
    db.session.add(user)
    db.session.flush()
    token = issue_token(user, "invite")
    enqueue_email(
        email,
        "invite",
        locale=user.preferred_locale,
        token=token,
        inviter=admin,
        organisation=admin.organisation,
        role=role,
    )
    audit.record("invite", actor=admin, object_type="user", object_id=user.id, detail=role)
    return email


def accept_invite(raw_token: str, password: str) -> User:
    """The invitee chooses a password; the address is verified by the link."""
    from portal.services.tokens import peek_token

    user = peek_token(raw_token, "invite").user
    new_hash = _password(password, "password", (user.email.partition("@")[0],))
    consume_token(raw_token, "invite")
    user.password_hash = new_hash
    user.email_verified_at = user.email_verified_at or clock.now()
    audit.record("accept_invite", actor=user, object_type="user", object_id=user.id)
    return user


def active_admin_count(organisation_id: int) -> int:
    return int(
        db.session.execute(
            select(func.count(User.id)).where(
                User.organisation_id == organisation_id,
                User.role == "org_admin",
                User.active.is_(True),
                User.removed_at.is_(None),
            )
        ).scalar_one()
    )


def remove_colleague(admin: User, target: User) -> None:
    """Remove a colleague (kept for the history, no longer able to log in).

    ``target`` must come from the scoping helper, so it is of the admin's organisation.
    The last admin of an organisation cannot remove themself.
    """
    if admin.role != "org_admin" or target.organisation_id != admin.organisation_id:
        raise Refused.one("user", "remove.not_allowed")
    if target.removed_at is not None:
        raise Refused.one("user", "remove.already_removed")
    if target.role == "org_admin" and active_admin_count(admin.organisation_id) <= 1:
        raise Refused.one("user", "remove.last_admin")
    target.active = False
    target.removed_at = clock.now()
    revoke_all_sessions(target)
    audit.record("remove_user", actor=admin, object_type="user", object_id=target.id)


def create_user(
    *,
    email: str,
    role: str,
    organisation_kvk: str | None = None,
    municipality_code: str | None = None,
    password: str | None = None,
    locale: str = "nl",
    inviter: User | None = None,
    display_name: str | None = None,
) -> tuple[User, str | None]:
    """Create any user (command line, or a municipal admin inviting a colleague when ``inviter``
    is given). Without a password an invitation link is mailed.

    Returns the user and, when invited, the raw invitation token (so the operator can pass it on).
    """
    if role not in ROLES:
        raise Refused.one("role", "role.unknown")
    normalised = checked_email(email, "email")
    if find_user_by_email(normalised) is not None:
        raise Refused.one("email", "invite.email_taken")
    user = User(
        email=normalised,
        role=role,
        preferred_locale=locale,
        display_name=checked_display_name(display_name),
    )
    if role in ORG_ROLES:
        if not organisation_kvk:
            raise Refused.one("organisation", "organisation.required")
        try:
            kvk = normalise_kvk(organisation_kvk)
        except InvalidValue as exc:
            raise Refused.one("organisation", exc.code) from exc
        org = db.session.execute(
            select(Organisation).where(Organisation.kvk_number == kvk)
        ).scalar_one_or_none()
        if org is None:
            raise Refused.one("organisation", "organisation.unknown")
        user.organisation_id = org.id
    elif role in MUNICIPAL_ROLES:
        if not municipality_code:
            raise Refused.one("municipality", "municipality.required")
        try:
            code = normalise_municipality_code(municipality_code)
        except InvalidValue as exc:
            raise Refused.one("municipality", exc.code) from exc
        mun = db.session.execute(
            select(Municipality).where(Municipality.code == code)
        ).scalar_one_or_none()
        if mun is None:
            raise Refused.one("municipality", "municipality.unknown")
        user.municipality_id = mun.id
    elif organisation_kvk or municipality_code:
        raise Refused.one("role", "role.no_tenant")
    token: str | None = None
    if password is not None:
        user.password_hash = _password(password, "password", (normalised.partition("@")[0],))
        user.email_verified_at = clock.now()
    db.session.add(user)
    db.session.flush()
    if password is None:
        token = issue_token(user, "invite")
        enqueue_email(
            normalised,
            "invite",
            locale=locale,
            token=token,
            inviter=inviter,
            organisation=user.organisation,
            role=role,
        )
    audit.record(
        "create_user",
        actor=inviter,
        actor_label="" if inviter is not None else "cli",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        municipality_id=user.municipality_id,
        detail=role,
    )
    return user, token
