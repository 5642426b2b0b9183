"""OpenTelemetry's GenAI semantic conventions, read from a span's attributes and events as
OTLP's JSON mapping spells them (domain/otlp.py maps the rest of the span).

    attrs = attributes(span["attributes"])         # {key: plain JSON value}
    span_type(attrs), model(attrs), provider(attrs), usage(attrs), error(status, attrs)
    content(attrs, events)                          # (input, output), None when not captured

`gen_ai.operation.name` gives the span type (chat, text_completion, generate_content: llm;
embeddings: embedding; execute_tool: tool; invoke_agent, create_agent: agent; none: span),
`gen_ai.response.model` or else `gen_ai.request.model` the model, `gen_ai.provider.name` or
else the older `gen_ai.system` the provider, `gen_ai.usage.input_tokens`/`output_tokens` (or
the older `prompt_tokens`/`completion_tokens`) the usage. Content, which senders capture
only when turned on: the `gen_ai.input.messages`/`gen_ai.output.messages` attributes (on the
span or on a `gen_ai.client.inference.operation.details` event), else the older
`gen_ai.prompt`/`gen_ai.completion`, else the older per-message events
(`gen_ai.{system,user,assistant,tool}.message` as input, `gen_ai.choice` as output), kept up
to MAX_CAPTURE_CHARS of JSON. Status code 2 (ERROR) makes a span an error.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.domain.traces import Usage

MAX_CAPTURE_CHARS = 32_000  # captured content kept inline, as JSON text; cut beyond
MAX_NAME = 200
OPERATION_TYPES = {
    "chat": "llm", "text_completion": "llm", "generate_content": "llm",
    "embeddings": "embedding", "execute_tool": "tool", "invoke_agent": "agent",
    "create_agent": "agent",
}  # fmt: skip
INPUT_EVENTS = {"gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message",
                "gen_ai.tool.message"}  # fmt: skip
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
ERROR = 2


def attributes(raw: Any) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for pair in as_list(raw):
        if isinstance(pair, dict) and isinstance(pair.get("key"), str):
            kept[pair["key"]] = any_value(pair.get("value"))
    return kept


def any_value(raw: Any) -> Any:
    """An OTLP AnyValue as plain JSON (bytes stay as sent: base64 text)."""
    value = as_dict(raw)
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in value:
        return value["doubleValue"]
    if "arrayValue" in value:
        return [any_value(v) for v in as_list(as_dict(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        return attributes(as_dict(value["kvlistValue"]).get("values"))
    return value.get("bytesValue")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def span_type(attrs: dict[str, Any]) -> str:
    operation = attrs.get("gen_ai.operation.name")
    if isinstance(operation, str):
        return OPERATION_TYPES.get(operation, operation[:32])
    return "span"


def provider(attrs: dict[str, Any]) -> str | None:
    return _text_attr(attrs, "gen_ai.provider.name", "gen_ai.system")


def _text_attr(attrs: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = attrs.get(name)
        if isinstance(value, str) and value:
            return value[:MAX_NAME]
    return None


def model(attrs: dict[str, Any]) -> str | None:
    return _text_attr(attrs, "gen_ai.response.model", "gen_ai.request.model")


def _count(attrs: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = attrs.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return min(int(value), 10**9)
    return None


def usage(attrs: dict[str, Any]) -> Usage | None:
    tokens_in = _count(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
    tokens_out = _count(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    if tokens_in is None and tokens_out is None:
        return None
    return Usage(tokens_in or 0, tokens_out or 0)


def error(status: dict[str, Any], attrs: dict[str, Any]) -> dict[str, str] | None:
    code = status.get("code")
    if code not in (ERROR, "STATUS_CODE_ERROR", str(ERROR)):
        return None
    kind = attrs.get("error.type")
    message = status.get("message")
    return {"type": str(kind)[:MAX_NAME] if kind else "error",
            "message": str(message)[:1000] if message else ""}  # fmt: skip


def content(attrs: dict[str, Any], events: list[dict[str, Any]]) -> tuple[Any, Any]:
    details = next((e for e in events if e.get("name") == DETAILS_EVENT), None)
    sources = [attrs, attributes(details.get("attributes")) if details else {}]
    given_in = _first(sources, "gen_ai.input.messages", "gen_ai.prompt")
    given_out = _first(sources, "gen_ai.output.messages", "gen_ai.completion")
    if given_in is None:
        given_in = _messages(events, INPUT_EVENTS) or None
    if given_out is None:
        given_out = _messages(events, {"gen_ai.choice"}) or None
    return _bounded(given_in), _bounded(given_out)


def _first(sources: list[dict[str, Any]], *names: str) -> Any:
    for name in names:
        for source in sources:
            if source.get(name) is not None:
                return _json_or_text(source[name])
    return None


def _messages(events: list[dict[str, Any]], names: set[str]) -> list[Any]:
    found = []
    for event in events:
        name = event.get("name")
        if name in names:
            attrs = attributes(event.get("attributes"))
            body = event.get("body")
            message = any_value(body) if body is not None else attrs
            if isinstance(message, dict) and "role" not in message and name != "gen_ai.choice":
                message = {"role": str(name).split(".")[1], **message}
            found.append(message)
    return found


def _json_or_text(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _bounded(value: Any) -> Any:
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False)
    return value if len(text) <= MAX_CAPTURE_CHARS else text[:MAX_CAPTURE_CHARS] + "…"
