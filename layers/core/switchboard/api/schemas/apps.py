"""Apps: how an app and its config look in answers. Their request bodies (POST /apps
{name}, PUT /v1/{app_id}/ai/config) are judged by the domain's rules, which need the
catalog (domain/apps.py: check_name, parse_config)."""

from __future__ import annotations

from typing import Any

from switchboard.api.schemas.accounts import unix_seconds
from switchboard.domain.apps import App, AppConfig


def app_view(app: App) -> dict[str, Any]:
    return {
        "id": app.app_id,
        "object": "app",
        "name": app.name,
        "owner_id": app.owner_id,
        "created_at": unix_seconds(app.created_at),
    }


def app_list_view(apps: list[App], cursor: str | None) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [app_view(app) for app in apps],
        "has_more": cursor is not None,
        "next_cursor": cursor,
    }


def deleted_app_view(app: App) -> dict[str, Any]:
    return {"id": app.app_id, "object": "app", "deleted": True}


def config_view(app_id: str, config: AppConfig) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "defaultModel": config.default_model,
        "maxTokensPerRequest": config.max_tokens_per_request,
        "allowedModels": list(config.allowed_models),
        "traceCapture": config.trace_capture,
    }
