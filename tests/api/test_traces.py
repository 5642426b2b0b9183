"""Traces of the gateway's calls, through the platform's ASGI app and the workers' services:
every landed endpoint leaves a trace whose cost is the ledger's charge, written in the
settlement's own transaction (no DynamoDB call more per request), with tool rounds and
file_search retrieval as child spans; capture switches; the monitor's routes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.money import format_usd
from tests.api.test_app_inference import new_app
from tests.api.test_file_search import EMBED, QUESTION, REFUNDS, completed_store, file_search
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]


def chat(model: str = "fake-chat", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": HELLO} | extra


async def traces(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await http.get("/monitor/traces", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and set(body) == {"object", "data", "has_more", "next_cursor"}
    return list(body["data"])


async def only_trace(http: httpx.AsyncClient) -> dict[str, Any]:
    """The caller's one trace, in detail."""
    (listed,) = await traces(http)
    detail = await http.get(f"/monitor/traces/{listed['id']}")
    assert detail.status_code == 200, detail.text
    return dict(detail.json())


def spent(services: Container, user: User, opening: int = 10_000_000) -> str:
    return format_usd(opening - ledger_state(services.ledger_repo, user.user_id)[0])


def flatten(spans: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for span in spans:
        yield span
        yield from flatten(span["children"])


@pytest.fixture
def dynamodb_calls(services: Container) -> Iterator[list[str]]:
    """The operation of every DynamoDB call the shared client makes."""
    calls: list[str] = []
    client = services.client("dynamodb")

    def count(operation: str, params: dict[str, Any]) -> None:
        calls.append(operation)

    client.observers.append(count)
    yield calls
    client.observers.remove(count)


async def test_a_chat_completion_leaves_a_trace_with_the_ledgers_cost(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        answer = await http.post("/v1/chat/completions", json=chat(metadata=None))
        assert answer.status_code == 200, answer.text
        trace = await only_trace(http)
    assert trace["cost_usd"] == spent(services, user) == answer.json()["usage"]["cost_usd"]
    assert (trace["name"], trace["model"], trace["status"]) == ("chat.completions", "fake-chat",
                                                                "success")  # fmt: skip
    usage = answer.json()["usage"]
    assert trace["usage"] == {"input_tokens": usage["prompt_tokens"],
                              "output_tokens": usage["completion_tokens"],
                              "total_tokens": usage["total_tokens"]}  # fmt: skip
    assert trace["user_id"] == user.user_id and trace["key_id"].startswith("key_")
    assert trace["latency_ms"] >= 0 and trace["ttft_ms"] is None and trace["error"] is None
    (span,) = trace["spans"]
    assert span["type"] == "llm" and span["input"] == HELLO and span["body"] == "inline"
    assert (
        span["output"][0]["message"]["content"] == answer.json()["choices"][0]["message"]["content"]
    )
    assert span["cost_usd"] == trace["cost_usd"]


async def test_tracing_adds_no_dynamodb_call_to_a_request(
    services: Container, new_user: Callable[..., User], connect: Any, dynamodb_calls: list[str]
) -> None:
    tracing = services.billing.tracing
    counted: dict[bool, list[str]] = {}
    async with connect(new_user()) as http:
        await http.post("/v1/chat/completions", json=chat())  # the key, cached from now on
        for traced in (False, True):
            services.billing.tracing = tracing if traced else None
            try:
                dynamodb_calls.clear()
                response = await http.post("/v1/chat/completions", json=chat())
                assert response.status_code == 200
                counted[traced] = list(dynamodb_calls)
            finally:
                services.billing.tracing = tracing
        assert len(await traces(http)) == 2  # the first request's, and the traced one's
    assert counted[True] == counted[False] == ["UpdateItem", "TransactWriteItems"]


async def test_a_stream_has_its_time_to_first_token(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        streamed = await http.post("/v1/chat/completions", json=chat(stream=True))
        assert streamed.status_code == 200
        trace = await only_trace(http)
    assert trace["ttft_ms"] is not None and 0 <= trace["ttft_ms"] <= trace["latency_ms"]
    assert trace["cost_usd"] == spent(services, user) != "0.000000"
    assert trace["spans"][0]["output"] and trace["spans"][0]["ttft_ms"] == trace["ttft_ms"]


async def test_embeddings_and_kits_leave_traces(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        embedded = await http.post("/v1/embeddings", json={"model": "fake-embed", "input": "hi"})
        assert embedded.status_code == 200, embedded.text
        kits = (await http.get("/v1/kits")).json()["data"]
        run = {"kit": kits[0]["id"], "input": {"prompt": "Switchboard traces every call."}}
        ran = await http.post("/v1/kits/run", json=run)
        assert ran.status_code == 200, ran.text
        listed = await traces(http)
    assert [t["name"] for t in listed] == ["kits.run", "embeddings"]
    kit, embedding = listed
    assert embedding["usage"]["input_tokens"] == embedded.json()["usage"]["prompt_tokens"]
    assert kit["model"] is not None and kit["status"] == "success"
    total = sum(int(t["cost_usd"].replace(".", "")) for t in listed)
    assert format_usd(total) == spent(services, user)


async def test_tool_rounds_are_child_spans_of_one_trace(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    user = new_user()
    script = "script: calculator 6*7 | calculator 2**10"
    ask = {"model": "tool-caller", "use_tools": True,
           "messages": [{"role": "user", "content": script}]}  # fmt: skip
    async with connect(user) as http:
        response = await http.post("/v1/chat/completions", json=ask)
        assert response.status_code == 200, response.text
        trace = await only_trace(http)
    (root,) = trace["spans"]
    assert [s["name"] for s in root["children"]] == ["round 2", "round 3"]
    assert all(s["type"] == "llm" for s in flatten(trace["spans"]))
    assert trace["cost_usd"] == spent(services, user) == response.json()["usage"]["cost_usd"]
    assert trace["name"] == "chat.completions" and trace["model"] == "tool-caller"


async def test_file_search_retrieval_is_a_child_span(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        store_id = await completed_store(http, services, **{"refunds.md": REFUNDS})
        opening = ledger_state(services.ledger_repo, user.user_id)[0]
        ask = {"model": "fake-chat", "messages": [QUESTION], "tools": [file_search(store_id)]}
        response = await http.post("/v1/chat/completions", json=ask)
        assert response.status_code == 200, response.text
        chats = await traces(http, model="fake-chat")
        assert len(chats) == 1
        trace = (await http.get(f"/monitor/traces/{chats[0]['id']}")).json()
    (root,) = trace["spans"]
    (retrieval,) = root["children"]
    seen = (retrieval["name"], retrieval["type"], retrieval["model"])
    assert seen == ("file_search", "retrieval", EMBED)
    assert trace["cost_usd"] == spent(services, user, opening) != "0.000000"


async def test_a_queued_request_is_traced_by_its_worker(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        submitted = await http.post("/v1/ai", json={"model": "fake-chat", "prompt": "Say hi"})
        assert submitted.status_code == 202, submitted.text
        await services.queue.process({"request_id": submitted.json()["request_id"]})
        trace = await only_trace(http)
    assert (trace["name"], trace["model"], trace["status"]) == ("ai", "fake-chat", "success")
    assert trace["metadata"] == {"request_id": submitted.json()["request_id"]}
    assert trace["cost_usd"] == spent(services, user) != "0.000000"
    assert trace["spans"][0]["input"][-1]["content"] == "Say hi"


async def test_a_queued_request_keeps_its_capture_switch_for_the_worker(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as http:
        body = {"model": "fake-chat", "prompt": "Say hi", "trace": {"capture": False}}
        submitted = await http.post("/v1/ai", json=body)
        assert submitted.status_code == 202, submitted.text
        await services.queue.process({"request_id": submitted.json()["request_id"]})
        trace = await only_trace(http)
    assert "input" not in trace["spans"][0] and trace["usage"]["total_tokens"] > 0


async def test_a_batch_line_is_traced(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from tests.services.test_batch_runs import chat as line
    from tests.services.test_batch_runs import jsonl
    from tests.support.batch_rig import make_rig

    user = new_user()
    rig = make_rig(services)
    batch = await rig.start(user.user_id, jsonl([line("a")]))
    await rig.drive(batch.batch_id)
    async with connect(user) as http:
        trace = await only_trace(http)
    assert trace["name"] == "batch.line" and trace["model"] == "local-chat"
    assert trace["metadata"] == {"batch_id": batch.batch_id, "line": "1"}
    assert trace["cost_usd"] == spent(services, user)


async def test_a_video_job_is_traced_when_it_settles(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from tests.support.video_rig import drive

    user = new_user()
    async with connect(user) as http:
        body = {"model": "local-video", "prompt": "A red fox", "duration": 2, "resolution": "480p"}
        submitted = await http.post("/v1/videos/completions", json=body)
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["job_id"]
        await drive(services, job_id)
        trace = await only_trace(http)
    assert (trace["name"], trace["model"]) == ("videos", "local-video")
    assert trace["metadata"] == {"job_id": job_id} and trace["spans"][0]["type"] == "video"
    assert trace["cost_usd"] == spent(services, user) == "0.020000"


async def test_a_batch_lines_capture_follows_its_body_and_the_deployment(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from tests.services.test_batch_runs import chat as line
    from tests.services.test_batch_runs import jsonl
    from tests.support.batch_rig import make_rig

    user = new_user()
    off = line("off")
    off["body"]["trace"] = {"capture": False, "metadata": {"team": "b"}}
    bad = line("bad")
    bad["body"]["trace"] = {"capture": "no"}
    rig = make_rig(services)
    batch = await rig.start(user.user_id, jsonl([off, line("on"), bad]))
    done = await rig.drive(batch.batch_id)
    services.tracing.capture = False
    try:
        later = await rig.start(user.user_id, jsonl([line("deployment")]))
        await rig.drive(later.batch_id)
    finally:
        services.tracing.capture = True
    async with connect(user) as http:
        listed = await traces(http)
        details = [(await http.get(f"/monitor/traces/{t['id']}")).json() for t in listed]
    captured = {(d["metadata"]["batch_id"], d["metadata"]["line"]): "input" in d["spans"][0]
                for d in details}  # fmt: skip
    assert captured == {(batch.batch_id, "1"): False, (batch.batch_id, "2"): True,
                        (later.batch_id, "1"): False}  # fmt: skip
    team = [d["metadata"].get("team") for d in details if d["metadata"]["line"] == "1"]
    assert "b" in team and done.counts.failed == 1  # a malformed switch fails its line


async def test_a_video_jobs_capture_follows_the_request_app_and_deployment(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from tests.support.video_rig import drive

    user = new_user()
    body = {"model": "local-video", "prompt": "A red fox", "duration": 2, "resolution": "480p"}
    async with connect(user) as http:
        app_id = await new_app(http, {"traceCapture": False})
        asked = [
            ("/v1/videos/completions", body | {"trace": {"capture": False}}, {}),
            ("/v1/videos/completions", body, {"X-Switchboard-Trace-Capture": "off"}),
            (f"/v1/{app_id}/videos/completions", body, {}),
            ("/v1/videos/completions", body, {}),
        ]
        for path, sent, headers in asked:
            submitted = await http.post(path, json=sent, headers=headers)
            assert submitted.status_code == 202, submitted.text
            await drive(services, submitted.json()["job_id"])
        listed = await traces(http)
        details = [(await http.get(f"/monitor/traces/{t['id']}")).json() for t in listed]
    assert ["input" in d["spans"][0] for d in details] == [True, False, False, False]


async def test_capture_off_per_request_app_and_deployment(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        by_body = chat(trace={"capture": False, "metadata": {"team": "a"}})
        assert (await http.post("/v1/chat/completions", json=by_body)).status_code == 200
        header = {"X-Switchboard-Trace-Capture": "off"}
        assert (await http.post("/v1/chat/completions", json=chat(), headers=header)).is_success
        app_id = await new_app(http, {"traceCapture": False})
        assert (await http.post(f"/v1/{app_id}/chat/completions", json=chat())).is_success
        services.tracing.capture = False
        try:
            assert (await http.post("/v1/chat/completions", json=chat())).is_success
        finally:
            services.tracing.capture = True
        assert (await http.post("/v1/chat/completions", json=chat())).is_success  # captured
        listed = await traces(http)
        details = [(await http.get(f"/monitor/traces/{t['id']}")).json() for t in listed]
        bad = await http.post("/v1/chat/completions", json=chat(trace={"capture": "no"}))
    captured = ["input" in d["spans"][0] for d in details]
    assert captured == [True, False, False, False, False]  # newest first
    assert details[-1]["metadata"] == {"team": "a"} and details[-1]["usage"]["total_tokens"]
    assert details[2]["app_id"] == app_id
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "trace.capture"


async def test_others_traces_are_404_and_never_listed(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from switchboard.domain.accounts import Role

    mine, theirs = new_user(), new_user()
    admin = new_user(role=Role.ADMIN)
    async with connect(mine) as http:
        await http.post("/v1/chat/completions", json=chat())
        (own,) = await traces(http)
    async with connect(theirs) as http:
        assert await traces(http) == []
        response = await http.get(f"/monitor/traces/{own['id']}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "trace_not_found"
        other_stats = await http.get("/monitor/stats", params={"user_id": mine.user_id})
        assert other_stats.status_code == 403
        assert (
            await http.get("/monitor/traces", params={"user_id": mine.user_id})
        ).status_code == 403
    async with connect(admin) as http:
        assert (await http.get(f"/monitor/traces/{own['id']}")).status_code == 200
        narrowed = await traces(http, user_id=mine.user_id)
        assert [t["id"] for t in narrowed] == [own["id"]]
        everyone = await traces(http, limit=100)
        assert own["id"] in [t["id"] for t in everyone]


async def test_an_apps_traces_are_its_owners(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from switchboard.domain.accounts import Role

    owner, admin = new_user(), new_user(role=Role.ADMIN)
    async with connect(owner) as http:
        app_id = await new_app(http)
    async with connect(admin) as http:  # an admin calls the app: its owner pays
        assert (await http.post(f"/v1/{app_id}/chat/completions", json=chat())).is_success
    async with connect(owner) as http:
        (trace,) = await traces(http, app_id=app_id)
        assert trace["user_id"] == admin.user_id and trace["app_id"] == app_id
        assert (await http.get(f"/monitor/traces/{trace['id']}")).status_code == 200


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"from": "yesterday"}, "from"),
        ({"status": "ok"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"prompt_version": "v1"}, "prompt_version"),
        ({"after": "nonsense"}, "after"),
        ({"from": "2026-11-30T00:00:00Z", "to": "2026-11-29T00:00:00Z"}, "from"),
    ],
)
async def test_bad_list_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str], param: str
) -> None:
    response = await client.get("/monitor/traces", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"


async def test_lists_filter_and_page(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as http:
        for model in ("fake-chat", "local-chat", "fake-chat"):
            assert (await http.post("/v1/chat/completions", json=chat(model))).is_success
        first = (await http.get("/monitor/traces", params={"limit": 2})).json()
        assert first["has_more"] and len(first["data"]) == 2
        rest = await traces(http, limit=2, after=first["next_cursor"])
        assert [t["model"] for t in first["data"] + rest] == ["fake-chat", "local-chat",
                                                              "fake-chat"]  # fmt: skip
        assert len(await traces(http, model="fake-chat")) == 2
        assert await traces(http, status="error") == []
        assert await traces(http, to="2020-01-01T00:00:00Z") == []
        stats = (await http.get("/monitor/stats", params={"groupBy": "model"})).json()
    assert [g["group"] for g in stats["data"]] == ["fake-chat", "local-chat"]
    assert stats["total"]["count"] == 3 and stats["total"]["error_rate"] == 0.0
    assert stats["data"][0]["count"] == 2 and stats["total"]["latency_ms"]["p50"] is not None


async def test_a_large_body_goes_to_s3_after_the_response(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    long = [{"role": "user", "content": "x" * 40_000}]
    async with connect(new_user()) as http:
        response = await http.post("/v1/chat/completions", json=chat("local-chat", messages=long))
        assert response.status_code == 200, response.text
        trace = await only_trace(http)
    (span,) = trace["spans"]
    assert span["body"] == "stored" and span["input"] == long


class FailingBlobs:
    """A bucket that refuses every write (S3 down for a while)."""

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        raise ConnectionError("S3 is down")


async def test_a_store_failure_loses_no_summary_and_counts_the_lost_body(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from datetime import timedelta

    from switchboard.domain.clock import utcnow

    user = new_user()
    tracing = services.tracing
    blobs, now = tracing.blobs, tracing.now
    tracing.blobs = FailingBlobs  # type: ignore[assignment]
    try:
        async with connect(user) as http:
            big = [{"role": "user", "content": "y" * 40_000}]
            response = await http.post("/v1/chat/completions", json=chat(messages=big))
            assert response.status_code == 200, response.text
            trace = await only_trace(http)
            assert trace["spans"][0]["body"] == "pending"
            assert trace["cost_usd"] == spent(services, user) != "0.000000"
            tracing.now = lambda: utcnow() + timedelta(minutes=11)
            assert tracing.sweep_bodies(limit=1000) >= 1
            tracing.now = now
            trace = await only_trace(http)
            stats = (await http.get("/monitor/stats")).json()
    finally:
        tracing.blobs, tracing.now = blobs, now
    assert trace["spans"][0]["body"] == "lost" and trace["status"] == "success"
    assert stats["total"]["lost_bodies"] == 1 and stats["total"]["count"] == 1


async def test_stats_percentiles_from_known_latencies(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from switchboard.domain.traces import Usage
    from switchboard.services.tracing import Tracing

    user = new_user()
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    for n, ms in enumerate([100] * 50 + [400] * 45 + [3000] * 5):
        ended = start + timedelta(milliseconds=ms)
        clock = Tracing(services.trace_repo, None, now=lambda ended=ended: ended)
        ctx = clock.start(name="chat.completions", span_type="llm", user_id=user.user_id,
                          payer_id=user.user_id, at=start)  # fmt: skip
        error = {"type": "upstream_error", "message": "x"} if n % 10 == 0 else None
        writes = clock.writes(ctx, model="fake-chat", usage=Usage(2, 3), cost_micro_usd=7,
                              error=error)  # fmt: skip
        services.trace_repo.record(writes)
    async with connect(user) as http:
        params = {"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"}
        stats = (await http.get("/monitor/stats", params=params)).json()
        bad = await http.get("/monitor/stats", params={"groupBy": "hour"})
    total = stats["total"]
    assert total["latency_ms"] == {"p50": 108, "p95": 431, "p99": 3445}
    assert total["count"] == 100 and total["error_rate"] == 0.1
    assert total["cost_usd"] == "0.000700" and total["usage"]["total_tokens"] == 500
    assert [g["group"] for g in stats["data"]] == ["2026-11-20"]
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "groupBy"


async def test_a_tool_loop_counts_its_whole_latency(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from switchboard.domain.traces import Usage
    from switchboard.services.tracing import Tracing

    user = new_user()
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    clock = [start]
    tracing = Tracing(services.trace_repo, None, now=lambda: clock[0])
    ctx = tracing.start(name="chat.completions", span_type="llm", user_id=user.user_id,
                        payer_id=user.user_id, at=start)  # fmt: skip
    spans = [(ctx, 100), (tracing.child(ctx, "tool calculator", "tool"), 250)]
    spans += [(tracing.child(ctx, "round 2", "llm", continues=True), 400)]
    spans += [(tracing.child(ctx, "round 3", "llm", continues=True), 3000)]
    for span, ms in spans:  # each round settles at its end, in its own transaction
        clock[0] = start + timedelta(milliseconds=ms)
        services.trace_repo.record(
            tracing.writes(span, model="fake-chat", usage=Usage(2, 3), cost_micro_usd=7)
        )
    async with connect(user) as http:
        params = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}
        total = (await http.get("/monitor/stats", params=params)).json()["total"]
    assert total["count"] == 1 and total["usage"]["total_tokens"] == 20
    assert total["latency_ms"] == {"p50": 3445, "p95": 3445, "p99": 3445}  # 3000 ms, not 100


class RefusingTraceStore:
    """The real repository, whose span writes carry one more write that DynamoDB refuses
    (a Put under a condition that fails): the transaction with the trace cannot succeed."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def span_writes(self, *args: Any, **kwargs: Any) -> list[Any]:
        refused = {"Put": {"Item": {"PK": {"S": f"REFUSED#{uuid.uuid4().hex}"}, "SK": {"S": "X"}},
                           "ConditionExpression": "attribute_exists(PK)"}}  # fmt: skip
        return [*self.store.span_writes(*args, **kwargs), refused]


async def test_a_trace_that_cannot_be_written_never_costs_the_settlement(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    from switchboard.services.tracing import Tracing

    user = new_user()
    tracing = services.billing.tracing
    services.billing.tracing = Tracing(RefusingTraceStore(services.trace_repo), None)  # type: ignore[arg-type]
    try:
        async with connect(user) as http:
            response = await http.post("/v1/chat/completions", json=chat())
    finally:
        services.billing.tracing = tracing
    assert response.status_code == 200, response.text
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds[-2:] == ["reserve", "settle"]  # settled: without its trace
    assert format_usd(10_000_000 - balance) == response.json()["usage"]["cost_usd"]
    async with connect(user) as http:
        assert await traces(http) == []


class InterruptedTraceStore:
    """The real repository; while the request's own span is first of its trace, a span of
    the same trace comes in (a client's OTLP export) before the settlement's transaction."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.firsts = 0

    def span_writes(self, trace: Any, span: Any, *args: Any, **kwargs: Any) -> list[Any]:
        from dataclasses import replace

        from switchboard.domain import trace_stats
        from switchboard.domain.traces import Usage

        if kwargs.get("first"):
            self.firsts += 1
            other = replace(span, id="0123456789abcdef", parent_id=span.id, name="client step")
            share = replace(trace, usage=Usage(1, 1), cost_micro_usd=7, error=None)
            counters = trace_stats.request_counters(None, (1, 1), 7, error=False)
            self.store.record(self.store.span_writes(share, other, counters, args[1],
                                                     root=False, expires_at=None))  # fmt: skip
        return list(self.store.span_writes(trace, span, *args, **kwargs))


async def test_a_span_that_comes_in_first_leaves_the_request_span_recorded(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    """The request's span puts its trace's summary whole, unless one is there by then: the
    settlement is made again with the summary updated, and neither span is lost."""
    from switchboard.services.tracing import Tracing

    user = new_user()
    tracing = services.billing.tracing
    store = InterruptedTraceStore(services.trace_repo)
    services.billing.tracing = Tracing(store, None)  # type: ignore[arg-type]
    try:
        async with connect(user) as http:
            response = await http.post("/v1/chat/completions", json=chat())
            assert response.status_code == 200, response.text
            trace = await only_trace(http)
    finally:
        services.billing.tracing = tracing
    assert store.firsts == 1
    assert sorted(s["name"] for s in flatten(trace["spans"])) == ["chat.completions",
                                                                    "client step"]  # fmt: skip
    usage = response.json()["usage"]
    assert trace["usage"]["input_tokens"] == usage["prompt_tokens"] + 1
    assert trace["name"] == "chat.completions" and trace["model"] == "fake-chat"
    assert spent(services, user) == usage["cost_usd"]
    assert ledger_state(services.ledger_repo, user.user_id)[1][-2:] == ["reserve", "settle"]
