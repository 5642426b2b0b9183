"""Traces: one request to the platform (or one ingested trace) and its spans, each span one
metered call inside it (docs/traces.md).

    ctx = TraceContext.start(name="chat.completions", span_type="llm", user_id=..., ...)
    child = ctx.child("file_search", "retrieval")     # same trace, parent = ctx's span
    span = ctx.finish(ended_at, model=..., usage=Usage(3, 5), cost_micro_usd=42)

A Meter carries a context; its settlement (or release) writes the span, the trace summary
and the counters in the ledger's own transaction. `to_dict` is the API's shape: `cost_usd`
a six-decimal string, times ISO 8601, the detail's spans as a tree. What the trace list
selects and returns (TraceFilter, TracePage) is domain/trace_queries.py's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from switchboard.domain.money import format_usd
from switchboard.errors import InvalidRequestError

TRACE_PREFIX = "tr_"
MAX_METADATA_KEYS = 16
MAX_METADATA_VALUE = 256
SOURCES = ("gateway", "ingested", "otlp")
# A captured body's place: kept on the span item, on its way to S3, in S3, or lost on the
# way (the sweeper's verdict after BODY_GRACE_SECONDS); None when nothing was captured.
BODY_INLINE, BODY_PENDING, BODY_STORED, BODY_LOST = "inline", "pending", "stored", "lost"
BODY_GRACE_SECONDS = 600


def new_trace_id() -> str:
    return TRACE_PREFIX + secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def iso(moment: datetime | None) -> str | None:
    """An aware UTC datetime as ISO 8601 with milliseconds and a Z."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def millis(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds() * 1000))


@dataclass(frozen=True, slots=True)
class Usage:
    """A span's tokens (a trace's: its spans' summed), in and out."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )

    def to_dict(self) -> dict[str, int]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "total_tokens": self.total_tokens}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PromptRef:
    """The saved prompt a request was made from: its slug and version."""

    slug: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "version": self.version}


@dataclass(frozen=True, slots=True)
class Span:
    """One metered call (or one ingested log/span). `body`: where input/output are
    (BODY_*; None when capture was off); `input`/`output` are present when inline or read
    back from S3."""

    trace_id: str
    id: str
    parent_id: str | None
    name: str
    type: str
    started_at: datetime
    ended_at: datetime | None
    status: str = "success"
    model: str | None = None
    provider: str | None = None
    usage: Usage | None = None
    cost_micro_usd: int | None = None
    ttft_ms: int | None = None
    error: dict[str, str] | None = None
    input: Any = None
    output: Any = None
    body: str | None = None
    body_key: str | None = None  # the body's S3 key, when it went there
    # The inline body's JSON as its item keeps it, when serialized already (Tracing.writes).
    body_json: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "parent_id": self.parent_id, "name": self.name, "type": self.type,
            "status": self.status, "model": self.model,
            "started_at": iso(self.started_at), "ended_at": iso(self.ended_at),
            "latency_ms": millis(self.started_at, self.ended_at),
        }  # fmt: skip
        if self.ttft_ms is not None:
            data["ttft_ms"] = self.ttft_ms
        if self.usage is not None:
            data["usage"] = self.usage.to_dict()
        if self.cost_micro_usd is not None:
            data["cost_usd"] = format_usd(self.cost_micro_usd)
        if self.error is not None:
            data["error"] = self.error
        if self.body is not None:
            data["body"] = self.body
        if self.body in (BODY_INLINE, BODY_STORED):
            data["input"], data["output"] = self.input, self.output
        return data


@dataclass(frozen=True, slots=True)
class Trace:
    """A trace's summary, as its item keeps it (tokens and cost summed over its spans)."""

    id: str
    name: str
    started_at: datetime
    user_id: str
    payer_id: str
    ended_at: datetime | None = None
    model: str | None = None
    provider: str | None = None
    status: str = "success"
    usage: Usage = field(default_factory=Usage)
    cost_micro_usd: int = 0
    latency_ms: int | None = None
    ttft_ms: int | None = None
    prompt: PromptRef | None = None
    experiment_id: str | None = None
    app_id: str | None = None
    key_id: str | None = None
    error: dict[str, str] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    source: str = "gateway"
    spans: tuple[Span, ...] = ()

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "object": "trace", "name": self.name, "model": self.model,
            "provider": self.provider, "status": self.status, "usage": self.usage.to_dict(),
            "cost_usd": format_usd(self.cost_micro_usd), "latency_ms": self.latency_ms,
            "ttft_ms": self.ttft_ms, "prompt": self.prompt.to_dict() if self.prompt else None,
            "experiment_id": self.experiment_id, "app_id": self.app_id, "key_id": self.key_id,
            "user_id": self.user_id, "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at), "error": self.error, "metadata": self.metadata,
            "source": self.source,
        }  # fmt: skip
        if detail:
            data["spans"] = span_tree(self.spans)
        return data

    def visible_to(self, user_id: str, *, admin: bool = False) -> bool:
        """The caller's own traces and those their balance paid for (their apps')."""
        return admin or user_id in (self.user_id, self.payer_id)


def span_tree(spans: tuple[Span, ...] | list[Span]) -> list[dict[str, Any]]:
    """Spans nested under their parents (`children`), each level by start time; a span whose
    parent is not among them is a root."""
    ids = {span.id for span in spans}
    children: dict[str | None, list[Span]] = {}
    for span in sorted(spans, key=lambda s: (s.started_at, s.id)):
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)

    def nest(parent: str | None, seen: frozenset[str]) -> list[dict[str, Any]]:
        level = [s for s in children.get(parent, []) if s.id not in seen]
        return [s.to_dict() | {"children": nest(s.id, seen | {s.id})} for s in level]

    return nest(None, frozenset())


@dataclass(slots=True)
class TraceContext:
    """What a Meter needs to record its call as a span of a trace: the trace's fields (the
    same for every span of a request) and this span's. Mutable on purpose: the model,
    first-token time and captured input/output are learnt while the call runs."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    span_type: str
    trace_started_at: datetime
    started_at: datetime
    user_id: str
    payer_id: str
    key_id: str | None = None
    app_id: str | None = None
    prompt: PromptRef | None = None
    experiment_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    capture: bool = True
    input: Any = None
    output: Any = None
    first_token_at: datetime | None = None
    provider: str | None = None
    trace_name: str = ""  # the request's (a child span has a name of its own)
    # Bodies over the inline limit, written to S3 after the response: shared by the
    # request's spans (a child context holds the same list).
    bodies: list[Any] = field(default_factory=list)
    # The request's own span: it sets the trace's name, prompt, ttft, and counts the
    # request (count, errors, latency) in the counters; child spans add tokens and cost.
    root: bool = True
    # A later round of the request's own call (a tool loop's `round N`): it moves the
    # request's counted latency to its own end. `counted` (shared by the request's spans,
    # like `bodies`) holds the counter item's sort key and histogram bucket it is in.
    continues: bool = False
    counted: list[tuple[str, int]] = field(default_factory=list)
    # The request's spans whose writes were made (shared too): made before any other, the
    # request's own span writes its trace's summary whole (TraceStore.span_writes `first`).
    written: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls, *, name: str, span_type: str, now: datetime, user_id: str, payer_id: str, **fields: Any
    ) -> TraceContext:
        return cls(new_trace_id(), new_span_id(), None, name, span_type, now, now,
                   user_id, payer_id, trace_name=name, **fields)  # fmt: skip

    def child(
        self, name: str, span_type: str, now: datetime, *, continues: bool = False
    ) -> TraceContext:
        """A child span of the same trace, started now, capturing as this one does
        (`continues`: a later round of the request's own call)."""
        return replace(
            self, span_id=new_span_id(), parent_id=self.span_id, name=name,
            span_type=span_type, started_at=now, input=None, output=None,
            first_token_at=None, root=False, continues=continues,
        )  # fmt: skip

    def first_token(self, now: datetime) -> None:
        if self.first_token_at is None:
            self.first_token_at = now

    def record(self, input: Any = None, output: Any = None) -> None:
        """Keep what to capture (nothing when capture is off)."""
        if not self.capture:
            return
        if input is not None:
            self.input = input
        if output is not None:
            self.output = output

    @property
    def ttft_ms(self) -> int | None:
        return millis(self.started_at, self.first_token_at)

    def span(
        self,
        ended_at: datetime,
        *,
        model: str | None,
        usage: Usage | None,
        cost_micro_usd: int | None,
        error: dict[str, str] | None = None,
    ) -> Span:
        captured = self.capture and (self.input is not None or self.output is not None)
        return Span(
            self.trace_id, self.span_id, self.parent_id, self.name, self.span_type,
            self.started_at, ended_at, "error" if error else "success", model, self.provider,
            usage, cost_micro_usd, self.ttft_ms, error,
            self.input if captured else None, self.output if captured else None,
            BODY_INLINE if captured else None,
        )  # fmt: skip


def clean_metadata(raw: object) -> dict[str, str]:
    """Metadata as the trace keeps it: at most 16 string keys, values cut to 256 chars;
    anything else is dropped (a trace never refuses a request)."""
    if not isinstance(raw, dict):
        return {}
    kept = [(str(k)[:64], str(v)[:MAX_METADATA_VALUE]) for k, v in raw.items() if v is not None]
    return dict(kept[:MAX_METADATA_KEYS])


def take_trace_options(data: dict[str, Any], ctx: TraceContext) -> dict[str, Any]:
    """The body without its `trace` field ({"capture": false, "metadata": {...}}), applied
    to the request's trace: it never reaches validation or the upstream."""
    if "trace" not in data:
        return data
    capture, metadata = trace_options(data["trace"])
    ctx.capture = ctx.capture and capture
    ctx.metadata = ctx.metadata | metadata
    return {name: value for name, value in data.items() if name != "trace"}


def trace_options(options: object) -> tuple[bool, dict[str, str]]:
    """A body's `trace` field ({"capture": false, "metadata": {...}}, or null): whether to
    capture, and the metadata to add; 400 naming the field if malformed."""
    if options is None:
        return True, {}
    if not isinstance(options, dict) or set(options) - {"capture", "metadata"}:
        raise InvalidRequestError('trace must be an object such as {"capture": false}.',
                                  param="trace", code="invalid_value")  # fmt: skip
    capture = options.get("capture", True)
    if not isinstance(capture, bool):
        raise InvalidRequestError("trace.capture must be true or false.",
                                  param="trace.capture", code="invalid_value")  # fmt: skip
    return capture, clean_metadata(options.get("metadata"))
