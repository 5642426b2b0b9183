"""Trace, span and counter items (adapters/aws/traces.py writes and reads them; keys in
table.py). Captured input and output are kept as one JSON string (`body_json`): DynamoDB has
no floats in the low-level shape, and the size is then what the item pays."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import from_item, to_attr, to_item
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
LISTED_KEYS = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
SUMMARY_ADDED = ["input_tokens", "output_tokens", "cost_micro_usd", "span_count"]
COUNTER_FIELDS = ("count", "errors", "input_tokens", "output_tokens", "cost_micro_usd",
                  "lost_bodies")  # fmt: skip
DIMENSION_FIELDS = ("day", "model", "app_id", "prompt", "experiment_id")


def listed_keys(trace: Trace) -> dict[str, str]:
    """The trace item's index keys: its payer's list (GSI1) and the day's (GSI2)."""
    order = f"{iso(trace.started_at)}#{trace.id}"
    day = trace.started_at.strftime("%Y-%m-%d")
    return {"GSI1PK": table.traces_of(trace.payer_id), "GSI1SK": order,
            "GSI2PK": table.traces_on(day), "GSI2SK": order}  # fmt: skip


def summary_update(trace: Trace, *, root: bool, expires_at: int | None) -> dict[str, Any]:
    """One span's share of its trace's summary: tokens and cost added, the trace's own
    fields set once (the request's own span overwrites name, model, ttft), the end and
    latency of the latest span to settle, and the status: any error makes it "error".
    What the request's own span does not know (None) keeps what another span wrote (an
    OTLP root sent after its model's span). Its expression depends only on (root, error,
    which of those are None), so it is composed once per case (this runs in every traced
    settlement: docs/traces.md)."""
    once = listed_keys(trace) | {
        "started_at": iso(trace.started_at), "user_id": trace.user_id,
        "payer_id": trace.payer_id, "source": trace.source, "app_id": trace.app_id,
        "key_id": trace.key_id, "experiment_id": trace.experiment_id, "expires_at": expires_at,
    }  # fmt: skip
    named: dict[str, Any] = {"name": trace.name, "model": trace.model, "provider": trace.provider}
    if root:
        prompt = trace.prompt
        named |= {"ttft_ms": trace.ttft_ms, "metadata": trace.metadata,
                  "prompt_slug": prompt.slug if prompt else None,
                  "prompt_version": prompt.version if prompt else None}  # fmt: skip
    last: dict[str, Any] = {"ended_at": iso(trace.ended_at), "latency_ms": trace.latency_ms,
            "status": "error" if trace.error else "success"}  # fmt: skip
    if trace.error is not None:
        last["error"] = trace.error
    added = (trace.usage.input_tokens, trace.usage.output_tokens, trace.cost_micro_usd, 1)
    unknown = tuple(value is None for value in named.values()) if root else ()
    expression, names = _summary_expression(root, trace.error is not None, unknown)
    values = [*once.values(), *named.values(), *last.values(), *added]
    return {"Update": {
        "Key": table.trace(trace.id), "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {f":v{i}": _attr(v) for i, v in enumerate(values)},
    }}  # fmt: skip


def summary_put(trace: Trace, expires_at: int | None) -> dict[str, Any]:
    """The summary of a trace whose first span this is (the gateway's request span, before
    any other span of its trace was written): what `summary_update` would make of nothing,
    as the Put of a whole trace's item (half that update's size, and cheaper to apply), on
    the condition that no summary is there yet; if one is (a span of the same trace came in
    meanwhile), the transaction fails and the writer uses `summary_update`."""
    status = "error" if trace.error else "success"
    put = trace_put(replace(trace, status=status), expires_at, span_count=1)
    put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
    return put


def _attr(value: Any) -> dict[str, Any]:
    """to_attr, its common cases first (every traced settlement encodes some 50 values)."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is int:
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    return to_attr(value)


@functools.cache
def _summary_expression(
    root: bool, error: bool, unknown: tuple[bool, ...] = ()
) -> tuple[str, dict[str, str]]:
    once = [*LISTED_KEYS, "started_at", "user_id", "payer_id", "source", "app_id", "key_id",
            "experiment_id", "expires_at"]  # fmt: skip
    named = ["name", "model", "provider"]
    if root:
        named += ["ttft_ms", "metadata", "prompt_slug", "prompt_version"]
    last = ["ended_at", "latency_ms", "status"] + (["error"] if error else [])
    names = [*once, *named, *last]
    sets = [f"#n{i} = if_not_exists(#n{i}, :v{i})" for i in range(len(once))]
    for k, i in enumerate(range(len(once), len(once) + len(named))):
        overwrite = root and not (k < len(unknown) and unknown[k])
        sets.append(f"#n{i} = :v{i}" if overwrite else f"#n{i} = if_not_exists(#n{i}, :v{i})")
    for i in range(len(once) + len(named), len(names)):
        keep = names[i] == "status" and not error  # "error" once any span failed
        sets.append(f"#n{i} = if_not_exists(#n{i}, :v{i})" if keep else f"#n{i} = :v{i}")
    first = len(names)
    adds = ", ".join(f"#n{first + j} :v{first + j}" for j in range(len(SUMMARY_ADDED)))
    names += SUMMARY_ADDED
    expression = f"SET {', '.join(sets)} ADD {adds}"
    return expression, {f"#n{i}": name for i, name in enumerate(names)}


def trace_put(
    trace: Trace, expires_at: int | None, *, span_count: int | None = None
) -> dict[str, Any]:
    """A whole trace's item (ingestion; `summary_put`): `span_count` its spans', if not
    `trace.spans`."""
    values: dict[str, Any] = {
        **table.plain_key(table.trace(trace.id)), **listed_keys(trace),
        "name": trace.name, "model": trace.model, "provider": trace.provider,
        "status": trace.status, "input_tokens": trace.usage.input_tokens,
        "output_tokens": trace.usage.output_tokens, "cost_micro_usd": trace.cost_micro_usd,
        "span_count": len(trace.spans) if span_count is None else span_count,
        "latency_ms": trace.latency_ms,
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
    and keeps its counter item's key, where a loss is counted (only such a span keeps it)."""
    values: dict[str, Any] = {
        **table.plain_key(table.span(span.trace_id, span.id)),
        "parent_id": span.parent_id, "name": span.name, "type": span.type,
        "status": span.status, "model": span.model, "provider": span.provider,
        "started_at": iso(span.started_at), "ended_at": iso(span.ended_at),
        "cost_micro_usd": span.cost_micro_usd, "ttft_ms": span.ttft_ms, "error": span.error,
        "body": span.body, "body_key": span.body_key, "expires_at": expires_at,
    }  # fmt: skip
    if span.usage is not None:
        values |= {"input_tokens": span.usage.input_tokens,
                   "output_tokens": span.usage.output_tokens}  # fmt: skip
    if span.body == BODY_INLINE:
        values["body_json"] = body_json(span)
    if span.body == BODY_PENDING:  # where its loss would be counted
        values |= {"stats_pk": stats[0], "stats_sk": stats[1]}
    if span.body == BODY_PENDING and pending_since is not None:
        since = table.epoch_key(pending_since)
        values |= {"GSI2PK": table.BODIES_PENDING,
                   "GSI2SK": f"{since}#{span.trace_id}#{span.id}"}  # fmt: skip
    return {"Put": {"Item": to_item(values)}}


def body_json(span: Span) -> str:
    if span.body_json is not None:
        return span.body_json
    return json.dumps({"input": span.input, "output": span.output}, separators=(",", ":"))


def counters_update(payer_id: str, dims: Dimensions, counters: Counters) -> dict[str, Any]:
    """ADD the counters (and the histogram's buckets) to the item of these dimensions; a
    counter other than `count` that adds 0 is left out (a reader takes absent for 0)."""
    added = {"#c": ("count", counters.count), "#e": ("errors", counters.errors),
             "#i": ("input_tokens", counters.input_tokens),
             "#o": ("output_tokens", counters.output_tokens),
             "#m": ("cost_micro_usd", counters.cost_micro_usd),
             "#l": ("lost_bodies", counters.lost_bodies)}  # fmt: skip
    kept = {alias: pair for alias, pair in added.items() if pair[1] or alias == "#c"}
    names = {alias: name for alias, (name, _) in kept.items()}
    values = {alias.replace("#", ":"): value for alias, (_, value) in kept.items()}
    adds = [f"{name} {name.replace('#', ':')}" for name in names]
    for n, (index, count) in enumerate(counters.histogram.items()):
        names[f"#h{n}"], values[f":h{n}"] = bucket_name(index), count
        adds.append(f"#h{n} :h{n}")
    sets = []
    for n, name in enumerate(DIMENSION_FIELDS):
        names[f"#d{n}"], values[f":d{n}"] = name, getattr(dims, name)
        sets.append(f"#d{n} = if_not_exists(#d{n}, :d{n})")
    return {"Update": {
        "Key": table.key(table.stats_pk(payer_id), dims.sort_key),
        "UpdateExpression": f"ADD {', '.join(adds)} SET {', '.join(sets)}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {alias: _attr(v) for alias, v in values.items()},
    }}  # fmt: skip


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
