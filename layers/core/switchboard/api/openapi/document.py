"""The OpenAPI 3.1 document, generated from the routes an app mounts and their declarations.

    build_document([("GET", "/v1/models"), ...], declared_operations(), key_prefix="sb_")

The route list is an input, never written here: locally it is what the platform mounted from
template.yaml's Api events; in AWS (DocsFunction) it is every declared operation, which a test
holds equal to the template's Api events. A mounted route nobody declared still appears,
marked `x-undescribed` (and that test fails). Every pydantic model, request and response, is
converted in one `models_json_schema` call, so that models sharing a name get distinct
components. Every 4xx and 5xx answers OpenAI's error envelope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from switchboard.api.openapi.operation import JSON, SSE, Operation, Schema

REF = "#/components/schemas/{model}"
ERROR = {"$ref": "#/components/schemas/ErrorEnvelope"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx and 5xx answer (OpenAI's error envelope).",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}
CALLER_SECURITY: list[dict[str, list[str]]] = [{"bearerKey": []}, {"sessionCookie": []}]
REQUEST_ID = {"description": "Our id for this request.", "schema": {"type": "string"}}


def build_document(
    routes: Iterable[tuple[str, str]],
    operations: Iterable[Operation],
    *,
    key_prefix: str = "sb_",
    version: str = "0.1.0",
) -> dict[str, Any]:
    declared = {operation.key: operation for operation in operations}
    mounted = sorted({(method.upper(), path) for method, path in routes}, key=_order)
    chosen = [declared.get(key) or _undescribed(*key) for key in mounted]
    refs, components = _model_schemas(chosen)
    paths: dict[str, dict[str, Any]] = {}
    for operation in chosen:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": _info(version),
        "servers": [{"url": ".", "description": "Where this document is served from"}],
        "paths": paths,
        "components": {
            "schemas": {"ErrorEnvelope": ERROR_SCHEMA, **components},
            "securitySchemes": _security_schemes(key_prefix),
        },
        "security": CALLER_SECURITY,
        "tags": [{"name": tag} for tag in sorted({op.tag for op in chosen})],
    }


def _info(version: str) -> dict[str, Any]:
    return {
        "title": "Switchboard",
        "version": version,
        "summary": "OpenAI-compatible AI API gateway, with keys, credits, apps and jobs.",
        "description": (
            "Generated from the routes the functions mount and the models that validate them. "
            'Every error answers `{"error": {"message", "type", "param", "code"}}`.'
        ),
    }


def _security_schemes(key_prefix: str) -> dict[str, Any]:
    return {
        "bearerKey": {
            "type": "http",
            "scheme": "bearer",
            "description": f"An API key: `Authorization: Bearer {key_prefix}...`.",
        },
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "token",
            "description": "The session cookie that POST /auth/login sets.",
        },
    }


def _undescribed(method: str, path: str) -> Operation:
    return Operation(method, path, f"{method} {path} (not described yet)", "Undescribed")


def _order(key: tuple[str, str]) -> tuple[str, int]:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    return key[1], methods.index(key[0]) if key[0] in methods else len(methods)


def _model_schemas(
    operations: list[Operation],
) -> tuple[dict[Any, Any], dict[str, Any]]:
    models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}  # ordered, no repeats
    for operation in operations:
        for schema, mode in (
            (operation.request, "validation"),
            (operation.response, "serialization"),
            (operation.stream, "serialization"),
        ):
            if isinstance(schema, type) and issubclass(schema, BaseModel):
                models[(schema, mode)] = None  # type: ignore[index]
    if not models:
        return {}, {}
    refs, defs = models_json_schema(list(models), ref_template=REF)
    return dict(refs), dict(defs.get("$defs", {}))


def _schema(schema: Schema | None, mode: str, refs: Mapping[Any, Any]) -> dict[str, Any]:
    if schema is None:
        return {}
    if isinstance(schema, dict):
        return schema
    return dict(refs[(schema, mode)])


def _operation(operation: Operation, refs: Mapping[Any, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": _operation_id(operation),
        "summary": operation.summary,
        "tags": [operation.tag],
        "responses": _responses(operation, refs),
    }
    if operation.description:
        described["description"] = operation.description
    parameters = _parameters(operation)
    if parameters:
        described["parameters"] = parameters
    if operation.request is not None:
        schema = _schema(operation.request, "validation", refs)
        described["requestBody"] = {
            "required": True,
            "content": {operation.request_media: {"schema": schema}},
        }
    if operation.access == "public":
        described["security"] = []
    if operation.tag == "Undescribed":
        described["x-undescribed"] = True
    return described


def _operation_id(operation: Operation) -> str:
    words = re.sub(r"[{}]", "", operation.path).strip("/").replace("/", "_")
    return f"{operation.method.lower()}_{re.sub(r'[^A-Za-z0-9_]', '_', words)}"


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", operation.path)
    ]
    for param in operation.query:
        query = {"name": param.name, "in": "query", "required": param.required}
        query["schema"] = param.schema
        if param.description:
            query["description"] = param.description
        parameters.append(query)
    return parameters


def _responses(operation: Operation, refs: Mapping[Any, Any]) -> dict[str, Any]:
    headers = {"x-request-id": REQUEST_ID} | {
        name: {"description": text, "schema": {"type": "string"}}
        for name, text in operation.headers.items()
    }
    success: dict[str, Any] = {"description": operation.summary, "headers": headers}
    if operation.response is not None:
        schema = _schema(operation.response, "serialization", refs)
        stream = _schema(operation.stream, "serialization", refs)
        success["content"] = {
            media: {"schema": schema if media == JSON else _media_schema(media, stream)}
            for media in operation.response_media
        }
    responses = {str(operation.status): success}
    if operation.redirects:
        responses["302"] = {
            "description": "A redirect to a signed URL of the content.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    error = {"description": "OpenAI's error envelope.", "content": {JSON: {"schema": ERROR}}}
    responses["4XX"] = error
    responses["5XX"] = error
    return responses


def _media_schema(media: str, stream: dict[str, Any]) -> dict[str, Any]:
    if media == SSE:  # one event (schemathesis checks each); `data` is JSON, or [DONE] at the end
        # (not contentSchema: validators would hold the final [DONE] to it)
        named = stream.get("$ref", "").rsplit("/", 1)[-1] or "an object"
        data = {"type": "string", "description": f"JSON of {named}, or `[DONE]` at the end."}
        return {
            "type": "object",
            "description": "One server-sent event; the last one's data is `[DONE]`.",
            "required": ["data"],
            "properties": {"data": data, "event": {"type": "string"}, "id": {"type": "string"}},
        }
    if media.startswith("text/"):
        return {"type": "string"}
    return {"type": "string", "contentMediaType": media}
