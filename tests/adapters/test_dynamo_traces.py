"""Traces on DynamoDB (moto's server): a span's writes build the trace summary and the
counters; lists page newest first with filters, by payer (GSI1) and for admins by day
(GSI2); a pending body is stored, or lost and counted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.adapters.aws.dynamo import Cancelled
from switchboard.adapters.aws.traces import DynamoTraceRepository
from switchboard.bootstrap import Container
from switchboard.domain import trace_stats as stats
from switchboard.domain.trace_queries import TraceFilter
from switchboard.domain.traces import (
    BODY_LOST,
    BODY_PENDING,
    BODY_STORED,
    PromptRef,
    Trace,
    TraceContext,
    Usage,
)
from switchboard.errors import InvalidRequestError

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(services: Container) -> DynamoTraceRepository:
    return services.trace_repo


@pytest.fixture
def payer() -> str:
    return f"usr_{uuid.uuid4().hex[:12]}"


def record_span(
    store: DynamoTraceRepository,
    ctx: TraceContext,
    *,
    ended: datetime,
    model: str = "m1",
    usage: Usage | None = None,
    cost: int = 100,
    error: dict[str, str] | None = None,
    body: str | None = None,
    first: bool = False,
) -> None:
    usage = usage or Usage(3, 4)
    span = ctx.span(ended, model=model, usage=usage, cost_micro_usd=cost, error=error)
    if body is not None:
        span = span.__class__(**{**{f: getattr(span, f) for f in span.__slots__}, "body": body,
                                 "input": None, "output": None})  # fmt: skip
    latency = round((ended - ctx.trace_started_at).total_seconds() * 1000)
    trace = Trace(ctx.trace_id, ctx.name, ctx.trace_started_at, ctx.user_id, ctx.payer_id,
                  ended_at=ended, model=model, usage=usage, cost_micro_usd=cost,
                  latency_ms=latency, ttft_ms=ctx.ttft_ms if ctx.root else None,
                  prompt=ctx.prompt, app_id=ctx.app_id, key_id=ctx.key_id, error=error,
                  metadata=ctx.metadata)  # fmt: skip
    tokens = (usage.input_tokens, usage.output_tokens)
    counted = latency if ctx.root else None
    counters = stats.request_counters(counted, tokens, cost, error=error is not None)
    dims = stats.Dimensions.of(ctx.trace_started_at, model, ctx.app_id, None, None)
    writes = store.span_writes(trace, span, counters, dims, root=ctx.root, expires_at=None,
                               first=first)  # fmt: skip
    store.record(writes)


def start(payer: str, at: datetime, **fields: object) -> TraceContext:
    return TraceContext.start(name="chat.completions", span_type="llm", now=at,
                              user_id=payer, payer_id=payer, **fields)  # fmt: skip


def test_spans_add_up_in_the_trace_and_the_counters(
    store: DynamoTraceRepository, payer: str
) -> None:
    ctx = start(payer, T0, key_id="key_1", prompt=PromptRef("greet", 2))
    ctx.record(input=[{"role": "user", "content": "hi"}], output="hello")
    ctx.first_token(T0 + timedelta(milliseconds=80))
    retrieval = ctx.child("file_search", "retrieval", T0)
    record_span(store, retrieval, ended=T0 + timedelta(milliseconds=50), model="emb",
                usage=Usage(5, 0), cost=2)  # fmt: skip
    record_span(store, ctx, ended=T0 + timedelta(milliseconds=300))
    trace = store.get(ctx.trace_id, now=0)
    assert trace is not None
    assert (trace.name, trace.model, trace.status) == ("chat.completions", "m1", "success")
    assert (trace.usage, trace.cost_micro_usd) == (Usage(8, 4), 102)
    assert (trace.latency_ms, trace.ttft_ms, trace.prompt) == (300, 80, PromptRef("greet", 2))
    root = next(s for s in trace.spans if s.parent_id is None)
    assert (root.input, root.output, root.body) == ([{"role": "user", "content": "hi"}],
                                                    "hello", "inline")  # fmt: skip
    tree = trace.to_dict(detail=True)["spans"]
    assert [s["type"] for s in tree] == ["llm"]
    assert [s["type"] for s in tree[0]["children"]] == ["retrieval"]
    rows = store.stats(payer, "2026-11-30", "2026-11-30")
    summed = stats.total(rows)
    assert summed["count"] == 1 and summed["usage"]["total_tokens"] == 12
    assert summed["cost_usd"] == "0.000102" and summed["latency_ms"]["p50"] == 305


def test_a_first_span_writes_the_summary_the_update_would(
    store: DynamoTraceRepository, payer: str
) -> None:
    """The request's own span, first of its trace, puts the summary whole: the same trace,
    read back, as the update makes of nothing; and a later span adds to it."""
    read = []
    for first in (False, True):
        ctx = start(payer, T0, key_id="key_1", prompt=PromptRef("greet", 2),
                    metadata={"team": "a"})  # fmt: skip
        ctx.record(input=[{"role": "user", "content": "hi"}], output="hello")
        ctx.first_token(T0 + timedelta(milliseconds=80))
        record_span(store, ctx, ended=T0 + timedelta(milliseconds=300), first=first)
        trace = store.get(ctx.trace_id, now=0)
        assert trace is not None
        read.append(trace.to_dict(detail=True) | {"id": None, "spans": None})
    assert read[0] == read[1]
    assert read[1]["metadata"] == {"team": "a"} and read[1]["status"] == "success"
    later = ctx.child("tool round 2", "llm", T0, continues=True)
    record_span(store, later, ended=T0 + timedelta(seconds=2), usage=Usage(1, 1), cost=5)
    trace = store.get(ctx.trace_id, now=0)
    assert trace is not None and (trace.usage, trace.cost_micro_usd) == (Usage(4, 5), 105)
    assert len(trace.spans) == 2 and trace.latency_ms == 2000


def test_a_first_span_writes_nothing_over_a_summary_already_there(
    store: DynamoTraceRepository, payer: str
) -> None:
    ctx = start(payer, T0)
    early = ctx.child("file_search", "retrieval", T0)
    record_span(store, early, ended=T0 + timedelta(milliseconds=50), cost=2)
    with pytest.raises(Cancelled) as refused:
        record_span(store, ctx, ended=T0 + timedelta(milliseconds=300), first=True)
    assert [refused.value.failed(i) for i in range(3)] == [False, True, False]  # the summary
    trace = store.get(ctx.trace_id, now=0)
    assert trace is not None and [s.name for s in trace.spans] == ["file_search"]
    assert trace.cost_micro_usd == 2


def test_an_error_span_makes_the_trace_an_error(store: DynamoTraceRepository, payer: str) -> None:
    ctx = start(payer, T0)
    record_span(store, ctx, ended=T0 + timedelta(seconds=1))
    later = ctx.child("tool round 2", "llm", T0)
    record_span(store, later, ended=T0 + timedelta(seconds=2), usage=Usage(0, 0), cost=0,
                error={"type": "upstream_error", "message": "boom"})  # fmt: skip
    trace = store.get(ctx.trace_id, now=0)
    assert trace is not None and trace.status == "error" and trace.latency_ms == 2000
    assert trace.error == {"type": "upstream_error", "message": "boom"}


def test_lists_page_newest_first_with_filters(store: DynamoTraceRepository, payer: str) -> None:
    ids = []
    for n in range(7):
        ctx = start(payer, T0 + timedelta(minutes=n), app_id="app_1" if n % 2 else None)
        record_span(store, ctx, ended=ctx.started_at + timedelta(seconds=1),
                    model="m2" if n == 3 else "m1")  # fmt: skip
        ids.append(ctx.trace_id)
    seen, cursor = [], None
    while True:
        page = store.list_traces(TraceFilter(payer), limit=3, cursor=cursor)
        seen += [t.id for t in page.traces]
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    assert seen == ids[::-1]
    apps = store.list_traces(TraceFilter(payer, app_id="app_1"), limit=2, cursor=None)
    assert [t.id for t in apps.traces] == [ids[5], ids[3]] and apps.has_more
    rest = store.list_traces(TraceFilter(payer, app_id="app_1"), limit=2, cursor=apps.next_cursor)
    assert [t.id for t in rest.traces] == [ids[1]] and not rest.has_more
    ranged = TraceFilter(payer, start=T0 + timedelta(minutes=2), end=T0 + timedelta(minutes=4))
    assert [t.id for t in store.list_traces(ranged, limit=10, cursor=None).traces] == ids[4:1:-1]
    only = store.list_traces(TraceFilter(payer, model="m2"), limit=10, cursor=None)
    assert [t.id for t in only.traces] == [ids[3]]
    assert store.list_traces(TraceFilter("usr_nobody"), limit=5, cursor=None).traces == []
    with pytest.raises(InvalidRequestError):
        store.list_traces(TraceFilter(payer), limit=5, cursor="not-a-cursor")


def test_admins_list_everyones_traces_by_day(store: DynamoTraceRepository, payer: str) -> None:
    other = payer + "x"
    base = datetime(2031, 1, 5, 23, 59, tzinfo=UTC)  # a day no other test writes
    mine, theirs = start(payer, base), start(other, base + timedelta(minutes=2))
    for ctx in (mine, theirs):
        record_span(store, ctx, ended=ctx.started_at + timedelta(seconds=1))
    everyone = TraceFilter(None, start=base - timedelta(days=1), end=base + timedelta(days=1))
    page = store.list_traces(everyone, limit=1, cursor=None)
    assert [t.id for t in page.traces] == [theirs.trace_id] and page.has_more
    rest = store.list_traces(everyone, limit=5, cursor=page.next_cursor)
    assert [t.id for t in rest.traces] == [mine.trace_id]


def test_a_pending_body_is_stored_or_lost_and_counted(
    store: DynamoTraceRepository, payer: str
) -> None:
    kept, lost = start(payer, T0), start(payer, T0)
    for ctx in (kept, lost):
        record_span(store, ctx, ended=T0, body=BODY_PENDING)
    moment = int(T0.timestamp())
    pending = store.pending_bodies(moment + 601)
    assert {(kept.trace_id, kept.span_id), (lost.trace_id, lost.span_id)} <= set(pending)
    assert store.pending_bodies(moment) == [] or (kept.trace_id, kept.span_id) not in set(
        store.pending_bodies(moment)
    )
    assert store.body_stored(kept.trace_id, kept.span_id)
    assert store.lose_body(lost.trace_id, lost.span_id)
    assert not store.lose_body(lost.trace_id, lost.span_id)  # once
    assert not store.lose_body(kept.trace_id, kept.span_id)  # it was stored
    assert not store.body_stored(lost.trace_id, lost.span_id)
    bodies = {t.id: t.spans[0].body for t in (store.get(kept.trace_id, 0), store.get(
        lost.trace_id, 0)) if t}  # fmt: skip
    assert bodies == {kept.trace_id: BODY_STORED, lost.trace_id: BODY_LOST}
    left = set(store.pending_bodies(moment + 601))
    assert (kept.trace_id, kept.span_id) not in left and (lost.trace_id, lost.span_id) not in left
    assert stats.total(store.stats(payer, "2026-11-30", "2026-11-30"))["lost_bodies"] == 1


def test_an_expired_trace_is_gone(store: DynamoTraceRepository, payer: str) -> None:
    ctx = start(payer, T0)
    span = ctx.span(T0, model="m", usage=Usage(1, 1), cost_micro_usd=1)
    trace = Trace(ctx.trace_id, "n", T0, payer, payer, ended_at=T0, latency_ms=0)
    counters = stats.request_counters(0, (1, 1), 1, error=False)
    dims = stats.Dimensions.of(T0, "m", None, None, None)
    store.record(store.span_writes(trace, span, counters, dims, root=True, expires_at=100))
    assert store.get(ctx.trace_id, now=99) is not None
    assert store.get(ctx.trace_id, now=100) is None
    assert store.list_traces(TraceFilter(payer), limit=5, cursor=None, now=100).traces == []
