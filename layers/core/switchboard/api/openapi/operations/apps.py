"""api/routes/apps.py: apps, their config and usage. The bodies are judged by the domain's
rules (domain/apps.py), which need the catalog; here they are in JSON Schema."""

from typing import Any

from switchboard.api.openapi.operation import Operation, Param, page_params
from switchboard.api.openapi.shapes.own import App, AppConfig, AppList, Usage
from switchboard.domain.apps import MAX_NAME_CHARS, MAX_TOKENS_PER_REQUEST

TAG = "Apps"
APP: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS}},
}
CONFIG: dict[str, Any] = {
    "type": "object",
    "properties": {
        "defaultModel": {"type": ["string", "null"], "description": "A catalog model id."},
        "maxTokensPerRequest": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": MAX_TOKENS_PER_REQUEST,
        },
        "allowedModels": {"type": ["array", "null"], "items": {"type": "string"}},
        "traceCapture": {"type": ["string", "null"], "enum": ["on", "off", None]},
    },
}
DATE = {"type": "string", "format": "date"}
DELETED: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "deleted"],
    "properties": {"id": {"type": "string"}, "object": {"const": "app"},
                   "deleted": {"type": "boolean"}},
}  # fmt: skip

OPERATIONS = [
    Operation("POST", "/apps", "Register an app", TAG, request=APP, response=App, status=201),
    Operation("GET", "/apps", "List my apps", TAG, response=AppList, query=page_params()),
    Operation("GET", "/apps/{app_id}", "An app", TAG, response=App),
    Operation(
        "PATCH", "/apps/{app_id}", "Rename an app", TAG, request=APP, response=App,
    ),
    Operation(
        "DELETE", "/apps/{app_id}", "Delete an app (its usage stays readable)", TAG,
        response=DELETED,
    ),
    Operation("GET", "/v1/{app_id}/ai/config", "An app's config", TAG, response=AppConfig),
    Operation(
        "PUT", "/v1/{app_id}/ai/config", "Replace an app's config", TAG,
        request=CONFIG, response=AppConfig,
    ),
    Operation(
        "GET", "/v1/{app_id}/ai/usage", "An app's usage", TAG, response=Usage,
        query=(Param("startDate", DATE), Param("endDate", DATE)),
    ),
]  # fmt: skip
