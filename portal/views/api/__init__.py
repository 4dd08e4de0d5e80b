"""The JSON API under /api/v1 (interface layer).

Bearer API keys only: cookies are ignored here (no session is loaded under /api) and the
blueprint is exempt from CSRF, which guards cookie-authenticated forms. Every request is
authenticated, rate limited per key and answered with JSON; every error is problem+json
(``errors.py``). The views call the same services as the web forms, so the API refuses what the
forms refuse, with the same reason codes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request

from portal.extensions import csrf, db
from portal.models import ApiKey
from portal.services import apikeys, audit
from portal.services.ratelimit import hit
from portal.views.api.errors import ApiProblem, from_any_error, problem_response
from portal.views.transaction import commit_point, roll_back

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# Endpoints anyone may read without a key.
PUBLIC_ENDPOINTS = ("api.openapi", "api.statistics")
# A key in a URL ends up in logs, browser histories and Referer headers: a request carrying one of
# these parameters is refused (401) even when the key is valid, and the value is never recorded.
KEY_PARAMETERS = frozenset({"token", "api_key", "apikey", "access_token", "key"})


def current_key() -> ApiKey:
    key = g.get("api_key")
    if key is None:  # pragma: no cover - the before_request guarantees it
        raise ApiProblem(401)
    return key  # type: ignore[no-any-return]


def commit_keeping_key() -> None:
    """Commit, but keep the request's API key loaded: the key is read once per request instead
    of again after every commit (it was checked valid at the start of this request)."""
    key = g.get("api_key")
    with commit_point():
        db.session.flush()
        if key is not None and key in db.session:
            db.session.expunge(key)
    if key is not None:
        db.session.add(key)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _refuse(reason: str, prefix: str = "") -> ApiProblem:
    # Committed here: the problem handler rolls the request's session back.
    with commit_point():
        # Failed attempts count per client address too, so guessing cannot flood the audit trail.
        limit = hit(
            f"api-fail:{audit.origin_ip()}",
            int(current_app.config["API_RATE_LIMIT"]),
            int(current_app.config["API_RATE_WINDOW_SECONDS"]),
        )
        if limit.allowed:
            audit.record(
                "api.auth_failed",
                actor_label=f"api-key:{prefix}" if prefix else "anonymous",
                object_type="route",
                object_id=request.endpoint or request.path[:40],
                result="denied",
                detail=reason,
            )
    if not limit.allowed:
        return ApiProblem(429, headers={"Retry-After": str(limit.retry_after)})
    return ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def deny(key: ApiKey, reason: str) -> ApiProblem:
    """A 403 for a valid key that may not use this endpoint, with its audit event (committed
    here: the problem handler rolls the request's session back)."""
    audit.record(
        "authz_denied",
        actor_label=apikeys.actor_label(key),
        object_type="route",
        object_id=request.endpoint or request.path[:40],
        result="denied",
        organisation_id=key.organisation_id,
        municipality_id=key.municipality_id,
        detail=reason,
    )
    commit_keeping_key()
    return ApiProblem(403, reason)


def _has_nul() -> bool:
    # PostgreSQL text cannot hold NUL: refuse it before it reaches a query (docs/security.md T7).
    return "\x00" in request.path or any(
        "\x00" in name or "\x00" in value for name, value in request.args.items(multi=True)
    )


@bp.before_request
def _authenticate() -> None:
    g.api_key = None
    if _has_nul():
        raise ApiProblem(400, "api.bad_request")
    if any(name.lower() in KEY_PARAMETERS for name in request.args):
        raise _refuse("key in query string")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    secret = _bearer()
    if secret is None:
        raise _refuse("no key")
    key = apikeys.find_key(secret)
    if key is None:
        raise _refuse("unknown key")
    if key.revoked_at is not None:
        raise _refuse("revoked key", key.prefix)
    if apikeys.is_expired(key):
        raise _refuse("expired key", key.prefix)
    limit = hit(
        f"api:{key.id}",
        int(current_app.config["API_RATE_LIMIT"]),
        int(current_app.config["API_RATE_WINDOW_SECONDS"]),
    )
    apikeys.touch(key)
    g.api_key = key
    commit_keeping_key()
    if not limit.allowed:
        g.api_key = None
        raise ApiProblem(429, headers={"Retry-After": str(limit.retry_after)})


@bp.after_request
def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem) -> Any:
    roll_back()
    return problem_response(error)


@bp.errorhandler(Exception)
def _any_error(error: Exception) -> Any:
    return from_any_error(error)


from portal.views.api import (  # noqa: E402,F401
    addresses,
    batches,
    declarations,
    flags,
    openapi,
    statistics,
)
