"""The OpenAPI 3.1 document of /api/v1, kept next to the views it describes (interface layer).

tests/api/test_openapi.py checks that it is a valid 3.1 document and that its paths and methods
are exactly the routes of the ``api`` blueprint; schemathesis runs the app against it.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from portal.domain.dates import EARLIEST_DATE, LATEST_DATE
from portal.domain.declarations import END_REASONS, MAX_OCCUPANTS
from portal.domain.flags import FLAG_STATUSES, LEGACY_STATUSES
from portal.services import inspection
from portal.views.api import bp
from portal.views.api.io import json_response

VERSION = "1.1.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _with_legacy_statuses(values: tuple[str, ...]) -> dict[str, Any]:
    """``values``, and the Dutch names of the statuses among them, accepted until v2."""
    legacy = [old for old, new in LEGACY_STATUSES.items() if new in values]
    return {
        "anyOf": [
            {"enum": list(values)},
            {
                "enum": legacy,
                "deprecated": True,
                "description": "Deprecated Dutch names, accepted until API v2: "
                + ", ".join(f"{old} = {LEGACY_STATUSES[old]}" for old in legacy)
                + ". Answers always use the English names.",
            },
        ]
    }


STRING_OR_NULL = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date", "examples": ["2026-12-01"]}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
_DATE_RANGE = (
    f"YYYY-MM-DD, from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}; "
    "another date is refused (422, code date.range)."
)
DATE_INPUT = {**DATE, "description": _DATE_RANGE}
DATE_INPUT_OR_NULL = {**DATE_OR_NULL, "description": _DATE_RANGE}
_UNIT = (
    'A string names it; null or "" says the address has none. Leave both house_letter and '
    "house_number_addition out only to let the register decide: the one address at the number, "
    "else 422 address.ambiguous with the candidates. A named address the register lacks is 422 "
    "address.not_in_register (with the addresses at the number), never another one. Only the "
    "register's addresses (verified) can be named."
)
PROBLEM_STATUSES = {
    400: "The request could not be read: invalid JSON, a NUL character in the path or query, "
    "or the Idempotency-Key header is missing or malformed.",
    401: "No valid API key (missing, unknown, expired or revoked), or a key-like query parameter "
    "(token, api_key, access_token, key) was sent: keys go only in the Authorization header. "
    "Cookies are ignored under /api.",
    403: "The key is of the wrong kind for this operation (organisation or municipality).",
    404: "Not found, or not yours to see (another organisation's or municipality's object).",
    409: "A request with this Idempotency-Key is still being handled.",
    413: "The request body is larger than MAX_CONTENT_LENGTH.",
    415: "The body is not sent as application/json.",
    422: "Invalid values (see errors), or the Idempotency-Key was used for another request.",
    429: "Too many requests with this key (receipt PDFs have a lower limit of their own); "
    "see Retry-After.",
    500: "An error on the server side.",
}


def _responses(ok: dict[str, Any], *statuses: int) -> dict[str, Any]:
    responses = dict(ok)
    for status in sorted({400, 401, 429, 500, *statuses}):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    return responses


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


IDEMPOTENCY_SCHEMA: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Unique per request you mean once, e.g. a UUID.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}
IDEMPOTENCY = {"$ref": "#/components/parameters/IdempotencyKey"}
REFERENCE = {"$ref": "#/components/parameters/Reference"}
PAGE = [{"$ref": "#/components/parameters/Page"}, {"$ref": "#/components/parameters/PerPage"}]
FILED = _json(
    _ref("Declaration"),
    "Filed. A repeat with the same Idempotency-Key and body replays this response "
    "(header Idempotent-Replayed: true).",
    headers={
        "Location": {"schema": {"type": "string"}},
        "Idempotent-Replayed": {
            "schema": {"enum": ["true"]},
            "description": "Present when this is the stored answer to an earlier request",
        },
    },
)
FILING_ERRORS = (400, 403, 404, 409, 413, 415, 422)

SCHEMAS: dict[str, Any] = {
    "FieldError": {
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": {"type": "string", "description": "JSON path, e.g. address.postcode"},
            "code": {"type": "string", "description": "Reason code, as the web forms use"},
            "message": {"type": "string"},
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail", "code", "errors"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": _ref("FieldError")},
            "rows": {
                "type": "array",
                "items": _ref("BatchRow"),
                "description": "POST /batches: the result of every row",
            },
        },
    },
    "BatchRow": {
        "type": "object",
        "required": ["line", "status", "errors", "reference"],
        "properties": {
            "line": {"type": "integer", "description": "CSV line (header = 1) or item number"},
            "status": {"enum": ["ok", "invalid"]},
            "errors": {"type": "array", "items": _ref("FieldError")},
            "reference": {**STRING_OR_NULL, "description": "Once filed"},
        },
    },
    "BatchResult": {
        "type": "object",
        "required": [
            "dry_run",
            "total",
            "valid",
            "invalid",
            "reference",
            "receipt",
            "references",
            "rows",
        ],
        "properties": {
            "dry_run": {"type": "boolean"},
            "total": {"type": "integer"},
            "valid": {"type": "integer"},
            "invalid": {"type": "integer"},
            "reference": {**STRING_OR_NULL, "description": "The batch's reference once filed"},
            "receipt": _nullable(_ref("Receipt")),
            "references": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "array", "items": _ref("BatchRow")},
        },
    },
    "AddressInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["postcode", "house_number"],
        "properties": {
            "postcode": {"type": "string", "examples": ["3511 AB"]},
            "house_number": {"type": "integer", "examples": [12]},
            "house_letter": {**STRING_OR_NULL, "description": _UNIT},
            "house_number_addition": {**STRING_OR_NULL, "description": _UNIT},
        },
    },
    "Address": {
        "type": "object",
        "required": [
            "bag_id",
            "street",
            "house_number",
            "house_letter",
            "house_number_addition",
            "postcode",
            "town",
            "municipality",
            "verified",
        ],
        "properties": {
            "bag_id": {**STRING_OR_NULL, "description": "BAG nummeraanduiding (16 digits)"},
            "street": {"type": "string"},
            "house_number": {"type": "integer"},
            "house_letter": STRING_OR_NULL,
            "house_number_addition": STRING_OR_NULL,
            "postcode": {"type": "string"},
            "town": {"type": "string"},
            "municipality": {**STRING_OR_NULL, "description": "CBS code, e.g. GM0344"},
            "verified": {"type": "boolean"},
        },
    },
    "Finding": {
        "type": "object",
        "required": ["code", "severity", "message", "limit", "rule"],
        "properties": {
            "code": {"type": "string"},
            "severity": {"type": "string"},
            "message": {"type": "string"},
            "limit": {"type": ["integer", "null"]},
            "rule": STRING_OR_NULL,
            "occupants": {"type": ["integer", "null"]},
            "start": STRING_OR_NULL,
            "end": STRING_OR_NULL,
        },
    },
    "Receipt": {
        "type": "object",
        "required": ["verification_code", "sha256", "pdf_url"],
        "properties": {
            "verification_code": {"type": "string"},
            "sha256": {"type": "string"},
            "pdf_url": {"type": "string"},
        },
    },
    "Declaration": {
        "type": "object",
        "required": [
            "reference",
            "kind",
            "status",
            "latest_reference",
            "address",
            "occupants",
            "start_date",
            "findings",
            "receipt",
        ],
        "properties": {
            "reference": {"type": "string", "examples": ["MH-2026-000123"]},
            "kind": {"enum": ["new", "amendment", "end"]},
            "status": {"enum": ["future", "active", "ended"]},
            "latest_reference": {"type": "string"},
            "supersedes": STRING_OR_NULL,
            "organisation_kvk": {"type": "string"},
            "declared_for_kvk": {
                **STRING_OR_NULL,
                "description": "The KvK number of the employer declared for; only under a "
                "mandate that employer granted and that is in force on the filing day "
                "(otherwise 422 declared_for.no_mandate).",
            },
            "municipality": {"type": "string"},
            "address": _ref("Address"),
            "occupants": {"type": "integer"},
            "occupants_registered_brp": {"type": ["integer", "null"]},
            "start_date": DATE,
            "end_date": DATE_OR_NULL,
            "end_reason": STRING_OR_NULL,
            "separate_contracts": {"type": ["boolean", "null"]},
            "filed_at": {"type": "string", "format": "date-time"},
            "findings": {"type": "array", "items": _ref("Finding")},
            "receipt": _nullable(_ref("Receipt")),
        },
    },
    "NewDeclaration": {
        "type": "object",
        "additionalProperties": False,
        "description": "Give either address or bag_id.",
        "required": ["occupants", "start_date", "separate_contracts"],
        "properties": {
            "address": _ref("AddressInput"),
            "bag_id": {"type": "string", "examples": ["0344200000123456"]},
            "occupants": {"type": "integer", "minimum": 1, "maximum": MAX_OCCUPANTS},
            "occupants_registered_brp": {"type": ["integer", "null"], "minimum": 0},
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT_OR_NULL,
            "separate_contracts": {
                "type": "boolean",
                "description": "Rental and employment contract are separate documents.",
            },
            "declared_for_kvk": {
                **STRING_OR_NULL,
                "description": "The KvK number of the employer declared for; only under a "
                "mandate that employer granted and that is in force on the filing day "
                "(otherwise 422 declared_for.no_mandate).",
            },
        },
    },
    "Amendment": {
        "type": "object",
        "additionalProperties": False,
        "required": ["occupants", "effective_date"],
        "properties": {
            "occupants": {"type": "integer", "minimum": 1, "maximum": MAX_OCCUPANTS},
            "occupants_registered_brp": {"type": ["integer", "null"], "minimum": 0},
            "effective_date": DATE_INPUT,
        },
    },
    "End": {
        "type": "object",
        "additionalProperties": False,
        "required": ["end_date", "reason"],
        "properties": {"end_date": DATE_INPUT, "reason": {"enum": list(END_REASONS)}},
    },
    "DeclarationPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Declaration")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "AddressLookup": {
        "type": "object",
        "description": (
            "found: the one register address the query names; choose: several at the number and "
            "neither house_letter nor house_number_addition given; not_found: none, or the named "
            "one is missing (candidates: the addresses that are at the number)."
        ),
        "required": ["status", "candidates"],
        "properties": {
            "status": {"enum": ["found", "choose", "not_found"]},
            "candidates": {"type": "array", "items": _ref("Address")},
        },
    },
    "Flag": {
        "type": "object",
        "required": ["id", "status", "reasons", "occupants", "address"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"enum": list(FLAG_STATUSES)},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "period_start": DATE,
            "period_end": DATE_OR_NULL,
            "occupants": {"type": "integer"},
            "limit": {"type": ["integer", "null"]},
            "rule": STRING_OR_NULL,
            "over_by": {"type": "integer"},
            "assignee": {"type": ["integer", "null"], "description": "User id"},
            "outcome": STRING_OR_NULL,
            "opened_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "closed_at": {"type": ["string", "null"], "format": "date-time"},
            "address": _ref("Address"),
        },
    },
    "FlagPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Flag")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "FlagChange": {
        "type": "object",
        "additionalProperties": False,
        "description": "At least one of status, assignee, note. Applied together or not at all.",
        "properties": {
            "status": _with_legacy_statuses(inspection.TARGET_STATUSES),
            "outcome": {
                "enum": list(inspection.CLOSING_OUTCOMES),
                "description": "Required when closing (resolved, dismissed).",
            },
            "assignee": {"type": ["integer", "null"], "description": "An inspector's user id"},
            "note": {"type": "string", "maxLength": inspection.NOTE_MAX_LENGTH},
        },
    },
}

COUNT = {"anyOf": [{"type": "integer", "minimum": 5}, {"enum": ["<5", "x"]}]}
STATISTICS_ROW = {
    "type": "object",
    "required": ["month"],
    "properties": {
        "month": {"type": "string", "examples": ["2026-03"]},
        "municipality_code": {"type": "string", "examples": ["GM0344"]},
        "municipality": {"type": "string"},
        "postcode_area": {"type": "string", "examples": ["3511"]},
        "addresses_occupied": COUNT,
        "occupants": COUNT,
        "open_flags": COUNT,
        "late_filings": COUNT,
    },
}
STATISTICS_SCHEMA = {
    "type": "object",
    "required": ["level", "threshold", "months", "rows", "totals"],
    "properties": {
        "level": {"enum": ["municipality", "postcode"]},
        "threshold": {"type": "integer"},
        "note": {"type": "string"},
        "months": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": STATISTICS_ROW},
        "totals": {"type": "array", "items": STATISTICS_ROW},
    },
}

PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document")},
        }
    },
    "/declarations": {
        "post": {
            "operationId": "createDeclaration",
            "summary": "File a declaration (organisation keys)",
            "parameters": [IDEMPOTENCY],
            "requestBody": _body(_ref("NewDeclaration")),
            "responses": _responses({"201": FILED}, *FILING_ERRORS),
        },
        "get": {
            "operationId": "listDeclarations",
            "summary": "The latest filing of each declaration the key may see",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": ["active", "ended", "all"], "default": "active"},
                },
                {
                    "name": "municipality",
                    "in": "query",
                    "schema": {"type": "string", "examples": ["GM0344"]},
                },
                *PAGE,
            ],
            "responses": _responses(
                {"200": _json(_ref("DeclarationPage"), "One page of declarations")}, 422
            ),
        },
    },
    "/declarations/{reference}": {
        "get": {
            "operationId": "getDeclaration",
            "summary": "One filing by its reference",
            "parameters": [REFERENCE],
            "responses": _responses({"200": _json(_ref("Declaration"), "The filing")}, 404),
        }
    },
    "/declarations/{reference}/amendments": {
        "post": {
            "operationId": "amendDeclaration",
            "summary": "File a new number of occupants from a date",
            "parameters": [REFERENCE, IDEMPOTENCY],
            "requestBody": _body(_ref("Amendment")),
            "responses": _responses({"201": FILED}, *FILING_ERRORS),
        }
    },
    "/declarations/{reference}/end": {
        "post": {
            "operationId": "endDeclaration",
            "summary": "File the end of a declaration",
            "parameters": [REFERENCE, IDEMPOTENCY],
            "requestBody": _body(_ref("End")),
            "responses": _responses({"201": FILED}, *FILING_ERRORS),
        }
    },
    "/addresses": {
        "get": {
            "operationId": "lookupAddress",
            "summary": "Look an address up in the register (organisation keys)",
            "parameters": [
                {"name": "postcode", "in": "query", "required": True, "schema": {"type": "string"}},
                {
                    "name": "house_number",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                },
                {"name": "house_letter", "in": "query", "schema": {"type": "string"}},
                {"name": "house_number_addition", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": _responses(
                {"200": _json(_ref("AddressLookup"), "The address, or the candidates")},
                403,
                422,
            ),
        }
    },
    "/batches": {
        "post": {
            "operationId": "createBatch",
            "summary": "Check, and unless dry_run file, many declarations at once",
            "description": (
                "A CSV file (text/csv; the columns of the upload template) or a JSON array of "
                "declarations shaped like POST /declarations. If any row is invalid nothing is "
                "filed (422 with rows). Idempotency-Key is required unless dry_run=true."
            ),
            "parameters": [
                {
                    "name": "dry_run",
                    "in": "query",
                    "schema": {"enum": ["true", "false"], "default": "false"},
                },
                {**IDEMPOTENCY_SCHEMA, "required": False},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": _ref("NewDeclaration"),
                            "maxItems": 10000,
                        }
                    },
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            "responses": _responses(
                {
                    "200": _json(_ref("BatchResult"), "Dry run: the result of every row"),
                    "201": _json(
                        _ref("BatchResult"),
                        "Filed: the batch, its receipt and a reference per row",
                        headers={"Location": {"schema": {"type": "string"}}},
                    ),
                },
                *FILING_ERRORS,
            ),
        }
    },
    "/receipts/{reference}.pdf": {
        "get": {
            "operationId": "receiptPdf",
            "summary": "The receipt PDF of a filing (PDF/A)",
            "parameters": [REFERENCE],
            "responses": _responses(
                {
                    "200": {
                        "description": "The PDF",
                        "content": {
                            "application/pdf": {
                                "schema": {"type": "string", "contentMediaType": "application/pdf"}
                            }
                        },
                    }
                },
                404,
            ),
        }
    },
    "/flags": {
        "get": {
            "operationId": "listFlags",
            "summary": "The municipality's flags, oldest first (municipal keys)",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {
                        **_with_legacy_statuses(inspection.STATUS_FILTERS),
                        "default": "current",
                    },
                },
                *PAGE,
            ],
            "responses": _responses(
                {"200": _json(_ref("FlagPage"), "One page of flags")}, 403, 422
            ),
        }
    },
    "/flags/{flag_id}": {
        "patch": {
            "operationId": "updateFlag",
            "summary": "Add a note, assign, and/or change the status (municipal keys)",
            "parameters": [
                {"name": "flag_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "requestBody": _body(_ref("FlagChange")),
            "responses": _responses(
                {"200": _json(_ref("Flag"), "The flag after the change")},
                400,
                403,
                404,
                413,
                415,
                422,
            ),
        }
    },
    "/statistics": {
        "get": {
            "operationId": "openStatistics",
            "summary": "Open statistics per municipality or postcode area and month (public)",
            "description": (
                "No key needed. Figures of the nightly aggregate for the months of the last "
                'year. Every count below 5 is "<5"; a count shown as "x" is hidden so that '
                "no count below 5 can be worked out from the totals (secondary suppression). "
                "Postcode areas (4 digits, within a municipality) are listed only where the "
                "municipality's figures can be broken down safely; by default only the latest "
                "month. The totals are the whole country."
            ),
            "security": [],
            "parameters": [
                {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
                {"name": "level", "in": "query", "schema": {"enum": ["municipality", "postcode"]}},
                {
                    "name": "month",
                    "in": "query",
                    "schema": {"type": "string", "examples": ["2026-03"]},
                },
            ],
            "responses": _responses(
                {
                    "200": {
                        "description": "The figures (JSON, or CSV with format=csv)",
                        "content": {
                            "application/json": {"schema": STATISTICS_SCHEMA},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    }
                },
                422,
            ),
        }
    },
}


CONTENT_LANGUAGE: dict[str, Any] = {
    "schema": {"type": "string", "enum": ["nl", "en"]},
    "description": "The language of detail and the messages (from Accept-Language; nl default).",
}


def _problem_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, description in PROBLEM_STATUSES.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        response["headers"] = {"Content-Language": CONTENT_LANGUAGE}
        if status == 429:
            response["headers"]["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait",
            }
        responses[f"Problem{status}"] = response
    return responses


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Meldportaal Huisvesting Arbeidsmigranten API",
            "version": VERSION,
            "description": (
                "File and manage declarations of where labour migrants are housed. "
                "Authenticate with `Authorization: Bearer <API key>`; an organisation's "
                "administrator creates keys under Organisatie → API-sleutels (or an operator with "
                "`flask --app wsgi apikeys create --org KVKNUMBER`). A key expires after its "
                "lifetime (365 days unless chosen otherwise, at most 730); never put a key in "
                "the URL. Every POST that "
                "files needs an `Idempotency-Key` header: a repeat with the same key and body "
                "replays the first response. Errors are application/problem+json (RFC 9457) "
                "with `errors: [{field, code, message}]`; `detail` and the messages are in the "
                "language of `Accept-Language` (nl or en; nl by default), named in the "
                "`Content-Language` of every answer. Since 1.1.0 flag statuses are English "
                "(open, in_progress, resolved, dismissed); the Dutch in_behandeling, afgehandeld "
                "and geseponeerd are still accepted on input, deprecated, until v2."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "parameters": {
                "IdempotencyKey": IDEMPOTENCY_SCHEMA,
                "Reference": {
                    "name": "reference",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "examples": ["MH-2026-000123"]},
                },
                "Page": {
                    "name": "page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "default": 1},
                },
                "PerPage": {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                },
            },
            "responses": _problem_responses(),
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return json_response(document())
