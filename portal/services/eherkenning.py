"""eHerkenning login through OpenID Connect: the portal as relying party (service layer).

The broker is found by discovery (``EHERKENNING_DISCOVERY_URL``). Authlib runs the authorization
code flow with PKCE (S256), ``state`` and ``nonce`` kept in the signed session cookie, and checks
the ID token: its signature against the broker's published keys (fetched again when a token names
a key the portal has not seen: key rotation), ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``.
``domain.eherkenning`` then reads who the token proves and refuses a level below
``EHERKENNING_MIN_LOA``. A person is matched on (broker, pseudonym, KvK number), never on email.

Never commits: the views do (``views.transaction``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, session
from joserfc.errors import JoseError
from sqlalchemy import select

from portal import clock
from portal.domain import eherkenning as rules
from portal.domain.errors import InvalidValue, Problem
from portal.domain.identifiers import normalise_email
from portal.domain.inputs import display_name
from portal.extensions import db
from portal.models import ApiKey, AuditEvent, Organisation, User
from portal.models.user import ExternalIdentity
from portal.services import audit
from portal.services.accounts import ORG_KINDS, find_user_by_email, send_verification
from portal.services.errors import Refused
from portal.services.sessions import revoke_all_sessions

CLIENT = "eherkenning"
PENDING = "eherkenning_pending"
PENDING_FOR = timedelta(minutes=15)
CALLBACK_PATH = "/inloggen/eherkenning/terug"


def enabled(app: Flask | None = None) -> bool:
    cfg = (app or current_app).config
    return bool(cfg.get("EHERKENNING_DISCOVERY_URL") and cfg.get("EHERKENNING_CLIENT_ID"))


def init_app(app: Flask) -> None:
    """Register the broker as an OpenID Connect client of this app (when configured)."""
    if not enabled(app):
        return
    cfg = app.config
    rules.level(cfg["EHERKENNING_MIN_LOA"])  # a wrong setting stops the start, not a login
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=cfg["EHERKENNING_CLIENT_ID"],
        client_secret=cfg["EHERKENNING_CLIENT_SECRET"],
        server_metadata_url=cfg["EHERKENNING_DISCOVERY_URL"],
        client_kwargs={
            "scope": cfg["EHERKENNING_SCOPE"],
            "code_challenge_method": "S256",
            "default_timeout": float(cfg["EHERKENNING_TIMEOUT_SECONDS"]),
        },
    )
    app.extensions["eherkenning_oauth"] = oauth


def _client() -> Any:
    return current_app.extensions["eherkenning_oauth"].create_client(CLIENT)


def redirect_uri() -> str:
    """Where the broker sends the person back: from PUBLIC_BASE_URL, never from the request's
    Host header."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + CALLBACK_PATH


def start() -> Any:
    """The redirect to the broker (Authlib keeps state, nonce and the PKCE verifier)."""
    return _client().authorize_redirect(redirect_uri())


def claim_names() -> rules.ClaimNames:
    cfg = current_app.config
    return rules.ClaimNames(
        kvk=cfg["EHERKENNING_CLAIM_KVK"],
        acting_subject=cfg["EHERKENNING_CLAIM_ACTING_SUBJECT"],
        loa=cfg["EHERKENNING_CLAIM_LOA"],
        branch=cfg["EHERKENNING_CLAIM_BRANCH"],
        represented_kvk=cfg["EHERKENNING_CLAIM_REPRESENTED_KVK"],
        organisation_name=cfg["EHERKENNING_CLAIM_ORGANISATION_NAME"],
    )


def finish() -> rules.ProvenIdentity:
    """The identity the broker's answer proves, or ``Refused`` (field ``eherkenning``): the
    state does not match, the broker refused or could not be reached, the token is not valid,
    or the claims do not prove a company at the level asked."""
    client = _client()
    try:
        token = client.authorize_access_token()
    except OAuthError as exc:
        code = "eherkenning.state" if exc.error == "mismatching_state" else "eherkenning.refused"
        raise Refused.one("eherkenning", code) from exc
    except (JoseError, ValueError) as exc:  # signature, iss, aud, exp, iat, nonce
        raise Refused.one("eherkenning", "eherkenning.token_invalid") from exc
    except requests.RequestException as exc:
        raise Refused.one("eherkenning", "eherkenning.unreachable") from exc
    claims = token.get("userinfo")
    if not claims:
        raise Refused.one("eherkenning", "eherkenning.token_invalid")
    issuer = str(client.load_server_metadata().get("issuer", ""))
    try:
        return rules.identity(
            issuer, claims, claim_names(), rules.level(current_app.config["EHERKENNING_MIN_LOA"])
        )
    except InvalidValue as exc:
        audit.record(
            "eherkenning.refused",
            actor_label="eherkenning",
            result="refused",
            detail=f"{exc.code} {exc.value or ''}".strip(),
        )
        raise Refused.one("eherkenning", exc.code, str(exc.value or "")) from exc


def bound_user(proven: rules.ProvenIdentity) -> User | None:
    """The user this person logged in as before, for this company; their login is recorded."""
    row = db.session.execute(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == proven.issuer,
            ExternalIdentity.subject == proven.subject,
            ExternalIdentity.kvk_number == proven.kvk,
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if not row.user.is_active:
        # Removed or deactivated in the portal: a new registration would meet this binding.
        audit.record(
            "eherkenning.refused",
            actor=row.user,
            result="refused",
            detail="eherkenning.account_inactive",
        )
        raise Refused.one("eherkenning", "eherkenning.account_inactive")
    row.last_login_at = row.user.last_login_at = clock.now()
    row.loa = proven.loa
    audit.record("eherkenning.login", actor=row.user, result=proven.loa)
    return row.user


def organisation_of(proven: rules.ProvenIdentity) -> Organisation | None:
    """The organisation registered under the proven KvK number, if any (proven or only
    claimed: a claimed one is taken over at ``register``)."""
    return db.session.execute(
        select(Organisation).where(Organisation.kvk_number == proven.kvk)
    ).scalar_one_or_none()


def remember(proven: rules.ProvenIdentity) -> None:
    """Keep a proven identity in the signed session for the registration form (15 minutes)."""
    session[PENDING] = {**asdict(proven), "at": clock.now().isoformat()}


def pending() -> rules.ProvenIdentity | None:
    stored = session.get(PENDING)
    if not isinstance(stored, dict):
        return None
    data = dict(stored)  # a copy: the session's own dict must keep its time
    try:
        at = datetime.fromisoformat(str(data.pop("at")))
        proven = rules.ProvenIdentity(**data)
    except (KeyError, TypeError, ValueError):
        return None
    if clock.now() - at > PENDING_FOR:
        return None
    return proven


def forget() -> None:
    session.pop(PENDING, None)


def take_over(
    organisation: Organisation,
    proven: rules.ProvenIdentity,
    *,
    name: str,
    kinds: tuple[str, ...],
    contact: str,
) -> None:
    """A proven login for a KvK number that was only claimed (a password sign-up): the proven
    party takes the organisation over. Its users lose access (deactivated, sessions ended), its
    API keys stop, and what it filed stays, shown as filed while unverified (it was filed before
    ``verified_at``). The system administrator sees the case in the take-over list."""
    now = clock.now()
    users = (
        db.session.execute(
            select(User).where(User.organisation_id == organisation.id, User.active.is_(True))
        )
        .scalars()
        .all()
    )
    for user in users:
        user.active = False
        revoke_all_sessions(user)
    keys = (
        db.session.execute(
            select(ApiKey).where(
                ApiKey.organisation_id == organisation.id, ApiKey.revoked_at.is_(None)
            )
        )
        .scalars()
        .all()
    )
    for key in keys:
        key.revoked_at = now
    claimed_name = organisation.name
    organisation.name = name
    organisation.is_employer = "employer" in kinds
    organisation.is_staffing_agency = "staffing_agency" in kinds
    organisation.is_housing_provider = "housing_provider" in kinds
    organisation.contact_email = contact
    organisation.verified_at = now
    organisation.verified_loa = proven.loa
    audit.record(
        "eherkenning.takeover",
        actor_label="eherkenning",
        object_type="organisation",
        object_id=organisation.id,
        organisation_id=organisation.id,
        result="taken_over",
        detail=f"{len(users)} users, {len(keys)} keys stopped; claimed as {claimed_name!r}; "
        f"{proven.loa_label} {rules.masked(proven.subject)}",
    )


def takeovers(limit: int = 200) -> list[Takeover]:
    """The take-overs of claimed organisations, newest first (for the system administrator)."""
    rows = db.session.execute(
        select(AuditEvent, Organisation)
        .join(Organisation, Organisation.id == AuditEvent.organisation_id)
        .where(AuditEvent.action == "eherkenning.takeover")
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        Takeover(
            at=event.occurred_at,
            organisation=organisation,
            detail=event.detail or "",
        )
        for event, organisation in rows
    ]


@dataclass(frozen=True)
class Takeover:
    at: datetime
    organisation: Organisation
    detail: str


@dataclass(frozen=True)
class Registration:
    """What the person adds to a proven identity at the first login."""

    organisation_name: str
    kinds: tuple[str, ...]
    contact_email: str
    email: str
    locale: str = "nl"
    name: str = ""  # the person's display name (optional)


def register(proven: rules.ProvenIdentity, data: Registration) -> User:
    """The first proven login of a person: a new organisation under the proven KvK number (made
    verified, the person its administrator), or a colleague joining a verified one (as a
    declarant; the administrator decides roles). Refused on bad input or a taken email address."""
    organisation = organisation_of(proven)
    taking_over = organisation is not None and not organisation.verified
    asks_organisation = organisation is None or taking_over
    problems: list[Problem] = []
    values: dict[str, str] = {}
    fields = [("email", data.email)]
    if asks_organisation:
        fields.append(("contact_email", data.contact_email))
    for field_name, raw in fields:
        try:
            values[field_name] = normalise_email(raw)
        except InvalidValue as exc:
            problems.append(Problem(field_name, exc.code))
    if "email" in values and find_user_by_email(values["email"]) is not None:
        problems.append(Problem("email", "eherkenning.email_taken"))
    person = None
    try:
        person = display_name(data.name)
    except InvalidValue as exc:
        problems.append(Problem("name", exc.code))
    name = " ".join(data.organisation_name.split()) or proven.organisation_name
    kinds = tuple(k for k in data.kinds if k in ORG_KINDS)
    if asks_organisation:
        if not name:
            problems.append(Problem("organisation_name", "organisation_name.required"))
        elif len(name) > 200:
            problems.append(Problem("organisation_name", "organisation_name.too_long"))
        if not kinds:
            problems.append(Problem("kinds", "kinds.required"))
    if problems:
        raise Refused(*problems)
    now = clock.now()
    role = "declarant"
    if organisation is None:
        organisation = Organisation(
            kvk_number=proven.kvk,
            name=name,
            is_employer="employer" in kinds,
            is_staffing_agency="staffing_agency" in kinds,
            is_housing_provider="housing_provider" in kinds,
            contact_email=values["contact_email"],
            verified_at=now,
            verified_loa=proven.loa,
        )
        db.session.add(organisation)
        db.session.flush()
        role = "org_admin"
    elif taking_over:
        take_over(organisation, proven, name=name, kinds=kinds, contact=values["contact_email"])
        role = "org_admin"
    user = User(
        email=values["email"],
        display_name=person,
        role=role,
        organisation_id=organisation.id,
        preferred_locale=data.locale,
        last_login_at=now,
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(
        ExternalIdentity(
            issuer=proven.issuer,
            subject=proven.subject,
            user_id=user.id,
            kvk_number=proven.kvk,
            loa=proven.loa,
            last_login_at=now,
        )
    )
    send_verification(user, organisation)
    audit.record(
        "eherkenning.register",
        actor=user,
        object_type="organisation",
        object_id=organisation.id,
        result=role,
        detail=f"{proven.loa_label} {rules.masked(proven.subject)}",
    )
    return user
