"""API keys: create, authenticate, revoke (service layer).

A key is ``mhk_`` followed by 43 URL-safe characters: 256 random bits from ``secrets``
(docs/security.md T18). Only its SHA-256 is stored; a key that random needs no slow hash, and the
lookup by hash is one indexed query. The first 12 characters are kept in the clear as the
``prefix`` that tells keys apart on pages and in the audit trail. A key belongs to exactly one
organisation or one municipality and acts within that tenant's scope. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, Municipality, Organisation, User
from portal.services import audit
from portal.services.errors import Refused
from portal.services.queries import NOTHING, Scope
from portal.settings import signup_mode

KEY_PREFIX = "mhk_"
PREFIX_LENGTH = 12  # "mhk_" + 8 characters of the random part
NAME_MAX_LENGTH = 100
# last_used_at is written at most this often per key, so every request does not write a row.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    """A key just created: the stored record and the secret, shown to its creator once."""

    key: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused.one("name", "apikey.name_required")
    if len(name) > NAME_MAX_LENGTH:
        raise Refused.one("name", "field.too_long")
    return name


def create_key(
    name: str,
    *,
    organisation: Organisation | None = None,
    municipality: Municipality | None = None,
    created_by: User | None = None,
    lifetime_days: int | None = None,
) -> NewKey:
    """A new key for one organisation or one municipality (flushed; caller commits).

    It expires after ``lifetime_days`` (default API_KEY_DEFAULT_DAYS, at most API_KEY_MAX_DAYS).
    """
    if (organisation is None) == (municipality is None):
        raise ValueError("a key belongs to exactly one organisation or one municipality")
    if organisation is not None and not may_create_keys(organisation):
        raise Refused.one("name", "apikey.unverified")
    clean = _clean_name(name)
    days = default_lifetime_days() if lifetime_days is None else lifetime_days
    if not 1 <= days <= max_lifetime_days():
        raise Refused.one("lifetime_days", "apikey.lifetime")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=clean,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_key(secret),
        organisation_id=organisation.id if organisation is not None else None,
        municipality_id=municipality.id if municipality is not None else None,
        created_by_user_id=created_by.id if created_by is not None else None,
        expires_at=clock.now() + timedelta(days=days),
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        "apikey.create",
        actor=created_by,
        actor_label="" if created_by is not None else "cli",
        object_type="api_key",
        object_id=key.prefix,
        organisation_id=key.organisation_id,
        municipality_id=key.municipality_id,
        detail=f"{clean}; expires {key.expires_at:%Y-%m-%d}",
    )
    return NewKey(key, secret)


def may_create_keys(organisation: Organisation) -> bool:
    """With SIGNUP_MODE=eherkenning only an organisation proven through eHerkenning gets API keys:
    a key files in the organisation's name without a person logging in."""
    return organisation.verified or signup_mode(current_app.config) != "eherkenning"


def default_lifetime_days() -> int:
    return int(current_app.config["API_KEY_DEFAULT_DAYS"])


def max_lifetime_days() -> int:
    return int(current_app.config["API_KEY_MAX_DAYS"])


def is_expired(key: ApiKey) -> bool:
    """Whether the key's expiry moment has passed (a key without one never expires)."""
    return key.expires_at is not None and key.expires_at <= clock.now()


def state(key: ApiKey) -> str:
    """``active``, ``expired`` or ``revoked``, for the key lists."""
    if key.revoked_at is not None:
        return "revoked"
    return "expired" if is_expired(key) else "active"


def revoke_key(key: ApiKey, revoked_by: User | None = None) -> bool:
    """Revoke the key at once; False when it was revoked already (caller commits)."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = clock.now()
    key.revoked_by_user_id = revoked_by.id if revoked_by is not None else None
    audit.record(
        "apikey.revoke",
        actor=revoked_by,
        actor_label="" if revoked_by is not None else "cli",
        object_type="api_key",
        object_id=key.prefix,
        organisation_id=key.organisation_id,
        municipality_id=key.municipality_id,
    )
    db.session.flush()
    return True


def find_key(secret: str) -> ApiKey | None:
    """The key with this secret, revoked or not; None when there is no such key."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    digest = hash_key(secret)
    key = db.session.execute(select(ApiKey).where(ApiKey.key_hash == digest)).scalar_one_or_none()
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def touch(key: ApiKey) -> None:
    """Note that the key was used now (at most once per TOUCH_INTERVAL)."""
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        key.last_used_at = now


def scope_of_key(key: ApiKey | None) -> Scope:
    """The tenant scope a key acts in; a revoked key sees nothing."""
    if key is None or key.revoked_at is not None or is_expired(key):
        return NOTHING
    if key.organisation_id is not None:
        return Scope("organisation", key.organisation_id)
    if key.municipality_id is not None:
        return Scope("municipality", key.municipality_id)
    return NOTHING


def keys_of(scope: Scope) -> list[ApiKey]:
    """The keys a scope may manage, active first, newest first."""
    from portal.services.queries import scoped

    return list(
        db.session.execute(
            scoped(ApiKey, scope).order_by(
                ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc()
            )
        ).scalars()
    )


def actor_label(key: ApiKey) -> str:
    return f"api-key:{key.prefix}"
