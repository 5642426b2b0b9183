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

The GenAI conventions (span type, model, provider, usage, content, error) are read by
domain/genai.py. The conventions carry no cost: an OTLP trace costs 0 here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from switchboard.domain import genai
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
# One transaction writes a part of a trace: at most 100 items (DynamoDB), 4 MB in all.
PART_SPANS = 90
PART_CHARS = 1_000_000  # captured content, as JSON, of one part's spans
KEPT_RESOURCE = ("service.name", "service.version", "deployment.environment.name")


class SpanRefused(ValueError):
    """One span that cannot be kept (its reason is the partial success's message)."""


@dataclass(frozen=True, slots=True)
class TraceShare:
    """What one request brings to one trace: its spans, their sums, and whether it holds
    the trace's root (then it counts the request: count, errors, latency)."""

    trace: Trace
    root: bool

    def parts(self) -> list[TraceShare]:
        """This share cut into parts that one transaction each can write (PART_SPANS spans,
        PART_CHARS of captured content); only the part holding the root counts as root."""
        chunks: list[list[Span]] = [[]]
        size = 0
        for span in self.trace.spans:
            weight = len(json.dumps([span.input, span.output], ensure_ascii=False, default=str))
            if chunks[-1] and (len(chunks[-1]) >= PART_SPANS or size + weight > PART_CHARS):
                chunks.append([])
                size = 0
            chunks[-1].append(span)
            size += weight
        if len(chunks) == 1:
            return [self]
        return [share_of(chunk, self.trace) for chunk in chunks]

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
        if any(kept.span.id == read.span.id for kept in group):
            batch.refuse(f"span {read.span.id} is given twice")
        else:
            group.append(read)
    for trace_id, reads in groups.items():
        batch.traces.append(_share(trace_id, reads, user_id, payer_id, key_id, app_id))
    return batch


def _spans(request: dict[str, Any], batch: OtlpBatch) -> list[_Read]:
    reads: list[_Read] = []
    for resource_spans in genai.as_list(request.get("resourceSpans")):
        resource = genai.attributes(genai.as_dict(resource_spans.get("resource")).get("attributes"))
        kept = {k: str(resource[k]) for k in KEPT_RESOURCE if k in resource}
        for scope_spans in genai.as_list(resource_spans.get("scopeSpans")):
            for raw in genai.as_list(scope_spans.get("spans")):
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
    attrs = genai.attributes(raw.get("attributes"))
    events = [genai.as_dict(event) for event in genai.as_list(raw.get("events"))]
    content = genai.content(attrs, events)
    error = genai.error(genai.as_dict(raw.get("status")), attrs)
    span = Span(
        TRACE_PREFIX + trace_hex, span_id, parent_id, _name(raw.get("name")),
        genai.span_type(attrs), started, ended, "error" if error else "success",
        genai.model(attrs), genai.provider(attrs), genai.usage(attrs), None, None, error,
        content[0], content[1], BODY_INLINE if content != (None, None) else None,
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


def _name(value: Any) -> str:
    return value[: genai.MAX_NAME] if isinstance(value, str) and value else "span"
