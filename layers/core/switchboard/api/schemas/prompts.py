"""Prompts: how a prompt, a version, a served prompt and a compiled prompt look in answers.
Request bodies are judged by the domain's rules (domain/prompts.py), which need the catalog."""

from __future__ import annotations

from typing import Any

from switchboard.api.schemas.accounts import unix_seconds
from switchboard.domain.prompt_models import ModelBlock
from switchboard.domain.prompts import Compiled, Prompt, PromptVersion, tags_of
from switchboard.services.prompts import Served


def prompt_view(prompt: Prompt) -> dict[str, Any]:
    return {
        "object": "prompt",
        "slug": prompt.slug,
        "name": prompt.name,
        "description": prompt.description,
        "owner": {"type": prompt.owner.kind, "id": prompt.owner.id},
        "latest_version": prompt.latest_version or None,
        "tags": tags_of(prompt),
        "created_at": unix_seconds(prompt.created_at),
    }


def version_view(version: PromptVersion, tag: str | None = None) -> dict[str, Any]:
    return {
        "object": "prompt.version",
        "slug": version.slug,
        "version": version.version,
        "text": version.text,
        "systemText": version.system_text,
        "variables": list(version.variables),
        "model": model_view(version.model),
        "tag": tag,
        "created_at": unix_seconds(version.created_at),
    }


def model_view(model: ModelBlock | None, snapshot: str | None = None) -> dict[str, Any] | None:
    if model is None:
        return None
    return {
        "provider": model.provider,
        "model": model.model,
        "version": snapshot,
        "parameters": dict(model.parameters),
    }


def served_view(served: Served, snapshot: str | None) -> dict[str, Any]:
    version = served.version
    return {
        "warning": served.warning,
        "prompt": {
            "text": version.text,
            "systemText": version.system_text,
            "slug": version.slug,
            "version": version.version,
            "tag": served.tag,
            "model": model_view(version.model, snapshot),
        },
    }


def compiled_view(served: Served, compiled: Compiled) -> dict[str, Any]:
    """The filled messages (system, then user), and what was left unused."""
    warnings = [w for w in (served.warning, compiled.warning) if w]
    return {
        "object": "prompt.compiled",
        "slug": served.version.slug,
        "version": served.version.version,
        "tag": served.tag,
        "messages": compiled.messages,
        "model": model_view(served.version.model),
        "unusedVariables": list(compiled.unused),
        "warning": " ".join(warnings) or None,
    }


def describe_view(prompt: Prompt) -> dict[str, Any]:
    return {
        "object": "prompt.description",
        "slug": prompt.slug,
        "name": prompt.name,
        "description": prompt.description,
        "availableVersions": list(range(1, prompt.latest_version + 1)),
        "availableTags": tags_of(prompt),
    }


def page_view(data: list[dict[str, Any]], has_more: bool, cursor: str | None) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "has_more": has_more,
        "next_cursor": cursor if has_more else None,
    }
