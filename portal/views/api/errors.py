"""Problem details (RFC 9457) for every error under /api (interface layer).

Every error answers ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail``, ``code`` and ``errors: [{field, code, message}]`` (empty when no field is at fault).
``message`` is the same human text the web forms show (``portal.messages``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from portal.domain.errors import NAMED_VALUES, Problem
from portal.messages import message

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

# The top-level code of an error that carries none of its own.
STATUS_CODES = {
    400: "api.bad_request",
    401: "api.unauthorized",
    403: "api.organisation_key_required",
    404: "api.not_found",
    405: "api.method_not_allowed",
    409: "idempotency.in_flight",
    413: "api.too_large",
    415: "api.unsupported_media_type",
    422: "api.invalid",
    429: "api.rate_limited",
    500: "api.server_error",
}


class ApiProblem(Exception):
    """Answer with a problem: ``status``, a top-level ``code`` and the fields at fault."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        problems: Iterable[Problem] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code or STATUS_CODES.get(status, "api.bad_request")
        self.problems = list(problems)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{status} {self.code}")


def problem_body(problem: ApiProblem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": message(problem.code),
        "code": problem.code,
        "instance": request.path,
        "errors": [
            {
                "field": p.field,
                "code": p.code,
                "message": message(p.code, p.detail)
                + (f" ({p.detail})" if p.detail and p.code not in NAMED_VALUES else ""),
            }
            for p in problem.problems
        ],
    }
    body.update(problem.extra)
    return body


def problem_response(problem: ApiProblem) -> Response:
    response = Response(
        json.dumps(problem_body(problem), ensure_ascii=False),
        status=problem.status,
        content_type=PROBLEM_JSON,
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def from_http_exception(error: HTTPException) -> Response:
    """A werkzeug error (routing 404/405, 413, an abort) as a problem."""
    status = error.code or 500
    headers: dict[str, str] = {}
    if status == 405:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    if status not in STATUS_CODES:
        status = 500 if status >= 500 else 400
    return problem_response(ApiProblem(status, headers=headers))


def from_any_error(error: BaseException) -> Response:
    """The answer under /api for any error: the app's error handlers call this."""
    from portal.views.transaction import roll_back

    if isinstance(error, ApiProblem):
        return problem_response(error)
    if isinstance(error, HTTPException) and (error.code or 500) < 500:
        return from_http_exception(error)
    original = getattr(error, "original_exception", None) or error
    if not isinstance(original, HTTPException):
        log.error("API error on %s %s", request.method, request.path, exc_info=original)
    roll_back()
    return problem_response(ApiProblem(500))


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")
