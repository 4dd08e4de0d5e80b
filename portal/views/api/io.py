"""Reading JSON requests and writing JSON responses for the API (interface layer).

Shape only: a value of the wrong JSON type is refused here (``field.type_*``, ``date.format``,
``date.range``); what a value may be is the services' and the domain's to say, with their own
reason codes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from flask import Response, current_app, g, request

from portal.domain.dates import parse_iso_day
from portal.domain.errors import InvalidValue, Problem
from portal.services import idempotency
from portal.services.errors import Refused
from portal.views.api import commit_keeping_key
from portal.views.api.errors import ApiProblem, problem_body
from portal.views.transaction import commit_point, roll_back

_VISIBLE = re.compile(r"^[\x21-\x7e]{1,255}$")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def raw_body() -> bytes:
    """The request body (werkzeug answers 413 beyond MAX_CONTENT_LENGTH)."""
    return request.get_data(cache=True)


def json_body() -> Any:
    """The body as JSON: 415 when it is not sent as JSON, 400 when it does not parse, 422 when a
    text in it holds a NUL character (which PostgreSQL cannot store)."""
    if request.mimetype != "application/json":
        raise ApiProblem(415)
    try:
        data = json.loads(raw_body())
    except (ValueError, RecursionError):
        raise ApiProblem(400, "api.invalid_json") from None
    where = _nul_at(data)
    if where is not None:
        raise ApiProblem(422, problems=[Problem(where, "field.control_character")])
    return data


def _nul_at(data: Any) -> str | None:
    """The path of the first key or text that holds a NUL character, else None."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for name, item in value.items():
                child = f"{path}.{name}" if path else str(name)
                if "\x00" in name:
                    return child
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return None


def json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiProblem(422, problems=[Problem("", "field.type_object")])
    return body


class Fields:
    """Typed reads from one JSON object; shape problems are collected, not raised one by one."""

    def __init__(self, data: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.problems: list[Problem] = [
            Problem(prefix + name, "field.unknown") for name in data if name not in allowed
        ]

    def _problem(self, name: str, code: str, detail: str = "") -> None:
        self.problems.append(Problem(self.prefix + name, code, detail))

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._problem(name, "field.type_integer")
            return None
        return value

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self._problem(name, "field.type_string")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            self._problem(name, "field.type_boolean")
            return None
        return value

    def day(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self._problem(name, "date.iso_format")
            return None
        try:
            # 'date.format' (said here as 'date.iso_format': these fields take YYYY-MM-DD only),
            # 'date.nonexistent' for 2026-02-31, or 'date.range' outside 1900–2200.
            return parse_iso_day(value)
        except InvalidValue as exc:
            code = "date.iso_format" if exc.code == "date.format" else exc.code
            self._problem(name, code, Problem.of(name, exc).detail)
            return None

    def check(self) -> None:
        if self.problems:
            raise ApiProblem(422, problems=self.problems)


def refused(exc: Refused, aliases: dict[str, str] | None = None) -> ApiProblem:
    """A service refusal as 422, the service's field names mapped to the JSON names."""
    aliases = aliases or {}
    return ApiProblem(
        422,
        problems=[Problem(aliases.get(p.field, p.field), p.code, p.detail) for p in exc.problems],
    )


# --- idempotency -------------------------------------------------------------------------------


def idempotent(work: Callable[[], Response]) -> Response:
    """Run ``work`` once per Idempotency-Key of this API key (docs/security.md T3).

    The in-flight claim is committed before the work; the work's response (also a 4xx refusal)
    is stored in the work's own transaction and replayed for a repeat with the same request. A
    repeat with another request is 422, one while the first is running 409. A server error
    releases the key.
    """
    key_text = request.headers.get("Idempotency-Key")
    if key_text is None:
        raise ApiProblem(400, "idempotency.required")
    if not _VISIBLE.match(key_text):
        raise ApiProblem(400, "idempotency.format")
    api_key = g.api_key
    digest = idempotency.request_hash(request.method, request.full_path.rstrip("?"), raw_body())
    claim = idempotency.claim(api_key.id, key_text, digest)
    commit_keeping_key()
    if claim.state == "mismatch":
        raise ApiProblem(422, "idempotency.mismatch")
    if claim.state == "in_flight":
        raise ApiProblem(409, "idempotency.in_flight")
    if claim.state == "replay":
        response = Response(claim.body, status=claim.status)
        for name, value in (claim.headers or {}).items():
            response.headers[name] = value
        response.headers["Idempotent-Replayed"] = "true"
        return response
    assert claim.record_id is not None
    try:
        with commit_point() as outcome:  # the work and its stored answer, in one transaction
            try:
                response = work()
            except ApiProblem as problem:
                roll_back()  # the work's changes go; its answer (a 4xx) is stored below
                if problem.status >= 500:
                    raise
                response = Response(
                    json.dumps(problem_body(problem), ensure_ascii=False),
                    status=problem.status,
                    content_type="application/problem+json",
                )
                for name, value in problem.headers.items():
                    response.headers[name] = value
            stored = {
                name: value
                for name, value in response.headers.items()
                if name in ("Content-Type", "Location")
            }
            idempotency.complete(
                claim.record_id, response.status_code, stored, response.get_data(as_text=True)
            )
        if outcome.refused:  # a refusal the work did not answer as a problem: a server error
            raise outcome.refused
    except Exception:
        with commit_point():  # the work was rolled back; the key is free for another try
            idempotency.release(claim.record_id)
        current_app.logger.exception("API filing failed; idempotency key released")
        raise
    return response
