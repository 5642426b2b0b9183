"""The trace model: ids, the API shape (to_dict), the span tree, contexts and their child
spans, and the latency histogram's percentiles against known latencies."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.domain import trace_stats as stats
from switchboard.domain.trace_queries import TraceFilter
from switchboard.domain.trace_stats import Counters, Dimensions, bucket_of, percentile
from switchboard.domain.traces import (
    BODY_INLINE,
    PromptRef,
    Span,
    Trace,
    TraceContext,
    Usage,
    clean_metadata,
    span_tree,
    take_trace_options,
)
from switchboard.errors import InvalidRequestError

T0 = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)


def span(id: str, parent: str | None, offset: int) -> Span:
    return Span("tr_x", id, parent, id, "llm", T0 + timedelta(seconds=offset), T0)


def test_trace_to_dict_has_the_issue_shape() -> None:
    trace = Trace(
        "tr_" + "a" * 32, "chat.completions", T0, "usr_1", "usr_1",
        ended_at=T0 + timedelta(milliseconds=1500), model="m", provider="p",
        usage=Usage(3, 5), cost_micro_usd=1_234, latency_ms=1500, ttft_ms=200,
        prompt=PromptRef("greet", 2), app_id="app_1", key_id="key_1",
    )  # fmt: skip
    data = trace.to_dict()
    assert data["usage"] == {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}
    assert data["cost_usd"] == "0.001234"
    assert data["started_at"] == "2026-11-30T12:00:00.123Z"
    assert data["ended_at"] == "2026-11-30T12:00:01.623Z"
    assert data["prompt"] == {"slug": "greet", "version": 2}
    expected = {"id", "name", "model", "provider", "status", "usage", "cost_usd", "latency_ms",
                "ttft_ms", "prompt", "experiment_id", "app_id", "key_id", "user_id",
                "started_at", "ended_at", "error", "metadata"}  # fmt: skip
    assert expected <= set(data)
    assert "spans" not in data and trace.to_dict(detail=True)["spans"] == []


def test_spans_nest_under_their_parents_and_orphans_are_roots() -> None:
    spans = [span("c", "a", 2), span("a", None, 0), span("b", "a", 1), span("o", "gone", 3)]
    tree = span_tree(spans)
    assert [s["id"] for s in tree] == ["a", "o"]
    assert [s["id"] for s in tree[0]["children"]] == ["b", "c"]
    assert tree[1]["children"] == []


def test_span_dict_keeps_input_and_output_only_when_captured() -> None:
    captured = Span("tr_x", "s", None, "n", "llm", T0, T0, input="hi", output="yo",
                    body=BODY_INLINE, usage=Usage(1, 2), cost_micro_usd=7)  # fmt: skip
    data = captured.to_dict()
    assert (data["input"], data["output"], data["cost_usd"]) == ("hi", "yo", "0.000007")
    assert "input" not in span("s", None, 0).to_dict()


def test_a_child_context_shares_the_trace_and_points_at_its_parent() -> None:
    ctx = TraceContext.start(name="chat", span_type="llm", now=T0, user_id="u", payer_id="p",
                             capture=False)  # fmt: skip
    ctx.record(input="secret")
    child = ctx.child("file_search", "retrieval", T0 + timedelta(seconds=1))
    assert (child.trace_id, child.parent_id, child.root) == (ctx.trace_id, ctx.span_id, False)
    assert child.span_id != ctx.span_id and not child.capture
    made = ctx.span(T0, model="m", usage=None, cost_micro_usd=None)
    assert made.input is None and made.body is None  # capture off: nothing kept
    assert len(ctx.trace_id) == 35 and len(ctx.span_id) == 16


def test_ttft_is_the_first_token_only() -> None:
    ctx = TraceContext.start(name="c", span_type="llm", now=T0, user_id="u", payer_id="u")
    ctx.first_token(T0 + timedelta(milliseconds=250))
    ctx.first_token(T0 + timedelta(milliseconds=900))
    assert ctx.ttft_ms == 250


def test_metadata_is_bounded_and_stringly() -> None:
    assert clean_metadata("x") == {}
    cleaned = clean_metadata({f"k{i}": i for i in range(40)} | {"none": None})
    assert len(cleaned) == 16 and cleaned["k3"] == "3"


def test_filter_matches_on_every_given_field() -> None:
    trace = Trace("tr_1", "n", T0, "u", "u", model="m", prompt=PromptRef("s", 2))
    assert TraceFilter("u", model="m", prompt_slug="s", prompt_version=2).matches(trace)
    assert not TraceFilter("u", prompt_version=3).matches(trace)
    assert not TraceFilter("u", app_id="app").matches(trace)


# --- the histogram ------------------------------------------------------------------


def test_buckets_are_log_spaced_four_per_doubling() -> None:
    assert bucket_of(0) == bucket_of(1) == 0
    assert bucket_of(2) == 4 and bucket_of(4) == 8 and bucket_of(1024) == 40
    assert bucket_of(10**9) == stats.BUCKETS - 1
    for ms in (3, 17, 250, 999, 60_000):
        index = bucket_of(ms)
        assert 2 ** (index / 4) <= ms < 2 ** ((index + 1) / 4)


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_percentiles_are_exact_to_the_bucket(q: float) -> None:
    latencies = [random.Random(seed).randint(5, 20_000) for seed in range(1000)]
    histogram: dict[int, int] = {}
    for ms in latencies:
        histogram[bucket_of(ms)] = histogram.get(bucket_of(ms), 0) + 1
    true = sorted(latencies)[int(q * len(latencies)) - 1]
    answer = percentile(histogram, q)
    assert answer is not None
    assert bucket_of(true) == bucket_of(answer - 1)  # the true value's bucket, its upper bound
    assert true <= answer <= true * 2**0.25 + 1


def test_percentiles_of_known_latencies() -> None:
    histogram: dict[int, int] = {}
    for ms in [100] * 50 + [400] * 45 + [3000] * 5:
        histogram[bucket_of(ms)] = histogram.get(bucket_of(ms), 0) + 1
    assert percentile(histogram, 0.5) == 108  # 100 in [2^(26/4), 2^(27/4)) = [90.5, 107.6)
    assert percentile(histogram, 0.95) == 431
    assert percentile(histogram, 0.99) == 3445  # 3000 in [2^(46/4), 2^(47/4)) = [2896, 3444.7)
    assert percentile({}, 0.5) is None


def test_counters_sum_per_group() -> None:
    day = Dimensions.of(T0, "m1", None, ("greet", 1), None)
    other = Dimensions.of(T0 + timedelta(days=1), "m2", "app_1", None, None)
    one = stats.request_counters(120, (3, 4), 10, error=False)
    two = stats.request_counters(900, (1, 1), 5, error=True)
    child = stats.request_counters(None, (2, 0), 1, error=False)
    rows = [(day, one), (other, two), (day, child)]
    by_day = stats.grouped(rows, "day")
    assert [g["group"] for g in by_day] == ["2026-11-30", "2026-12-01"]
    assert by_day[0]["count"] == 1 and by_day[0]["usage"]["input_tokens"] == 5
    assert by_day[0]["cost_usd"] == "0.000011"
    assert by_day[1]["error_rate"] == 1.0
    by_prompt = stats.grouped(rows, "prompt")
    assert [g["group"] for g in by_prompt] == [None, "greet@1"]
    assert stats.total(rows)["count"] == 2
    assert Counters().to_dict()["latency_ms"] == {"p50": None, "p95": None, "p99": None}


def test_the_trace_field_is_taken_out_of_a_body() -> None:
    ctx = TraceContext.start(name="c", span_type="llm", now=T0, user_id="u", payer_id="u")
    assert take_trace_options({"model": "m", "trace": None}, ctx) == {"model": "m"}
    body = take_trace_options({"model": "m", "trace": {"capture": False}}, ctx)
    assert body == {"model": "m"} and not ctx.capture
    with pytest.raises(InvalidRequestError) as caught:
        take_trace_options({"trace": {"capture": True, "color": "red"}}, ctx)
    assert caught.value.param == "trace"
