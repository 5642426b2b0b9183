"""An ingested trace: `POST /monitor/trace` in the shape prompt-management services send,
validated and mapped onto the trace model (domain/traces.py).

    body = validate(IngestedTrace, data)          # 400 naming the param, never 422
    trace = ingested_trace(body, user_id=..., payer_id=..., key_id=..., app_id=...)

The body's own call is the trace's root span (name, input, output, startTime..endTime); each
log is a span under its parent (`parentId`, a log of the same body), or under the root when
it has none. A `parentId` naming no log of the body, a log id given twice, or a loop of
parents is a 400. Tokens and cost are the logs' sums (cost from the body, USD, kept as
micro-USD: `source: "ingested"`, never the ledger's); `featureSlug`, `user`, `organization`
and `idealOutput` go into the trace's metadata (cut as any metadata is). The trace's model is
the first `generation`/`llm` log's `model`, when the sender gives one (an addition to the
shape: the stats group by model).

Unknown fields are ignored, as ingestion endpoints accept what newer senders add; known
fields are checked strictly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from switchboard.domain.money import MICRO_USD_PER_USD
from switchboard.domain.traces import (
    BODY_INLINE,
    PromptRef,
    Span,
    Trace,
    Usage,
    clean_metadata,
    millis,
    new_span_id,
    new_trace_id,
)
from switchboard.domain.validation import invalid_value

MAX_LOGS = 50  # spans a body may hold: one transaction writes them all (DynamoDB: 100 items)
MAX_CAPTURE_BYTES = 32_000  # an input or output, as JSON: kept on the span item inline
MAX_NAME = 200
MAX_TOKENS = 10**9
MAX_COST_USD = 1_000_000
LLM_TYPES = {"generation", "llm", "chat", "completion"}
INGESTED_BODY_BYTES = 1_000_000  # the whole body: 50 logs of two bodies each fit with room


def parse_instant(value: str, param: str) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime (no offset: UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_value(
            f"Invalid value for '{param}': not an ISO 8601 time: {value[:40]!r}.",
            param,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _bounded_json(value: Any) -> Any:
    if value is not None and len(json.dumps(value, ensure_ascii=False)) > MAX_CAPTURE_BYTES:
        raise ValueError(f"at most {MAX_CAPTURE_BYTES} characters as JSON are kept")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PromptUsed(_Body):
    slug: str = Field(min_length=1, max_length=MAX_NAME)
    version: int | str | None = None
    tag: str | None = Field(default=None, max_length=MAX_NAME)


class ExperimentRef(_Body):
    id: str = Field(min_length=1, max_length=MAX_NAME)


class IngestedLog(_Body):
    id: str = Field(min_length=1, max_length=MAX_NAME)
    parentId: str | None = Field(default=None, max_length=MAX_NAME)
    name: str = Field(min_length=1, max_length=MAX_NAME)
    type: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    input: Any = None
    output: Any = None
    inputTokens: int = Field(default=0, ge=0, le=MAX_TOKENS)
    outputTokens: int = Field(default=0, ge=0, le=MAX_TOKENS)
    cost: float = Field(default=0, ge=0, le=MAX_COST_USD, allow_inf_nan=False)
    prompt: PromptUsed | None = None
    model: str | None = Field(default=None, max_length=MAX_NAME)
    startTime: str = Field(max_length=64)
    endTime: str = Field(max_length=64)

    bounded_capture = field_validator("input", "output")(_bounded_json)


class IngestedTrace(_Body):
    featureSlug: str = Field(min_length=1, max_length=MAX_NAME)
    name: str = Field(min_length=1, max_length=MAX_NAME)
    experiment: ExperimentRef | None = None
    input: Any = None
    output: Any = None
    idealOutput: Any = None
    metadata: dict[str, Any] | None = None
    user: Any = None
    organization: Any = None
    startTime: str = Field(max_length=64)
    endTime: str = Field(max_length=64)
    logs: list[IngestedLog] = Field(default_factory=list, max_length=MAX_LOGS)

    bounded_capture = field_validator("input", "output", "idealOutput")(_bounded_json)


def ingested_trace(
    body: IngestedTrace,
    *,
    user_id: str,
    payer_id: str,
    key_id: str | None = None,
    app_id: str | None = None,
) -> Trace:
    """The trace a valid body becomes (400 for times out of order or a bad parent)."""
    trace_id = new_trace_id()
    started, ended = _times(body.startTime, body.endTime, "")
    root = Span(
        trace_id, new_span_id(), None, body.name, "trace", started, ended,
        input=body.input, output=body.output,
        body=BODY_INLINE if body.input is not None or body.output is not None else None,
    )  # fmt: skip
    spans = _log_spans(body.logs, trace_id, root.id)
    usage = sum((s.usage for s in spans if s.usage), Usage())
    cost = sum(s.cost_micro_usd or 0 for s in spans)
    model_log = next((log for log in body.logs if log.model and _is_llm(log.type)), None)
    return Trace(
        trace_id, body.name, started, user_id, payer_id, ended,
        model=model_log.model if model_log else None, usage=usage, cost_micro_usd=cost,
        latency_ms=millis(started, ended), prompt=_prompt(body.logs),
        experiment_id=body.experiment.id if body.experiment else None, app_id=app_id,
        key_id=key_id, metadata=_metadata(body), source="ingested",
        spans=(root, *spans),
    )  # fmt: skip


def _times(start: str, end: str, prefix: str) -> tuple[datetime, datetime]:
    started = parse_instant(start, f"{prefix}startTime")
    ended = parse_instant(end, f"{prefix}endTime")
    if ended < started:
        raise invalid_value(
            f"Invalid value for '{prefix}endTime': it is before {prefix}startTime.",
            f"{prefix}endTime",
        )
    return started, ended


def _log_spans(logs: list[IngestedLog], trace_id: str, root_id: str) -> list[Span]:
    ids = {log.id: new_span_id() for log in logs}
    _check_parents(logs)
    return [_log_span(log, i, trace_id, ids, root_id) for i, log in enumerate(logs)]


def _log_span(log: IngestedLog, i: int, trace_id: str, ids: dict[str, str], root_id: str) -> Span:
    started, ended = _times(log.startTime, log.endTime, f"logs[{i}].")
    captured = log.input is not None or log.output is not None
    return Span(
        trace_id, ids[log.id], ids[log.parentId] if log.parentId else root_id,
        log.name, "llm" if _is_llm(log.type) else log.type.lower(), started, ended,
        model=log.model, usage=Usage(log.inputTokens, log.outputTokens),
        cost_micro_usd=_micro_usd(log.cost), input=log.input, output=log.output,
        body=BODY_INLINE if captured else None,
    )  # fmt: skip


def _check_parents(logs: list[IngestedLog]) -> None:
    """Log ids are distinct, every parentId names a log of the body, and following parents
    ends at the root."""
    parents: dict[str, str | None] = {}
    for i, log in enumerate(logs):
        if log.id in parents:
            raise invalid_value(
                f"Invalid value for 'logs[{i}].id': {log.id!r} is the id of an earlier log.",
                f"logs[{i}].id",
            )
        parents[log.id] = log.parentId
    for i, log in enumerate(logs):
        if log.parentId is not None and log.parentId not in parents:
            raise invalid_value(
                f"Invalid value for 'logs[{i}].parentId': no log of this trace has the id "
                f"{log.parentId!r}.",
                f"logs[{i}].parentId",
            )
        seen, current = {log.id}, log.parentId
        while current is not None:
            if current in seen:
                raise invalid_value(
                    f"Invalid value for 'logs[{i}].parentId': the logs' parents form a loop.",
                    f"logs[{i}].parentId",
                )
            seen.add(current)
            current = parents[current]


def _is_llm(kind: str) -> bool:
    return kind.lower() in LLM_TYPES


def _micro_usd(cost: float) -> int:
    return int((Decimal(repr(cost)) * MICRO_USD_PER_USD).to_integral_value())


def _prompt(logs: list[IngestedLog]) -> PromptRef | None:
    for log in logs:
        version = log.prompt.version if log.prompt else None
        if log.prompt and isinstance(version, int | str) and str(version).isdigit():
            return PromptRef(log.prompt.slug, int(version))
    return None


def _metadata(body: IngestedTrace) -> dict[str, str]:
    named = {"feature_slug": body.featureSlug, "user": body.user,
             "organization": body.organization, "ideal_output": body.idealOutput}  # fmt: skip
    extra = {k: _text(v) for k, v in named.items() if v is not None}
    given = {k: _text(v) for k, v in (body.metadata or {}).items()}
    return clean_metadata(extra | given)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
