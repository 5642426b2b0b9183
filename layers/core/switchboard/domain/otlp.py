"""OTLP spans (`POST /v1/traces`) mapped onto the trace model (domain/traces.py), reading
OpenTelemetry's GenAI semantic conventions.

    batch = traces_of(request_dict, user_id=..., payer_id=..., key_id=..., app_id=...)
    batch.traces      one TraceShare per OTLP trace id in the request
    batch.rejected    spans refused, with the first reason (OTLP's partial success)

`request_dict` is an ExportTraceServiceRequest in OTLP's JSON mapping (camelCase keys, ids
as hex, 64-bit integers as numbers or strings, enums as numbers or names): the JSON body
as sent, or the protobuf body decoded to that shape (api/otlp.py).

Spans are grouped by trace id (`tr_` + its 32 hex digits, so spans of one trace sent in
several requests meet in one trace); a span whose parent is not in the request is a root.
A span keeps its own 16-hex id and its parent's, so the tree joins up across requests.

GenAI attributes: `gen_ai.operation.name` gives the span type (chat, text_completion,
generate_content: llm; embeddings: embedding; execute_tool: tool; invoke_agent,
create_agent: agent; none: span), `gen_ai.response.model` or else `gen_ai.request.model`
the model, `gen_ai.provider.name` or else the older `gen_ai.system` the provider,
`gen_ai.usage.input_tokens`/`output_tokens` (or the older `prompt_tokens`/
`completion_tokens`) the usage. Content, which senders capture only when turned on: the
`gen_ai.input.messages`/`gen_ai.output.messages` attributes (on the span or on a
`gen_ai.client.inference.operation.details` event), else the older `gen_ai.prompt`/
`gen_ai.completion`, else the older per-message events (`gen_ai.{system,user,assistant,
tool}.message` as input, `gen_ai.choice` as output). The conventions carry no cost: an
OTLP trace costs 0 here. Status code 2 (ERROR) makes a span an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from switchboard.domain.traces import (
    BODY_INLINE,
    TRACE_PREFIX,
    Span,
    Trace,
    Usage,
    clean_metadata,
    millis,
)

MAX_SPANS = 512  # per request: the SDK's BatchSpanProcessor sends at most 512 at a time
MAX_TRACE_SPANS = 90  # per trace per request: one transaction (100 items) writes them all
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
KEPT_RESOURCE = ("service.name", "service.version", "deployment.environment.name")
ERROR = 2


class SpanRefused(ValueError):
    """One span that cannot be kept (its reason is the partial success's message)."""


@dataclass(frozen=True, slots=True)
class TraceShare:
    """What one request brings to one trace: its spans, their sums, and whether it holds
    the trace's root (then it counts the request: count, errors, latency)."""

    trace: Trace
    root: bool

    def without(self, span_ids: set[str]) -> TraceShare | None:
        """This share less some spans (stored already: a sender's retry); None if none
        are left."""
        kept = [span for span in self.trace.spans if span.id not in span_ids]
        return share_of(kept, self.trace) if kept else None


@dataclass(slots=True)
class OtlpBatch:
    traces: list[TraceShare] = field(default_factory=list)
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def refuse(self, reason: str, count: int = 1) -> None:
        self.rejected += count
        if reason not in self.reasons:
            self.reasons.append(reason)

    @property
    def error_message(self) -> str:
        return "; ".join(self.reasons[:3])


@dataclass(frozen=True, slots=True)
class _Read:
    span: Span
    resource: dict[str, str]
    attrs: dict[str, Any]


def traces_of(
    request: dict[str, Any],
    *,
    user_id: str,
    payer_id: str,
    key_id: str | None = None,
    app_id: str | None = None,
) -> OtlpBatch:
    batch = OtlpBatch()
    groups: dict[str, list[_Read]] = {}
    for read in _spans(request, batch):
        group = groups.setdefault(read.span.trace_id, [])
        if len(group) >= MAX_TRACE_SPANS:
            batch.refuse(f"more than {MAX_TRACE_SPANS} spans of one trace in one request")
            continue
        group.append(read)
    for trace_id, reads in groups.items():
        batch.traces.append(_share(trace_id, reads, user_id, payer_id, key_id, app_id))
    return batch


def _spans(request: dict[str, Any], batch: OtlpBatch) -> list[_Read]:
    reads: list[_Read] = []
    for resource_spans in _list(request.get("resourceSpans")):
        resource = _attributes(_dict(resource_spans.get("resource")).get("attributes"))
        kept = {k: str(resource[k]) for k in KEPT_RESOURCE if k in resource}
        for scope_spans in _list(resource_spans.get("scopeSpans")):
            for raw in _list(scope_spans.get("spans")):
                if len(reads) >= MAX_SPANS:
                    batch.refuse(f"more than {MAX_SPANS} spans in one request")
                    continue
                try:
                    reads.append(_read(raw, kept))
                except SpanRefused as refused:
                    batch.refuse(str(refused))
    return reads


def _read(raw: Any, resource: dict[str, str]) -> _Read:
    if not isinstance(raw, dict):
        raise SpanRefused("a span is not an object")
    trace_hex = _hex_id(raw.get("traceId"), 32, "traceId")
    span_id = _hex_id(raw.get("spanId"), 16, "spanId")
    parent = raw.get("parentSpanId") or None
    parent_id = _hex_id(parent, 16, "parentSpanId") if parent else None
    started = _nanos(raw.get("startTimeUnixNano"), "startTimeUnixNano")
    ended = _nanos(raw.get("endTimeUnixNano"), "endTimeUnixNano")
    if ended < started:
        raise SpanRefused(f"span {span_id}: endTimeUnixNano is before startTimeUnixNano")
    attrs = _attributes(raw.get("attributes"))
    events = [_dict(event) for event in _list(raw.get("events"))]
    content = _content(attrs, events)
    error = _error(_dict(raw.get("status")), attrs)
    span = Span(
        TRACE_PREFIX + trace_hex, span_id, parent_id, _name(raw.get("name")), _type(attrs),
        started, ended, "error" if error else "success", _model(attrs),
        _text_attr(attrs, "gen_ai.provider.name", "gen_ai.system"), _usage(attrs),
        None, None, error, content[0], content[1],
        BODY_INLINE if content != (None, None) else None,
    )  # fmt: skip
    return _Read(span, resource, attrs)


def _share(
    trace_id: str,
    reads: list[_Read],
    user_id: str,
    payer_id: str,
    key_id: str | None,
    app_id: str | None,
) -> TraceShare:
    metadata = clean_metadata({**reads[0].resource, **_conversation(reads)})
    base = Trace(trace_id, "", reads[0].span.started_at, user_id, payer_id, app_id=app_id,
                 key_id=key_id, metadata=metadata, source="otlp")  # fmt: skip
    return share_of([read.span for read in reads], base)


def share_of(spans: list[Span], base: Trace) -> TraceShare:
    """The share these spans make of `base`'s trace (its owner, app, metadata): their sums,
    the root's name, the first model and error; root if one of them has no parent."""
    ids = {span.id for span in spans}
    roots = [s for s in spans if s.parent_id not in ids]
    top = min(roots, key=lambda s: (s.parent_id is not None, s.started_at))
    started = min(s.started_at for s in spans)
    ended = max(s.ended_at or s.started_at for s in spans)
    model_span = next((s for s in [top, *spans] if s.model), None)
    failed = next((s for s in [top, *spans] if s.error), None)
    trace = replace(
        base, name=top.name, started_at=started, ended_at=ended,
        model=model_span.model if model_span else None,
        provider=model_span.provider if model_span else top.provider,
        status="error" if failed else "success",
        usage=sum((s.usage for s in spans if s.usage), Usage()), cost_micro_usd=0,
        latency_ms=millis(top.started_at, top.ended_at) if top.parent_id is None
        else millis(started, ended),
        error=failed.error if failed else None, spans=tuple(spans),
    )  # fmt: skip
    return TraceShare(trace, root=top.parent_id is None)


def _conversation(reads: list[_Read]) -> dict[str, str]:
    for read in reads:
        conversation = read.attrs.get("gen_ai.conversation.id")
        if conversation is not None:
            return {"gen_ai.conversation.id": str(conversation)}
    return {}


# --- OTLP's JSON mapping ------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _hex_id(value: Any, digits: int, name: str) -> str:
    text = value.lower() if isinstance(value, str) else ""
    if len(text) != digits or not all(c in "0123456789abcdef" for c in text):
        raise SpanRefused(f"{name} must be {digits} hex digits")
    if set(text) == {"0"}:
        raise SpanRefused(f"{name} must not be all zeros")
    return text


def _nanos(value: Any, name: str) -> datetime:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise SpanRefused(f"{name} must be a positive integer (nanoseconds since 1970)")
    return datetime.fromtimestamp(value / 1e9, UTC)


def _attributes(raw: Any) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for pair in _list(raw):
        if isinstance(pair, dict) and isinstance(pair.get("key"), str):
            kept[pair["key"]] = any_value(pair.get("value"))
    return kept


def any_value(raw: Any) -> Any:
    """An OTLP AnyValue as plain JSON (bytes stay as sent: base64 text)."""
    value = _dict(raw)
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
        return [any_value(v) for v in _list(_dict(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        return _attributes(_dict(value["kvlistValue"]).get("values"))
    return value.get("bytesValue")


# --- GenAI semantic conventions -----------------------------------------------------------


def _name(value: Any) -> str:
    return value[:MAX_NAME] if isinstance(value, str) and value else "span"


def _type(attrs: dict[str, Any]) -> str:
    operation = attrs.get("gen_ai.operation.name")
    if isinstance(operation, str):
        return OPERATION_TYPES.get(operation, operation[:32])
    return "span"


def _text_attr(attrs: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = attrs.get(name)
        if isinstance(value, str) and value:
            return value[:MAX_NAME]
    return None


def _model(attrs: dict[str, Any]) -> str | None:
    return _text_attr(attrs, "gen_ai.response.model", "gen_ai.request.model")


def _count(attrs: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = attrs.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return min(int(value), 10**9)
    return None


def _usage(attrs: dict[str, Any]) -> Usage | None:
    tokens_in = _count(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
    tokens_out = _count(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    if tokens_in is None and tokens_out is None:
        return None
    return Usage(tokens_in or 0, tokens_out or 0)


def _error(status: dict[str, Any], attrs: dict[str, Any]) -> dict[str, str] | None:
    code = status.get("code")
    if code not in (ERROR, "STATUS_CODE_ERROR", str(ERROR)):
        return None
    kind = attrs.get("error.type")
    message = status.get("message")
    return {"type": str(kind)[:MAX_NAME] if kind else "error",
            "message": str(message)[:1000] if message else ""}  # fmt: skip


def _content(attrs: dict[str, Any], events: list[dict[str, Any]]) -> tuple[Any, Any]:
    details = next((e for e in events if e.get("name") == DETAILS_EVENT), None)
    sources = [attrs, _attributes(details.get("attributes")) if details else {}]
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
            attrs = _attributes(event.get("attributes"))
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
