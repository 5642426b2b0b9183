"""The routes the sweep sends hostile bodies to: who calls each, a valid body to start from,
and the JSON schema of its body (from the route's pydantic model where it has one).

There is no OpenAPI description of these routes yet; `openapi_document` writes a minimal one
from those schemas, so that schemathesis can make bodies for them, valid and malformed.

OpenAI's spec describes chat and embeddings (test_openai_spec_sweep.py drives those from it);
here they get only the hostile bodies, which the spec's generator never makes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from switchboard.api.schemas.accounts import CreateUserRequest, CreditsRequest, LoginRequest
from switchboard.api.schemas.keys import LabelledKeyRequest, ScopedKeyRequest
from switchboard.domain.apps import MAX_NAME_CHARS, MAX_TOKENS_PER_REQUEST
from switchboard.domain.kit_runs import KitRunRequest
from switchboard.domain.trace_ingestion import IngestedTrace
from tests.property.conftest import SWEEP_PROMPT, Callers
from tests.property.sweep import NONCE

Caller = Literal["anonymous", "user", "admin"]
Path = tuple[str | int, ...]
MODEL_IDS = ["local-chat", "local-embed", "local-e5-small", "local-video", "gpt-4o-mini", "nope"]
PASSWORD = "correct horse battery staple"

# The apps routes validate by hand (domain/apps.py); their bodies, in JSON Schema terms.
APP_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": MAX_NAME_CHARS + 1}},
    "required": ["name"],
}
APP_CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "defaultModel": {"anyOf": [{"enum": MODEL_IDS}, {"type": ["string", "null"]}]},
        "maxTokensPerRequest": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": MAX_TOKENS_PER_REQUEST + 1,
        },
        "allowedModels": {
            "anyOf": [{"type": "array", "items": {"enum": MODEL_IDS}}, {"type": "null"}]
        },
        "app_id": {"type": "string"},
    },
}

# The prompts routes validate by hand too (domain/prompts.py).
PROMPT_SCHEMA = {
    "type": "object",
    "properties": {
        "slug": {"type": "string", "maxLength": 65},
        "name": {"type": "string"},
        "description": {"type": "string"},
    },
    "required": ["slug"],
}
PROMPT_VERSION_SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "systemText": {"type": ["string", "null"]},
        "tag": {"type": ["string", "null"]},
        "model": {
            "type": "object",
            "properties": {
                "model": {"enum": MODEL_IDS},
                "parameters": {
                    "type": "object",
                    "properties": {"temperature": {"type": "number"}, "max_tokens": {}},
                },
            },
        },
    },
    "required": ["text"],
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    caller: Caller
    valid: dict[str, Any]
    strings: tuple[Path, ...]  # where a string goes: surrogates, empty strings, non-UTF-8
    numbers: tuple[Path, ...] = ()  # where a number goes: 1e999999999999, NaN, 5000 digits
    schema: dict[str, Any] | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, callers: Callers) -> str:
        return self.path.format(app_id=callers.app_id, user_id=callers.other_user_id)

    def headers(self, callers: Callers) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = {"user": callers.user_key, "admin": callers.admin_key}.get(self.caller)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def with_value(self, path: Path, value: Any) -> dict[str, Any]:
        """The valid body with the value at `path` replaced."""
        body = copy.deepcopy(self.valid)
        *parents, last = path
        node: Any = body
        for key in parents:
            node = node[key]
        node[last] = value
        return body


def _schema(model: Any) -> dict[str, Any]:
    return dict(model.model_json_schema(ref_template="#/components/schemas/{model}"))


def openapi_document() -> dict[str, Any]:
    """OpenAPI 3.1 for the routes that have a body schema; pydantic's $defs become components."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        if route.schema is None:
            continue
        schema = copy.deepcopy(route.schema)
        components.update(schema.pop("$defs", {}))
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("app_id", "user_id")
            if f"{{{name}}}" in route.path
        ]
        paths.setdefault(route.path, {})[route.method.lower()] = {
            "parameters": parameters,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {"default": {"description": "any"}},
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchboard's own routes", "version": "0"},
        "paths": paths,
        "components": {"schemas": components},
    }


INGESTED_TRACE = {
    "featureSlug": "sweep",
    "name": "Sweep trace",
    "input": "question",
    "output": "answer",
    "startTime": "2026-11-30T10:00:00Z",
    "endTime": "2026-11-30T10:00:02Z",
    "logs": [
        {"id": "gen", "name": "generate", "type": "generation", "model": "local-chat",
         "inputTokens": 3, "outputTokens": 5, "cost": 0.0001,
         "startTime": "2026-11-30T10:00:00Z", "endTime": "2026-11-30T10:00:01Z"},
    ],
}  # fmt: skip

ROUTES = [
    Route(
        "POST",
        "/monitor/trace",
        "user",
        INGESTED_TRACE,
        strings=(
            ("featureSlug",),
            ("name",),
            ("startTime",),
            ("logs", 0, "id"),
            ("logs", 0, "type"),
            ("logs", 0, "endTime"),
        ),
        numbers=(("logs", 0, "inputTokens"), ("logs", 0, "cost")),
        schema=_schema(IngestedTrace),
    ),
    Route(
        "POST",
        "/auth/login",
        "anonymous",
        {"email": f"sweep-{NONCE}@example.com", "password": PASSWORD},
        strings=(("email",), ("password",)),
        schema=_schema(LoginRequest),
    ),
    Route("POST", "/apps", "user", {"name": "Sweep app"}, (("name",),), schema=APP_SCHEMA),
    Route(
        "POST",
        "/prompts",
        "user",
        {"slug": f"sweep-{NONCE}", "name": "Sweep", "description": "A sweep's prompt"},
        strings=(("slug",), ("name",), ("description",)),
        schema=PROMPT_SCHEMA,
    ),
    Route(
        "POST",
        f"/prompts/{SWEEP_PROMPT}/versions",
        "user",
        {
            "text": "Hello {{name}}",
            "systemText": "Be brief.",
            "model": {"model": "local-chat", "parameters": {"temperature": 0.5, "max_tokens": 9}},
            "tag": "staging",
        },
        strings=(("text",), ("systemText",), ("tag",), ("model", "model")),
        numbers=(("model", "parameters", "temperature"), ("model", "parameters", "max_tokens")),
        schema=PROMPT_VERSION_SCHEMA,
    ),
    Route(
        "PUT",
        "/v1/{app_id}/ai/config",
        "user",
        {
            "defaultModel": "local-chat",
            "maxTokensPerRequest": 256,
            "allowedModels": ["local-chat", "local-embed"],
        },
        strings=(("defaultModel",), ("allowedModels", 0)),
        numbers=(("maxTokensPerRequest",),),
        schema=APP_CONFIG_SCHEMA,
    ),
    Route(
        "POST",
        "/api-keys",
        "user",
        {"name": "sweep key", "scopes": ["ai:gateway"]},
        strings=(("name",), ("scopes", 0)),
        schema=_schema(ScopedKeyRequest),
    ),
    Route(
        "POST",
        "/user/apikeys",
        "user",
        {"label": "sweep key"},
        strings=(("label",),),
        schema=_schema(LabelledKeyRequest),
    ),
    Route(
        "POST",
        "/admin/users",
        "admin",
        {
            "email": f"sweep-{NONCE}@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "credits_usd": "5.00",
            "password": PASSWORD,
            "rate_limits": {"requests_per_minute": 60, "tokens_per_minute": 10_000},
        },
        strings=(("email",), ("first_name",), ("last_name",), ("credits_usd",), ("password",)),
        numbers=(("credits_usd",), ("rate_limits", "requests_per_minute")),
        schema=_schema(CreateUserRequest),
    ),
    Route(
        "POST",
        "/admin/users/{user_id}/credits",
        "admin",
        {"amount_usd": "1.50", "reason": "sweep"},
        strings=(("amount_usd",), ("reason",)),
        numbers=(("amount_usd",),),
        schema=_schema(CreditsRequest),
    ),
    Route(
        "POST",
        "/v1/chat/completions",
        "user",
        {
            "model": "local-chat",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 16,
            "temperature": 0.5,
            "skill": "coder",
        },
        strings=(("model",), ("messages", 0, "role"), ("messages", 0, "content"), ("skill",)),
        numbers=(("max_tokens",), ("temperature",)),
    ),
    Route(
        "POST",
        "/v1/embeddings",
        "user",
        {"model": "local-embed", "input": "hello there", "dimensions": 8},
        strings=(("model",), ("input",)),
        numbers=(("dimensions",),),
    ),
    Route(
        "POST",
        "/v1/kits/run",
        "user",
        {
            "kit": "classifier",
            "input": {"prompt": "hi", "context": "a text"},
            "config": {"max_tokens": 16, "temperature": 0.5, "labels": ["yes", "no"]},
        },
        strings=(("kit",), ("input", "prompt"), ("input", "context"), ("config", "labels", 0)),
        numbers=(("config", "max_tokens"), ("config", "temperature")),
        schema=_schema(KitRunRequest),
    ),
]
