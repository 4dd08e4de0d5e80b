"""Municipal staff log in through their municipality's own OpenID Provider (service layer).

The operator lists the municipalities that use their own provider in the TOML file named by
``MUNICIPAL_OIDC_FILE`` (one table per municipality code; docs/eherkenning.md). Authlib runs the
same checked flow as for eHerkenning (PKCE, state, nonce, the ID token's signature and claims).
The person must already be a user of that municipality in the portal: roles are granted here.
The first login binds the provider's subject to the user (matched on the email claim); later
logins must come with the same subject. A login without more than one factor is refused.

Never commits: the views do.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, NoReturn

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError
from sqlalchemy import select

from portal import clock
from portal.domain import staff_login as rules
from portal.domain.errors import InvalidValue
from portal.extensions import db
from portal.models import Municipality, User
from portal.models.user import MUNICIPAL_ROLES, ExternalIdentity
from portal.services import audit
from portal.services.errors import Refused

EXTENSION = "staff_oidc"


def load(path: str) -> dict[str, rules.Provider]:
    """The providers of the configuration file (empty path: none); ``ValueError`` on a mistake."""
    if not path:
        return {}
    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    return {code: rules.provider(code, entry) for code, entry in data.items()}


def init_app(app: Flask) -> None:
    """Register each municipality's provider as an OpenID Connect client of this app."""
    providers = load(str(app.config.get("MUNICIPAL_OIDC_FILE") or ""))
    oauth = OAuth(app)
    for code, found in providers.items():
        oauth.register(
            f"gemeente_{code}",
            client_id=found.client_id,
            client_secret=found.client_secret,
            server_metadata_url=found.discovery_url,
            client_kwargs={
                "scope": "openid email profile",
                "code_challenge_method": "S256",
                "default_timeout": float(app.config["EHERKENNING_TIMEOUT_SECONDS"]),
            },
        )
    app.extensions[EXTENSION] = (oauth, providers)


def providers() -> dict[str, rules.Provider]:
    return dict(current_app.extensions[EXTENSION][1])


def offered() -> list[Municipality]:
    """The municipalities whose staff log in through their own provider (for the login page)."""
    codes = list(providers())
    if not codes:
        return []
    return list(
        db.session.execute(
            select(Municipality).where(Municipality.code.in_(codes)).order_by(Municipality.name)
        ).scalars()
    )


def _client(code: str) -> Any:
    return current_app.extensions[EXTENSION][0].create_client(f"gemeente_{code}")


def redirect_uri(code: str) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/inloggen/gemeente/{code}/terug"


def start(code: str) -> Any:
    return _client(code).authorize_redirect(redirect_uri(code))


def finish(code: str) -> User:
    """The municipal user this login proves, or ``Refused`` (field ``staff_login``)."""
    found = providers()[code]
    client = _client(code)
    try:
        token = client.authorize_access_token()
    except OAuthError as exc:
        code_ = "eherkenning.state" if exc.error == "mismatching_state" else "eherkenning.refused"
        raise Refused.one("staff_login", code_) from exc
    except (JoseError, ValueError) as exc:
        raise Refused.one("staff_login", "eherkenning.token_invalid") from exc
    except requests.RequestException as exc:
        raise Refused.one("staff_login", "eherkenning.unreachable") from exc
    claims = token.get("userinfo") or {}
    issuer = str(client.load_server_metadata().get("issuer", ""))
    subject = str(claims.get("sub") or "")
    try:
        email = rules.email_of(claims, found.email_claim)
    except InvalidValue as exc:
        raise Refused.one("staff_login", exc.code) from exc
    if not subject:
        raise Refused.one("staff_login", "eherkenning.subject_missing")
    if not rules.used_more_factors(claims, found.mfa_claim, found.mfa_value):
        _refused(code, email, "staff_login.one_factor")
    user = _staff_user(code, email)
    if user is None:
        _refused(code, email, "staff_login.unknown")
    _bind(user, issuer, subject, code)
    user.last_login_at = clock.now()
    audit.record("staff_login.oidc", actor=user, result="ok", detail=code)
    return user


def _refused(code: str, email: str, reason: str) -> NoReturn:
    audit.record(
        "staff_login.refused", actor_label=email, result="refused", detail=f"{reason} {code}"
    )
    raise Refused.one("staff_login", reason)


def _staff_user(code: str, email: str) -> User | None:
    return db.session.execute(
        select(User)
        .join(Municipality, Municipality.id == User.municipality_id)
        .where(
            Municipality.code == code,
            User.email == email,
            User.role.in_(MUNICIPAL_ROLES),
            User.active.is_(True),
            User.removed_at.is_(None),
        )
    ).scalar_one_or_none()


def _bind(user: User, issuer: str, subject: str, code: str) -> None:
    """The first login binds the provider's subject to the user; a later login of the user must
    come with that subject (an email address moved to another person at the provider does not
    open this account)."""
    bound = db.session.execute(
        select(ExternalIdentity).where(
            ExternalIdentity.user_id == user.id, ExternalIdentity.issuer == issuer
        )
    ).scalar_one_or_none()
    if bound is None:
        db.session.add(
            ExternalIdentity(issuer=issuer, subject=subject, user_id=user.id, kvk_number="", loa="")
        )
    elif bound.subject != subject:
        _refused(code, user.email, "staff_login.other_person")
    else:
        bound.last_login_at = clock.now()
