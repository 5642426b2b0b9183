"""Traces as JSON Lines for Amazon Athena (docs/traces.md "Export"): one line per trace
summary, in objects partitioned by UTC day and app:

    trace-export/day=<YYYY-MM-DD>/app=<app id or none>/<window start>-<window end>.jsonl

COLUMNS is the line's schema, as the Glue table in template.yaml declares it (a test holds
the two together); `day` and `app` are the table's partition columns (projected), not in
the lines. Money is integer micro-USD (`cost_micro_usd`), times ISO 8601 strings (Athena:
`from_iso8601_timestamp`). A window's objects have fixed names, so exporting a window again
(a retried run) replaces them rather than adding duplicates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from switchboard.domain.traces import Trace, iso

PREFIX = "trace-export/"
NO_APP = "none"
COLUMNS = (
    ("id", "string"), ("name", "string"), ("source", "string"), ("status", "string"),
    ("model", "string"), ("provider", "string"), ("user_id", "string"),
    ("payer_id", "string"), ("key_id", "string"), ("app_id", "string"),
    ("prompt_slug", "string"), ("prompt_version", "int"), ("experiment_id", "string"),
    ("input_tokens", "bigint"), ("output_tokens", "bigint"), ("total_tokens", "bigint"),
    ("cost_micro_usd", "bigint"), ("latency_ms", "bigint"), ("ttft_ms", "bigint"),
    ("started_at", "string"), ("ended_at", "string"), ("error_type", "string"),
    ("error_message", "string"), ("metadata", "map<string,string>"),
)  # fmt: skip
PARTITIONS = (("day", "string"), ("app", "string"))


def row(trace: Trace) -> dict[str, Any]:
    error = trace.error or {}
    values: dict[str, Any] = {
        "id": trace.id, "name": trace.name, "source": trace.source, "status": trace.status,
        "model": trace.model, "provider": trace.provider, "user_id": trace.user_id,
        "payer_id": trace.payer_id, "key_id": trace.key_id, "app_id": trace.app_id,
        "prompt_slug": trace.prompt.slug if trace.prompt else None,
        "prompt_version": trace.prompt.version if trace.prompt else None,
        "experiment_id": trace.experiment_id, "input_tokens": trace.usage.input_tokens,
        "output_tokens": trace.usage.output_tokens, "total_tokens": trace.usage.total_tokens,
        "cost_micro_usd": trace.cost_micro_usd, "latency_ms": trace.latency_ms,
        "ttft_ms": trace.ttft_ms, "started_at": iso(trace.started_at),
        "ended_at": iso(trace.ended_at), "error_type": error.get("type"),
        "error_message": error.get("message"), "metadata": dict(trace.metadata),
    }  # fmt: skip
    return values


def partition(trace: Trace) -> tuple[str, str]:
    return trace.started_at.strftime("%Y-%m-%d"), trace.app_id or NO_APP


def object_key(day: str, app: str, start: datetime, end: datetime) -> str:
    window = f"{start.strftime('%Y%m%dT%H%M%SZ')}-{end.strftime('%Y%m%dT%H%M%SZ')}"
    return f"{PREFIX}day={day}/app={app}/{window}.jsonl"


def objects(traces: list[Trace], start: datetime, end: datetime) -> dict[str, bytes]:
    """The window's objects: {key: JSON Lines}, one per (day, app) it holds traces of."""
    lines: dict[tuple[str, str], list[str]] = defaultdict(list)
    for trace in traces:
        lines[partition(trace)].append(json.dumps(row(trace), separators=(",", ":")))
    return {
        object_key(day, app, start, end): ("\n".join(found) + "\n").encode()
        for (day, app), found in sorted(lines.items())
    }
