"""Trace, span and counter items (adapters/aws/traces.py writes and reads them; keys in
table.py). Captured input and output are kept as one JSON string (`body_json`): DynamoDB has
no floats in the low-level shape, and the size is then what the item pays."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import Update, from_item, to_item
from switchboard.domain.trace_stats import Counters, Dimensions, bucket_name
from switchboard.domain.traces import (
    BODY_INLINE,
    BODY_PENDING,
    PromptRef,
    Span,
    Trace,
    Usage,
    iso,
)

SUMMARY_ONCE = ("user_id", "payer_id", "source", "app_id", "key_id", "experiment_id")
COUNTER_FIELDS = ("count", "errors", "input_tokens", "output_tokens", "cost_micro_usd",
                  "lost_bodies")  # fmt: skip
DIMENSION_FIELDS = ("day", "model", "app_id", "prompt", "experiment_id")


def listed_keys(trace: Trace) -> dict[str, str]:
    """The trace item's index keys: its payer's list (GSI1) and the day's (GSI2)."""
    order = f"{iso(trace.started_at)}#{trace.id}"
    day = trace.started_at.strftime("%Y-%m-%d")
    return {"GSI1PK": table.traces_of(trace.payer_id), "GSI1SK": order,
            "GSI2PK": table.traces_on(day), "GSI2SK": order}  # fmt: skip


def summary_update(trace: Trace, *, root: bool, expires_at: int | None) -> Update:
    """One span's share of its trace's summary: tokens and cost added, the trace's own
    fields set once (the request's own span overwrites name, model, ttft), the end and
    latency of the latest span to settle, and the status: any error makes it "error"."""
    update = Update(table.trace(trace.id))
    update.add("input_tokens", trace.usage.input_tokens)
    update.add("output_tokens", trace.usage.output_tokens)
    update.add("cost_micro_usd", trace.cost_micro_usd).add("span_count", 1)
    for name, value in listed_keys(trace).items():
        update.set(name, value, if_absent=True)
    update.set("started_at", iso(trace.started_at), if_absent=True)
    for name in SUMMARY_ONCE:
        if getattr(trace, name) is not None:
            update.set(name, getattr(trace, name), if_absent=True)
    if expires_at is not None:
        update.set("expires_at", expires_at, if_absent=True)
    _set_named(update, trace, root=root)
    update.set("ended_at", iso(trace.ended_at)).set("latency_ms", trace.latency_ms)
    if trace.error is not None:
        update.set("status", "error").set("error", trace.error)
    else:
        update.set("status", "success", if_absent=True)
    return update


def _set_named(update: Update, trace: Trace, *, root: bool) -> None:
    named: dict[str, Any] = {"name": trace.name, "model": trace.model, "provider": trace.provider}
    if root:
        named |= {"ttft_ms": trace.ttft_ms, "metadata": trace.metadata or None}
        if trace.prompt is not None:
            named |= {"prompt_slug": trace.prompt.slug, "prompt_version": trace.prompt.version}
    for name, value in named.items():
        if value is not None:
            update.set(name, value, if_absent=not root)


def trace_put(trace: Trace, expires_at: int | None) -> dict[str, Any]:
    """A whole trace's item (ingestion)."""
    values: dict[str, Any] = {
        **table.plain_key(table.trace(trace.id)), **listed_keys(trace),
        "name": trace.name, "model": trace.model, "provider": trace.provider,
        "status": trace.status, "input_tokens": trace.usage.input_tokens,
        "output_tokens": trace.usage.output_tokens, "cost_micro_usd": trace.cost_micro_usd,
        "span_count": len(trace.spans), "latency_ms": trace.latency_ms,
        "ttft_ms": trace.ttft_ms, "started_at": iso(trace.started_at),
        "ended_at": iso(trace.ended_at), "error": trace.error,
        "metadata": trace.metadata or None, "expires_at": expires_at,
        "prompt_slug": trace.prompt.slug if trace.prompt else None,
        "prompt_version": trace.prompt.version if trace.prompt else None,
    }  # fmt: skip
    values |= {name: getattr(trace, name) for name in SUMMARY_ONCE}
    return {"Put": {"Item": to_item(values)}}


def span_put(
    span: Span, stats: tuple[str, str], expires_at: int | None, pending_since: int | None
) -> dict[str, Any]:
    """A span's item. A body on its way to S3 puts the span in the sweeper's index (GSI2)
    and keeps its counter item's key, where a loss is counted."""
    values: dict[str, Any] = {
        **table.plain_key(table.span(span.trace_id, span.id)),
        "parent_id": span.parent_id, "name": span.name, "type": span.type,
        "status": span.status, "model": span.model, "provider": span.provider,
        "started_at": iso(span.started_at), "ended_at": iso(span.ended_at),
        "cost_micro_usd": span.cost_micro_usd, "ttft_ms": span.ttft_ms, "error": span.error,
        "body": span.body, "body_key": span.body_key, "expires_at": expires_at,
        "stats_pk": stats[0], "stats_sk": stats[1],
    }  # fmt: skip
    if span.usage is not None:
        values |= {"input_tokens": span.usage.input_tokens,
                   "output_tokens": span.usage.output_tokens}  # fmt: skip
    if span.body == BODY_INLINE:
        values["body_json"] = body_json(span)
    if span.body == BODY_PENDING and pending_since is not None:
        since = table.epoch_key(pending_since)
        values |= {"GSI2PK": table.BODIES_PENDING,
                   "GSI2SK": f"{since}#{span.trace_id}#{span.id}"}  # fmt: skip
    return {"Put": {"Item": to_item(values)}}


def body_json(span: Span) -> str:
    return json.dumps({"input": span.input, "output": span.output}, separators=(",", ":"))


def counters_update(payer_id: str, dims: Dimensions, counters: Counters) -> Update:
    update = Update(table.key(table.stats_pk(payer_id), dims.sort_key))
    for name in COUNTER_FIELDS:
        amount = getattr(counters, name)
        if amount or name == "count":
            update.add(name, amount)
    for index, count in counters.histogram.items():
        update.add(bucket_name(index), count)
    for name in DIMENSION_FIELDS:
        update.set(name, getattr(dims, name), if_absent=True)
    return update


def counters_from(item: dict[str, Any]) -> tuple[Dimensions, Counters]:
    values = from_item(item)
    dims = Dimensions(*(str(values[name]) for name in DIMENSION_FIELDS))
    counters = Counters()
    for name in COUNTER_FIELDS:
        setattr(counters, name, int(values.get(name, 0)))
    counters.histogram = {
        int(name[1:]): int(count)
        for name, count in values.items()
        if len(name) == 3 and name[0] == "h" and name[1:].isdigit()
    }
    return dims, counters


def trace_from(values: dict[str, Any], spans: tuple[Span, ...] = ()) -> Trace:
    version = values.get("prompt_version")
    return Trace(
        id=str(values["PK"]).removeprefix("TRACE#"),
        name=values.get("name", ""), started_at=datetime.fromisoformat(values["started_at"]),
        user_id=values.get("user_id", ""), payer_id=values.get("payer_id", ""),
        ended_at=_time(values.get("ended_at")), model=values.get("model"),
        provider=values.get("provider"), status=values.get("status", "success"),
        usage=Usage(int(values.get("input_tokens", 0)), int(values.get("output_tokens", 0))),
        cost_micro_usd=int(values.get("cost_micro_usd", 0)),
        latency_ms=values.get("latency_ms"), ttft_ms=values.get("ttft_ms"),
        prompt=PromptRef(values["prompt_slug"], int(version)) if version is not None else None,
        experiment_id=values.get("experiment_id"), app_id=values.get("app_id"),
        key_id=values.get("key_id"), error=values.get("error"),
        metadata=values.get("metadata") or {}, source=values.get("source", "gateway"),
        spans=spans,
    )  # fmt: skip


def span_from(trace_id: str, values: dict[str, Any]) -> Span:
    body = json.loads(values["body_json"]) if "body_json" in values else {}
    tokens = values.get("input_tokens"), values.get("output_tokens")
    return Span(
        trace_id, values["SK"].removeprefix(table.SPAN_PREFIX), values.get("parent_id"),
        values.get("name", ""), values.get("type", ""),
        datetime.fromisoformat(values["started_at"]),
        _time(values.get("ended_at")), values.get("status", "success"), values.get("model"),
        values.get("provider"),
        Usage(int(tokens[0]), int(tokens[1] or 0)) if tokens[0] is not None else None,
        values.get("cost_micro_usd"), values.get("ttft_ms"), values.get("error"),
        body.get("input"), body.get("output"), values.get("body"), values.get("body_key"),
    )  # fmt: skip


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
