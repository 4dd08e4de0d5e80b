"""API: a batch of declarations, as a CSV body or a JSON array (interface layer).

The same checks and the same filing as the CSV upload page (``services.batches``): every row is
judged first; a batch with any bad row files nothing (422 with the result of every row), and
``?dry_run=true`` only reports. A batch is filed in one transaction, with one batch receipt.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Response, request, url_for

from portal.domain.errors import Problem
from portal.extensions import db
from portal.messages import message
from portal.services import batches
from portal.services.errors import Refused
from portal.views.api import bp
from portal.views.api.declarations import locale, organisation_key, receipt_json
from portal.views.api.errors import ApiProblem
from portal.views.api.io import idempotent, json_body, json_response, raw_body, refused

CSV_TYPES = ("text/csv", "application/csv")


def _items(data: Any) -> list[object]:
    """A JSON batch: an array of declarations, or ``{"declarations": [...]}``. An item may name
    its address by ``bag_id`` at the top, as ``POST /declarations`` does."""
    if isinstance(data, dict) and set(data) == {"declarations"}:
        data = data["declarations"]
    if not isinstance(data, list):
        raise ApiProblem(422, problems=[Problem("declarations", "field.type_array")])
    items: list[object] = []
    for item in data:
        if isinstance(item, dict) and "bag_id" in item and "address" not in item:
            rest = {k: v for k, v in item.items() if k != "bag_id"}
            item = {**rest, "address": {"bag_id": item["bag_id"]}}
        items.append(item)
    return items


def _check(organisation_id: int) -> batches.BatchCheck:
    try:
        if request.mimetype in CSV_TYPES:
            return batches.check_csv(raw_body(), organisation_id)
        if request.mimetype == "application/json":
            return batches.check_items(_items(json_body()), organisation_id)
    except Refused as exc:
        raise refused(exc) from None
    raise ApiProblem(415)


def _rows(check: batches.BatchCheck, references: list[str] | None = None) -> list[dict[str, Any]]:
    problems: dict[int, list[dict[str, str]]] = defaultdict(list)
    for p in check.problems:
        problems[p.line].append(
            {"field": p.field, "code": p.code, "message": message(p.code, p.detail)}
        )
    valid_lines = sorted(r.line for r in check.rows)
    reference_of = dict(zip(valid_lines, references or [], strict=False))
    lines = sorted(set(problems) | set(valid_lines))
    return [
        {
            "line": line,
            "status": "invalid" if line in problems else "ok",
            "errors": problems.get(line, []),
            "reference": reference_of.get(line),
        }
        for line in lines
    ]


def _summary(check: batches.BatchCheck, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "total": check.total,
        "valid": check.valid_count,
        "invalid": len(check.bad_lines),
    }


def _refused_rows(check: batches.BatchCheck) -> ApiProblem:
    return ApiProblem(
        422,
        "batch.has_errors",
        problems=[Problem(f"{p.line}.{p.field}", p.code, p.detail) for p in check.problems],
        extra={**_summary(check, False), "rows": _rows(check)},
    )


def _file() -> Response:
    key = organisation_key()
    assert key.organisation_id is not None
    check = _check(key.organisation_id)
    if not check.ok:
        raise _refused_rows(check)
    try:
        result = batches.file_batch(
            check,
            organisation_id=key.organisation_id,
            user_id=None,
            api_key_id=key.id,
            source="api",
            locale=locale(),
        )
    except Refused as exc:
        raise refused(exc) from None
    db.session.flush()
    body = {
        **_summary(check, False),
        "reference": result.batch.reference,
        "receipt": receipt_json(result.receipt),
        "references": result.references,
        "rows": _rows(check, result.references),
    }
    return json_response(
        body, 201, {"Location": url_for("api.receipt_pdf", reference=result.receipt.reference)}
    )


@bp.post("/batches")
def create_batch() -> Response:
    # A batch may be larger than other requests (services.batches.MAX_BYTES, 5 MiB).
    request.max_content_length = batches.MAX_BYTES + 1024
    dry_run = request.args.get("dry_run", "false")
    if dry_run not in ("true", "false"):
        raise ApiProblem(422, problems=[Problem("dry_run", "query.value")])
    if dry_run == "false":
        return idempotent(_file)
    key = organisation_key()
    assert key.organisation_id is not None
    check = _check(key.organisation_id)
    return json_response(
        {
            **_summary(check, True),
            "reference": None,
            "receipt": None,
            "references": [],
            "rows": _rows(check),
        }
    )
