"""API for municipalities: their flags (signalen) and the inspector's work on them (interface
layer). The same inbox query and the same note/assign/status functions as the inspector's pages
(``services.inspection``), so the same rules and the same history apply."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from portal.domain.errors import Problem
from portal.domain.flags import from_legacy
from portal.models import ApiKey, Flag, User
from portal.services import inspection
from portal.services.apikeys import actor_label, scope_of_key
from portal.views.api import bp, current_key, deny
from portal.views.api.declarations import address_json, page_args, paged
from portal.views.api.errors import ApiProblem
from portal.views.api.io import Fields, json_object, json_response, refused
from portal.views.transaction import commit_point

# Service field names → JSON field names.
ALIASES = {"to_status": "status", "text": "note"}
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def municipal_key() -> ApiKey:
    key = current_key()
    if key.municipality_id is None:
        raise deny(key, "api.municipal_key_required")
    return key


def acting_user(key: ApiKey) -> User:
    """The key as the inspection services' actor: a user that is never stored, of the key's
    municipality, with no id (its history events and audit rows name the key, not a person)."""
    return User(
        role="inspector",
        municipality_id=key.municipality_id,
        organisation_id=None,
        email=actor_label(key),
    )


def flag_json(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "status": flag.status,
        "reasons": [r for r in flag.reasons.split(",") if r],
        "period_start": flag.period_start.isoformat(),
        "period_end": flag.period_end.isoformat() if flag.period_end else None,
        "occupants": flag.occupants,
        "limit": flag.limit,
        "rule": flag.rule,
        "over_by": flag.over_by,
        "assignee": flag.assignee_user_id,
        "outcome": flag.outcome,
        "opened_at": flag.opened_at.isoformat(),
        "updated_at": flag.updated_at.isoformat(),
        "closed_at": flag.closed_at.isoformat() if flag.closed_at else None,
        "address": address_json(flag.address),
    }


@bp.get("/flags")
def list_flags() -> Response:
    key = municipal_key()
    problems: list[Problem] = []
    # The Dutch names (in_behandeling, …) are deprecated and accepted until v2.
    status = from_legacy(request.args.get("status", "current"))
    if status not in inspection.STATUS_FILTERS:
        problems.append(Problem("status", "query.value"))
    page, per_page = page_args(problems)
    if problems:
        raise ApiProblem(422, problems=problems)
    stmt = inspection.inbox_query(
        scope_of_key(key), acting_user(key), inspection.InboxFilter(status=status, sort="age")
    )
    return json_response(paged(stmt, page, per_page, flag_json))


@bp.patch("/flags/<int:flag_id>")
def update_flag(flag_id: int) -> Response:
    key = municipal_key()
    if flag_id > MAX_ID:
        raise ApiProblem(404)
    inspection.get_flag(flag_id, scope_of_key(key))  # 404 before any work when foreign
    data = json_object()
    fields = Fields(data, ("status", "outcome", "assignee", "note"))
    status = fields.text("status")
    if status is not None:
        status = from_legacy(status)  # the Dutch names are deprecated, accepted until v2
    outcome = fields.text("outcome")
    assignee = fields.integer("assignee")
    note = fields.text("note")
    fields.check()
    if not any(name in data for name in ("status", "assignee", "note")):
        raise ApiProblem(422, problems=[Problem("", "patch.empty")])
    actor = acting_user(key)
    with commit_point() as result:
        if note is not None:
            inspection.add_note(actor, flag_id, note)
        if "assignee" in data:
            inspection.assign(actor, flag_id, assignee)
        if status is not None:
            inspection.change_status(actor, flag_id, status, outcome)
    if result.refused:
        raise refused(result.refused, ALIASES)
    flag = inspection.get_flag(flag_id, scope_of_key(key))
    return json_response(flag_json(flag))
