"""api/routes/prompts.py: prompts, versions and tags (bodies judged by domain/prompts.py)."""

from typing import Any

from switchboard.api.openapi.operation import Operation, Param, page_params
from switchboard.api.openapi.shapes.own import (
    CompiledPrompt,
    Page,
    Prompt,
    PromptDescription,
    PromptVersion,
    ServedPrompt,
)

TAG = "Prompts"
APP_ID = Param("app_id", description="An app's prompts rather than the user's own.")
PROMPT: dict[str, Any] = {
    "type": "object",
    "required": ["slug"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
        "name": {"type": "string"},
        "description": {"type": "string"},
    },
}
VERSION: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "description": "The template, with {{variables}}."},
        "systemText": {"type": ["string", "null"]},
        "tag": {"type": ["string", "null"]},
        "model": {
            "type": "object",
            "properties": {"model": {"type": "string"}, "parameters": {"type": "object"}},
        },
    },
}
TAG_MOVE: dict[str, Any] = {
    "type": "object",
    "required": ["version"],
    "properties": {"version": {"type": "integer", "minimum": 1}},
}
VARIABLES: dict[str, Any] = {
    "type": "object",
    "description": "The values of the template's variables (and a version or tag).",
    "properties": {
        "variables": {"type": "object", "additionalProperties": {"type": "string"}},
        "version": {"type": "integer"},
        "tag": {"type": "string"},
    },
}
SELECT = (Param("version", {"type": "integer"}), Param("tag"), APP_ID)
CURSOR = page_params()

OPERATIONS = [
    Operation(
        "POST", "/prompts", "Create a prompt", TAG, request=PROMPT, response=Prompt,
        status=201, query=(APP_ID,),
    ),
    Operation("GET", "/prompts", "List prompts", TAG, response=Page, query=(APP_ID, *CURSOR)),
    Operation(
        "POST", "/prompts/{slug}/versions", "Add a version", TAG, request=VERSION,
        response=PromptVersion, status=201, query=(APP_ID,),
    ),
    Operation(
        "GET", "/prompts/{slug}/versions", "List versions", TAG, response=Page,
        query=(APP_ID, *CURSOR),
    ),
    Operation(
        "PUT", "/prompts/{slug}/tags/{tag}", "Move a tag to a version", TAG, request=TAG_MOVE,
        response=Prompt, query=(APP_ID,),
    ),
    Operation(
        "GET", "/prompts/{slug}/describe", "A prompt's versions and tags", TAG,
        response=PromptDescription, query=(APP_ID,),
    ),
    Operation(
        "GET", "/prompts/{slug}", "Serve a prompt (a version, a tag or the latest)", TAG,
        response=ServedPrompt, query=SELECT,
    ),
    Operation(
        "POST", "/prompts/{slug}/compile", "Fill a prompt's variables", TAG, request=VARIABLES,
        response=CompiledPrompt, query=(APP_ID,),
    ),
]  # fmt: skip
