"""The OpenAPI document: a valid 3.1 document, exactly the API's routes, and schemathesis against
the app with an organisation's key and a municipality's key (docs/security.md T7): 0 failures."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.views.api.openapi import document
from tests.api.conftest import body, headers


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec, cls=OpenAPIV31SpecValidator)


def _rule_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_route_is_documented_and_every_operation_exists(app: Flask) -> None:
    routes = {
        (_rule_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (path, method) for path, operations in document()["paths"].items() for method in operations
    }
    assert routes == documented


def test_every_operation_documents_problem_json_errors() -> None:
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            if path == "/openapi.json":
                continue
            for status in ("401", "429", "500"):
                assert status in operation["responses"], (method, path, status)


# Per operation, key and mode: 2 keys × 2 modes × EXAMPLES generated requests per operation.
# `make test` uses 8 (up to 32 per operation, a few seconds); CI runs this test once more with
# SCHEMATHESIS_EXAMPLES=50: up to 200 per operation (the security test plan asks ≥ 200), about
# 2,000 in all.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))

# --- schemathesis ------------------------------------------------------------------------------


@pytest.fixture
def no_rate_limit(app: Flask) -> Iterator[None]:
    saved = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = 1_000_000
    yield
    app.config["API_RATE_LIMIT"] = saved


@pytest.mark.usefixtures("no_rate_limit")
def test_schemathesis_finds_no_failures(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    make_municipality: Callable[..., Any],
) -> None:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation.modes import GenerationMode
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    utrecht = make_municipality("GM0344", "Utrecht")
    make_address("3511 AB", 12, municipality=utrecht)
    org = make_key()
    municipal = make_key(municipality=utrecht)
    filed = client.post(
        "/api/v1/declarations", json=body(occupants=6), headers=headers(org, "seed")
    ).get_json()
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for key in (org, municipal):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fixed: dict[str, Any] = {}
                if "{reference}" in operation.path and mode is GenerationMode.POSITIVE:
                    fixed["path_parameters"] = {"reference": filed["reference"]}

                strategy = operation.as_strategy(generation_mode=mode, **fixed)
                calls += _fuzz(strategy, key.auth, checks)
    print(f"schemathesis: {calls} requests")
    assert calls > 20 * EXAMPLES  # 10 operations × 4 runs, less what hypothesis deduplicates


def _fuzz(strategy: Any, auth: dict[str, str], checks: list[Any]) -> int:
    from hypothesis import HealthCheck, given, settings

    calls = 0

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(headers=auth, checks=checks)

    run()
    return calls
