"""OTLP spans onto the trace model (domain/otlp.py): ids and times, the GenAI conventions in
their current and older spellings, grouping, roots and refusals."""

from __future__ import annotations

from typing import Any

from switchboard.domain.genai import any_value
from switchboard.domain.otlp import PART_SPANS, traces_of

TRACE = "0af7651916cd43dd8448eb211c80319c"
START = 1_764_496_800_000_000_000


def span(span_id: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {
        "traceId": fields.pop("traceId", TRACE),
        "spanId": span_id,
        "name": "s",
        "startTimeUnixNano": START,
        "endTimeUnixNano": START + 5_000_000,
    }
    return body | ({"parentSpanId": parent} if parent else {}) | fields


def kv(key: str, **value: Any) -> dict[str, Any]:
    return {"key": key, "value": value}


def batch(*spans: dict[str, Any], resource: list[Any] | None = None) -> Any:
    request = {
        "resourceSpans": [
            {"resource": {"attributes": resource or []}, "scopeSpans": [{"spans": list(spans)}]}
        ]
    }
    return traces_of(request, user_id="usr_1", payer_id="usr_1")


def test_any_values_become_plain_json() -> None:
    kvlist = {"kvlistValue": {"values": [kv("a", intValue="3"), kv("b", boolValue=True)]}}
    array = {"arrayValue": {"values": [{"stringValue": "x"}, {"doubleValue": 1.5}, kvlist]}}
    assert any_value(array) == ["x", 1.5, {"a": 3, "b": True}]
    assert any_value({"intValue": "nope"}) is None and any_value({}) is None


def test_older_conventions_system_prompt_tokens_and_message_events() -> None:
    events = [
        {"name": "gen_ai.system.message", "attributes": [kv("content", stringValue="Be brief")]},
        {
            "name": "gen_ai.user.message",
            "body": {"kvlistValue": {"values": [kv("content", stringValue="Hi")]}},
        },
        {"name": "gen_ai.choice", "attributes": [kv("finish_reason", stringValue="stop")]},
    ]
    attributes = [
        kv("gen_ai.system", stringValue="anthropic"),
        kv("gen_ai.request.model", stringValue="claude"),
        kv("gen_ai.usage.prompt_tokens", intValue=4),
        kv("gen_ai.usage.completion_tokens", intValue="6"),
    ]
    result = batch(span("00f067aa0ba902b7", attributes=attributes, events=events))
    [share] = result.traces
    [got] = share.trace.spans
    assert (got.provider, got.model, got.type) == ("anthropic", "claude", "span")
    assert got.usage is not None and (got.usage.input_tokens, got.usage.output_tokens) == (4, 6)
    assert got.input == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Hi"},
    ]
    assert got.output == [{"finish_reason": "stop"}]


def test_prompt_and_completion_attributes_and_status_by_name() -> None:
    attributes = [
        kv("gen_ai.prompt", stringValue="plain question"),
        kv("gen_ai.completion", stringValue='[{"role": "assistant"}]'),
        kv("error.type", stringValue="timeout"),
    ]
    status = {"code": "STATUS_CODE_ERROR", "message": "took too long"}
    [share] = batch(span("00f067aa0ba902b7", attributes=attributes, status=status)).traces
    [got] = share.trace.spans
    assert (got.input, got.output) == ("plain question", [{"role": "assistant"}])
    assert got.error == {"type": "timeout", "message": "took too long"}
    assert share.trace.status == "error"


def test_spans_group_by_trace_and_the_root_is_the_one_without_a_parent() -> None:
    other = "1" * 32
    result = batch(
        span("a" * 16, name="root", endTimeUnixNano=START + 9_000_000),
        span("b" * 16, "a" * 16, name="child"),
        span("c" * 16, "d" * 16, name="orphan", traceId=other),
        resource=[kv("service.name", stringValue="svc"), kv("host.name", stringValue="h")],
    )
    shares = {share.trace.id: share for share in result.traces}
    assert set(shares) == {f"tr_{TRACE}", f"tr_{other}"}
    first, orphan = shares[f"tr_{TRACE}"], shares[f"tr_{other}"]
    assert first.root and first.trace.name == "root" and first.trace.latency_ms == 9
    assert first.trace.metadata == {"service.name": "svc"}
    assert not orphan.root and orphan.trace.name == "orphan"


def test_bad_spans_are_refused_one_by_one() -> None:
    result = batch(
        span("a" * 16),
        span("0" * 16),
        span("b" * 16, traceId="abc"),
        span("c" * 16, startTimeUnixNano="soon"),
        span("d" * 16, parentSpanId="zz"),
        "not a span",  # type: ignore[arg-type]
    )
    assert result.rejected == 5 and len(result.traces[0].trace.spans) == 1
    assert "spanId must not be all zeros" in result.error_message


def test_a_large_trace_is_cut_into_parts_only_one_of_them_root() -> None:
    big = {"key": "gen_ai.prompt", "value": {"stringValue": "x" * 30_000}}
    spans = [span("a" * 16, name="root")]
    spans += [span(f"{i + 1:016x}", "a" * 16, attributes=[big]) for i in range(PART_SPANS + 3)]
    [share] = batch(*spans).traces
    parts = share.parts()
    assert sum(len(part.trace.spans) for part in parts) == PART_SPANS + 4
    assert all(len(part.trace.spans) <= PART_SPANS for part in parts) and len(parts) >= 3
    assert [part.root for part in parts].count(True) == 1
    assert parts[0].root and parts[0].trace.name == "root"
    assert all(part.trace.name == "s" for part in parts[1:])
