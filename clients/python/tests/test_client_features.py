"""Each feature's requests and answers on a mock platform: kits (streamed too), the queue's
wait, batches (from rows, followed with progress, results through a signed URL), videos
(downloaded through the signed URL, never with the key), keys, apps and traces."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import BASE_URL, KEY, Recorder, error
from switchboard_client import (
    AsyncSwitchboard,
    Batch,
    InvalidRequestError,
    KitRun,
    KitRunDelta,
    PollSchedule,
    Switchboard,
    UpstreamError,
    WaitTimeoutError,
)

SIGNED = "http://storage.test/bucket/object?X-Amz-Signature=abc"
RUN = {
    "id": "run_1",
    "object": "kit.run",
    "kit": "classifier",
    "status": "completed",
    "output": {"text": "positive", "label": "positive", "scores": {"positive": "1.000000"}},
    "usage": {"total_tokens": 9, "cost_usd": "0.000003"},
    "latency_ms": 4,
}


def sse(*events: dict[str, Any] | str) -> httpx.Response:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return httpx.Response(200, text="".join(lines), headers={"content-type": "text/event-stream"})


def batch(status: str, done: int, **fields: Any) -> dict[str, Any]:
    counts = {"total": 3, "completed": done, "failed": 0}
    return {
        "id": "batch_1",
        "object": "batch",
        "status": status,
        "request_counts": counts,
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
    } | fields


def test_kits_run_sends_the_input_and_config(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(lambda _: httpx.Response(200, json=RUN))
    run = client.kits.run("classifier", "I love it", labels=["positive", "negative"])
    assert run.label == "positive" and run.cost_usd == "0.000003" and run.latency_ms == 4
    assert recorder.body(0) == {
        "kit": "classifier",
        "input": {"prompt": "I love it"},
        "config": {"labels": ["positive", "negative"]},
    }
    assert recorder.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_kits_stream_yields_pieces_then_the_run(make_client: Callable[..., Switchboard]) -> None:
    delta = {
        "id": "run_1",
        "object": "kit.run.delta",
        "kit": "classifier",
        "status": "in_progress",
        "output": {"text": "pos"},
    }
    client = make_client(lambda _: sse(delta, delta | {"output": {"text": "itive"}}, RUN, "[DONE]"))
    events = list(client.kits.stream("classifier", "I love it"))
    assert [type(e) for e in events] == [KitRunDelta, KitRunDelta, KitRun]
    assert "".join(e.text for e in events[:2]) == "positive"


def test_an_error_frame_in_a_stream_raises(make_client: Callable[..., Switchboard]) -> None:
    broken = {
        "error": {
            "message": "Upstream failed.",
            "type": "upstream_error",
            "param": None,
            "code": "upstream_error",
        }
    }
    client = make_client(
        lambda _: sse({"object": "kit.run.delta", "output": {"text": "a"}}, broken)
    )
    with pytest.raises(UpstreamError, match="Upstream failed"):
        list(client.kits.stream("text-gen", "hi"))


def test_queue_wait_polls_with_growing_intervals_until_done(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    states = iter(["queued", "queued", "queued", "completed"])

    def handle(request: httpx.Request) -> httpx.Response:
        status = next(states)
        return httpx.Response(
            200,
            json={"req_id": "aireq_1", "model": "local-chat", "status": status, "response": "done"},
        )

    client = make_client(handle, poll=PollSchedule(interval=1, factor=2, max_interval=3))
    answered = client.queue.wait("aireq_1")
    assert answered.status == "completed" and answered.response == "done"
    assert recorder.sleeps == [1, 2, 3]
    assert recorder.requests[0].url.params["req_id"] == "aireq_1"


def test_a_wait_gives_up_at_its_limit(make_client: Callable[..., Switchboard]) -> None:
    queued = {"req_id": "aireq_1", "model": "m", "status": "queued"}
    client = make_client(lambda _: httpx.Response(200, json=queued))
    with pytest.raises(WaitTimeoutError, match="aireq_1"):
        client.queue.wait("aireq_1", max_wait=0)


def batch_platform(states: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    polls = iter(states)

    def handle(request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {request.url.host}{request.url.path}"
        if route == "POST switchboard.test/v1/files":
            return httpx.Response(
                200,
                json={
                    "id": "file-in",
                    "object": "file",
                    "bytes": 10,
                    "filename": "batch.jsonl",
                    "purpose": "batch",
                    "created_at": 1,
                },
            )
        if route == "POST switchboard.test/v1/batches":
            return httpx.Response(200, json=batch("validating", 0))
        if route == "GET switchboard.test/v1/batches/batch_1":
            return httpx.Response(200, json=next(polls))
        if route == "GET switchboard.test/v1/files/file-out/content":
            return httpx.Response(302, headers={"location": SIGNED})
        if route == "GET switchboard.test/v1/files/file-err/content":
            return httpx.Response(200, content=b'{"custom_id": "q3", "error": {}}\n')
        if route == "GET storage.test/bucket/object":
            assert "authorization" not in request.headers
            return httpx.Response(200, content=b'{"custom_id": "q1"}\n{"custom_id": "q2"}\n')
        return error(404, "invalid_request_error", "unknown_url")

    return handle


def test_batches_from_request_bodies_followed_with_progress_and_read_back(
    make_client: Callable[..., Switchboard], recorder: Recorder, tmp_path: Path
) -> None:
    ended = batch("completed", 3, output_file_id="file-out", error_file_id="file-err")
    client = make_client(batch_platform([batch("in_progress", 1), batch("in_progress", 2), ended]))
    bodies = [
        {"model": "local-chat", "messages": [{"role": "user", "content": f"Q{n}"}]} for n in (1, 2)
    ] + [{"custom_id": "mine", "model": "local-chat", "messages": []}]
    created = client.batches.create(requests=bodies, metadata={"job": "nightly"})
    upload = recorder.requests[0].content.decode()
    lines = [json.loads(line) for line in upload.splitlines() if line.startswith("{")]
    assert [line["custom_id"] for line in lines] == ["request-0", "request-1", "mine"]
    assert lines[0]["url"] == "/v1/chat/completions" and "custom_id" not in lines[2]["body"]
    assert recorder.body(1)["metadata"] == {"job": "nightly"}

    seen: list[Batch] = []
    done = client.batches.wait(created, on_progress=seen.append)
    assert [b.request_counts.done for b in seen] == [1, 2, 3] and done.status == "completed"
    results = client.batches.results(done)
    assert [line["custom_id"] for line in results.output] == ["q1", "q2"]
    assert [line["custom_id"] for line in results.errors] == ["q3"]
    written = client.batches.download(done, tmp_path)
    assert [p.name for p in written] == ["batch_1.output.jsonl", "batch_1.errors.jsonl"]
    assert written[0].read_bytes().count(b"\n") == 2


def test_a_batch_needs_exactly_one_source(make_client: Callable[..., Switchboard]) -> None:
    client = make_client(batch_platform([]))
    with pytest.raises(Exception, match="exactly one"):
        client.batches.create(rows=[], requests=[])


def test_video_download_streams_from_the_signed_url_without_the_key(
    make_client: Callable[..., Switchboard], recorder: Recorder, tmp_path: Path
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "storage.test":
            return httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42")
        if request.url.path.endswith("/content"):
            return httpx.Response(302, headers={"location": SIGNED})
        job = {
            "job_id": "video_1",
            "status": "completed",
            "model": "local-video",
            "content_urls": [f"{BASE_URL}/v1/videos/completions/video_1/content?index=0"],
        }
        return httpx.Response(202 if request.method == "POST" else 200, json=job)

    client = make_client(handle)
    job = client.videos.create_and_wait("local-video", "A boat", duration=2, seed=None)
    assert job.status == "completed" and recorder.body(0) == {
        "model": "local-video",
        "prompt": "A boat",
        "duration": 2,
    }
    path = client.videos.download(job, tmp_path / "boat.mp4")
    assert path.read_bytes()[4:8] == b"ftyp"
    storage = [r for r in recorder.requests if r.url.host == "storage.test"]
    assert len(storage) == 1 and "authorization" not in storage[0].headers
    assert not list(tmp_path.glob("*.part"))


def test_keys_apps_and_traces_requests(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    answers = {
        "POST /api-keys": {
            "id": "key_1",
            "object": "api_key",
            "key": "sb_secret",
            "name": "ci",
            "scopes": ["ai:gateway"],
            "created_at": 1,
        },
        "GET /apps": {"object": "list", "data": [{"id": "app_1", "name": "a", "owner_id": "u"}]},
        "PUT /v1/app_1/ai/config": {
            "app_id": "app_1",
            "defaultModel": "local-chat",
            "allowedModels": ["local-chat"],
            "maxTokensPerRequest": 64,
        },
        "GET /v1/app_1/ai/usage": {
            "app_id": "app_1",
            "startDate": "2026-11-01",
            "endDate": "2026-11-30",
            "totalTokens": 12,
            "totalCost": "0.000010",
            "byModel": {"local-chat": {"tokens": 12, "cost": "0.000010", "requests": 1}},
        },
        "GET /monitor/traces": {
            "object": "list",
            "data": [{"id": "tr_1", "status": "success"}],
            "has_more": True,
            "next_cursor": "c2",
        },
        "POST /monitor/traces/tr_1/scores": {
            "id": "sc_1",
            "object": "score",
            "trace_id": "tr_1",
            "name": "helpful",
            "value": 0.5,
            "source": "api",
        },
    }
    client = make_client(lambda r: httpx.Response(200, json=answers[f"{r.method} {r.url.path}"]))
    key = client.keys.create("ci", scopes=["ai:gateway"])
    assert key.key == "sb_secret" and key.scopes == ["ai:gateway"]
    assert [app.id for app in client.apps.list()] == ["app_1"]
    config = client.apps.update_config(
        "app_1",
        default_model="local-chat",
        allowed_models=["local-chat"],
        max_tokens_per_request=64,
    )
    assert config.max_tokens_per_request == 64
    assert recorder.body(2) == {
        "defaultModel": "local-chat",
        "allowedModels": ["local-chat"],
        "maxTokensPerRequest": 64,
    }
    usage = client.apps.usage("app_1", "2026-11-01", "2026-11-30")
    assert usage.by_model["local-chat"].requests == 1 and usage.total_cost == "0.000010"
    page = client.traces.list(limit=5, model="local-chat", status="success")
    assert page.next_cursor == "c2" and page.data[0].id == "tr_1"
    assert dict(recorder.requests[4].url.params) == {
        "limit": "5",
        "model": "local-chat",
        "status": "success",
    }
    score = client.traces.score("tr_1", "helpful", 0.5, comment="ok")
    assert score.value == 0.5 and recorder.body(5) == {
        "name": "helpful",
        "value": 0.5,
        "comment": "ok",
    }


@pytest.mark.anyio
async def test_async_shares_the_core_retries_streams_and_waits(
    make_async_client: Callable[..., AsyncSwitchboard], recorder: Recorder
) -> None:
    answers = iter(
        [
            error(429, "rate_limit_exceeded", headers={"Retry-After": "2"}),
            sse(RUN, "[DONE]"),
            error(503, "service_unavailable"),
            httpx.Response(200, json=batch("in_progress", 1)),
            httpx.Response(200, json=batch("completed", 3)),
        ]
    )
    async with make_async_client(lambda _: next(answers)) as client:
        events = [event async for event in client.kits.stream("classifier", "I love it")]
        assert [type(e) for e in events] == [KitRun]
        seen: list[Batch] = []
        done = await client.batches.wait("batch_1", on_progress=seen.append)
    assert done.status == "completed" and len(seen) == 2
    assert recorder.sleeps == [2.0, 0.5, 0.5]  # Retry-After, the 503's backoff, one poll
    assert json.loads(recorder.requests[1].content)["stream"] is True


def upload_platform(final: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    states = iter([{"id": "upload_1", "status": "pending"}, final])

    def handle(request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {request.url.host}{request.url.path}"
        if route == "POST switchboard.test/v1/batches/uploads":
            grant = {
                "id": "upload_1",
                "batch_id": "batch_1",
                "status": "pending",
                "url": "http://storage.test/bucket",
                "fields": {"key": "batch-input/u/x"},
            }
            return httpx.Response(201, json=grant)
        if route == "POST storage.test/bucket":
            assert "authorization" not in request.headers
            assert b'name="key"' in request.content and b"batch-input/u/x" in request.content
            return httpx.Response(204)
        if route == "GET switchboard.test/v1/batches/uploads/upload_1":
            return httpx.Response(200, json=next(states))
        if route == "GET switchboard.test/v1/batches/batch_1":
            return httpx.Response(200, json=batch("validating", 0))
        return error(404, "invalid_request_error", "unknown_url")

    return handle


def test_a_large_file_goes_to_the_bucket_and_its_batch_is_found(
    make_client: Callable[..., Switchboard], recorder: Recorder, tmp_path: Path
) -> None:
    source = tmp_path / "big.jsonl"
    source.write_text('{"custom_id": "a"}\n')
    client = make_client(
        upload_platform({"id": "upload_1", "status": "started", "batch_id": "batch_1"})
    )
    created = client.batches.create(path=source, via_upload=True, metadata={"job": "x"})
    assert created.id == "batch_1" and recorder.body(0)["filename"] == "big.jsonl"
    assert recorder.body(0)["metadata"] == {"job": "x"}
    assert "POST /bucket" in recorder.paths()


def test_a_file_the_platform_rejects_raises_its_error(
    make_client: Callable[..., Switchboard], tmp_path: Path
) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_text("\n")
    rejected = {
        "id": "upload_1",
        "status": "rejected",
        "error": {
            "message": "The file is empty.",
            "type": "invalid_request_error",
            "param": None,
            "code": "empty_file",
        },
    }
    client = make_client(upload_platform(rejected))
    with pytest.raises(InvalidRequestError) as raised:
        client.batches.create(path=source, via_upload=True)
    assert raised.value.code == "empty_file" and raised.value.status == 400


def test_keys_and_apps_lists_follow_the_cursor_to_the_end(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        key = {"id": f"key_{after or 'first'}", "object": "api_key", "name": "k"}
        more = after is None
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": [key],
                "has_more": more,
                "next_cursor": "c2" if more else None,
            },
        )

    client = make_client(handle)
    assert [key.id for key in client.keys.list()] == ["key_first", "key_c2"]
    assert [r.url.params.get("after") for r in recorder.requests] == [None, "c2"]


def test_usage_entries_and_totals_requests(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    answers = {
        "/v1/usage/entries": {
            "object": "list",
            "has_more": False,
            "next_cursor": None,
            "data": [
                {
                    "id": "e1",
                    "type": "settle",
                    "model": "local-chat",
                    "total_tokens": 9,
                    "cost": "0.000001",
                }
            ],
        },
        "/v1/usage": {
            "object": "usage",
            "startDate": "2026-11-01",
            "endDate": "2026-11-30",
            "groupBy": "app",
            "total_tokens": 9,
            "total_cost": "0.000001",
            "total_requests": 1,
            "data": [{"app_id": None, "requests": 1}],
        },
    }
    client = make_client(lambda r: httpx.Response(200, json=answers[r.url.path]))
    [entry] = client.usage.entries(limit=5).data
    assert (entry.type, entry.total_tokens, entry.cost) == ("settle", 9, "0.000001")
    totals = client.usage.totals("2026-11-01", "2026-11-30", group_by="app")
    assert (totals.requests, totals.cost, totals.groups) == (
        1,
        "0.000001",
        [{"app_id": None, "requests": 1}],
    )
    assert dict(recorder.requests[1].url.params) == {
        "startDate": "2026-11-01",
        "endDate": "2026-11-30",
        "groupBy": "app",
    }


def test_traces_filters_and_stats_take_datetimes(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    from datetime import UTC, date, datetime

    empty = {"object": "list", "data": [], "has_more": False, "next_cursor": None}
    client = make_client(lambda r: httpx.Response(200, json=empty))
    client.traces.list(
        start=datetime(2026, 11, 30, 10, tzinfo=UTC),
        end="2026-11-30T11:00:00Z",
        prompt_version=2,
        experiment_id="exp_1",
    )
    client.traces.stats(start=date(2026, 11, 1), group_by="model")
    assert dict(recorder.requests[0].url.params) == {
        "limit": "20",
        "from": "2026-11-30T10:00:00+00:00",
        "to": "2026-11-30T11:00:00Z",
        "prompt_version": "2",
        "experiment_id": "exp_1",
    }
    assert dict(recorder.requests[1].url.params) == {"from": "2026-11-01", "groupBy": "model"}


def test_a_rename_is_retried_and_a_key_expiry_is_sent(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    from datetime import UTC, datetime

    app = {"id": "app_1", "object": "app", "name": "new"}
    key = {"id": "key_1", "object": "api_key", "key": "sb_x", "name": "k", "expires_at": 1e9}
    answers = iter(
        [
            error(503, "service_unavailable"),
            httpx.Response(200, json=app),
            httpx.Response(201, json=key),
        ]
    )
    client = make_client(lambda _: next(answers))
    assert client.apps.rename("app_1", "new").name == "new"
    assert recorder.paths() == ["PATCH /apps/app_1"] * 2
    client.keys.create("k", expires_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert recorder.body(2) == {"name": "k", "scopes": ["*"], "expires_at": 1796083200}
