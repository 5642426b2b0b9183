"""The OpenAPI document: generated from template.yaml's Api events and the declarations in
api/openapi/operations/, valid OpenAPI 3.1, and complete (a route the template mounts with no
declaration fails here, as does a path without its CORS preflight event)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from switchboard.api.openapi import build_document, declared_operations
from switchboard.api.routes.docs import declared_routes
from switchboard.local.template import Template
from tests.conftest import TEMPLATE

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/v1/public/models"),
    ("POST", "/auth/login"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/{asset}"),
    ("GET", "/console"),
    ("GET", "/console/{page}"),
    ("GET", "/console/assets/{name}"),
}


def api_events() -> list[tuple[str, str, str]]:
    """(method, path, function) of every Api event in the template."""
    return [
        (route.method, route.path, spec.logical_id)
        for spec in Template.load(TEMPLATE).functions()
        for route in spec.routes
    ]


def mounted() -> set[tuple[str, str]]:
    return {(method, path) for method, path, _ in api_events() if method != "OPTIONS"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document(mounted(), declared_operations())


def test_every_mounted_route_is_declared_and_every_declaration_is_mounted() -> None:
    declared = [operation.key for operation in declared_operations()]
    assert len(declared) == len(set(declared)), "a route is declared twice"
    assert sorted(mounted() - set(declared)) == [], "declare these in api/openapi/operations/"
    assert sorted(set(declared) - mounted()) == [], "declared, but no Api event mounts these"
    assert set(declared_routes()) == mounted()  # what DocsFunction describes in AWS


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_the_document_describes_every_mounted_route(document: dict[str, Any]) -> None:
    described = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert described == mounted()
    undescribed = [
        f"{method} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("x-undescribed")
    ]
    assert undescribed == []


def test_a_mounted_route_nobody_declared_is_still_in_the_document_marked() -> None:
    document = build_document([("GET", "/v1/brand-new")], declared_operations())
    operation = document["paths"]["/v1/brand-new"]["get"]
    assert operation["x-undescribed"] is True
    validate(document)


def test_security_key_and_cookie_except_on_public_routes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer sb_...`.",
    }
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert document["security"] == [{"bearerKey": []}, {"sessionCookie": []}]
    public = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") == []
    }
    assert public == PUBLIC


def test_errors_are_the_envelope_and_requests_use_the_routes_models(
    document: dict[str, Any],
) -> None:
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for operations in document["paths"].values():
        for operation in operations.values():
            for status in ("4XX", "5XX"):
                assert operation["responses"][status]["content"]["application/json"] == {
                    "schema": envelope
                }
    chat = document["paths"]["/v1/chat/completions"]["post"]
    body = chat["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ChatCompletionRequest"}
    assert set(chat["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    required = document["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
    assert required["required"] == ["message", "type", "param", "code"]


def test_every_api_path_has_its_cors_preflight_on_the_preflight_function() -> None:
    events = api_events()
    paths = {path for method, path, _ in events if method != "OPTIONS"}
    preflights = [(path, fn) for method, path, fn in events if method == "OPTIONS"]
    assert {fn for _, fn in preflights} == {"PreflightFunction"}
    missing = sorted(paths - {path for path, _ in preflights})
    assert missing == [], "give these paths an OPTIONS event on PreflightFunction (template.yaml)"
    assert sorted({path for path, _ in preflights} - paths) == []
