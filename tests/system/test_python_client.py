"""The Python client (clients/python) against the platform as `make serve` runs it: every
feature it covers, sync and async, and the platform's errors as the client's classes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import openai
import pytest

from switchboard_client import (
    APIConnectionError,
    AsyncSwitchboard,
    AuthenticationError,
    Batch,
    InvalidRequestError,
    KitRun,
    KitRunDelta,
    NotFoundError,
    PermissionDeniedError,
    PollSchedule,
    Switchboard,
)
from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
FAST = PollSchedule(interval=0.2, factor=1.5, max_interval=1.0, timeout=90)


@pytest.fixture
def client(server: RunningServer) -> Iterator[Switchboard]:
    with Switchboard(server.api_key, server.base_url, poll=FAST) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_kits_list_run_and_stream(client: Switchboard) -> None:
    assert {"text-gen", "classifier", "summarizer"} <= {kit.id for kit in client.kits.list()}
    run = client.kits.run("classifier", "A negative surprise, I hate it.")
    assert run.label == "negative" and run.cost_usd and run.usage["total_tokens"] > 0
    events = list(client.kits.stream("text-gen", "Stream a haiku", max_tokens=64))
    pieces = [e for e in events if isinstance(e, KitRunDelta)]
    [final] = [e for e in events if isinstance(e, KitRun)]
    assert pieces and "".join(p.text for p in pieces) == final.text
    assert final.status == "completed" and final.latency_ms is not None


def test_kit_errors_are_the_clients_classes(client: Switchboard) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.kits.run("no-such-kit", "hi")
    assert missing.value.code == "kit_not_found" and missing.value.request_id
    with pytest.raises(InvalidRequestError) as refused:
        client.kits.run("classifier", "hi", max_tokens=1_000_000)
    assert (
        refused.value.code == "max_tokens_exceeded" and refused.value.param == "config.max_tokens"
    )


def test_the_queue_submit_and_wait(client: Switchboard) -> None:
    key = unique("idem")
    queued = client.queue.submit("local-chat", "Queue me", system="Be brief.", idempotency_key=key)
    again = client.queue.submit("local-chat", "Queue me", system="Be brief.", idempotency_key=key)
    assert again.id == queued.id and queued.status == "queued"
    answered = client.queue.wait(queued)
    assert answered.status == "completed" and "Queue me" in (answered.response or "")
    assert answered.usage and answered.usage["total_tokens"] > 0


def test_a_batch_from_requests_followed_and_downloaded(client: Switchboard, tmp_path: Path) -> None:
    bodies = [
        {"model": "local-chat", "messages": [{"role": "user", "content": f"Question {n}"}]}
        for n in (1, 2, 3)
    ]
    created = client.batches.create(requests=bodies, metadata={"job": "client-test"})
    seen: list[Batch] = []
    done = client.batches.wait(created, on_progress=seen.append)
    assert done.status == "completed" and done.request_counts.completed == 3
    assert seen[-1] == done and all(b.request_counts.done <= 3 for b in seen)
    results = client.batches.results(done)
    assert [line["custom_id"] for line in results.output] == ["request-0", "request-1", "request-2"]
    assert results.errors == []
    [output] = client.batches.download(done, tmp_path)
    assert output.read_text().count("\n") == 3
    assert created.id in {b.id for b in client.batches.list(limit=100).data}


def test_a_batch_from_a_file(client: Switchboard, tmp_path: Path) -> None:
    source = tmp_path / "lines.jsonl"
    source.write_text(
        '{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", '
        '"body": {"model": "local-chat", "messages": [{"role": "user", "content": "A"}]}}\n'
        '{"custom_id": "b", "method": "GET"}\n'
    )
    done = client.batches.wait(client.batches.create(path=source))
    results = client.batches.results(done.id)
    assert [line["custom_id"] for line in results.output] == ["a"]
    assert results.errors[0]["error"]["code"] == "invalid_method"


def test_a_batch_file_through_the_bucket(client: Switchboard, tmp_path: Path) -> None:
    """The presigned upload (what a file over 6 MB takes), asked for here with via_upload."""
    source = tmp_path / "upload.jsonl"
    source.write_text(
        '{"custom_id": "u1", "method": "POST", "url": "/v1/chat/completions", '
        '"body": {"model": "local-chat", "messages": [{"role": "user", "content": "Up"}]}}\n'
    )
    created = client.batches.create(path=source, via_upload=True)
    done = client.batches.wait(created)
    assert done.status == "completed" and done.request_counts.completed == 1
    assert client.batches.results(done).output[0]["custom_id"] == "u1"


def test_a_video_made_and_downloaded_through_its_signed_url(
    client: Switchboard, tmp_path: Path
) -> None:
    job = client.videos.create_and_wait("local-video", "A paper boat on a pond", duration=2)
    assert job.status == "completed" and job.charged_credits_usd and len(job.content_urls) == 1
    path = client.videos.download(job, tmp_path / "boat.mp4")
    assert path.read_bytes()[4:8] == b"ftyp"


def test_prompts_cached_compiled_locally_and_on_the_platform(client: Switchboard) -> None:
    slug = unique("client-prompt")
    client.prompts.create(slug, name="Client prompt")
    client.prompts.create_version(
        slug, "Answer {{ customer }}: {{question}}", system_text="You are concise.",
        model="local-chat", parameters={"temperature": 0.2}, tag="production",
    )  # fmt: skip
    prompt = client.prompts.get(slug)
    assert prompt.version == 1 and prompt.tag == "production"
    assert client.prompts.get(slug) is prompt  # fresh: from the cache
    variables = {"customer": "Ada", "question": "Where is my order?", "unused": 1}
    local, remote = prompt.compile(variables), client.prompts.compile(slug, variables)
    assert local.messages == remote.messages and local.unused_variables == ["unused"]
    assert remote.model and remote.model.model == "local-chat"

    client.prompts.create_version(slug, "Version two for {{customer}}", tag="production")
    client.prompts.cache.ttl = 0  # every get now stale: served, and refreshed behind
    assert client.prompts.get(slug).version == 1
    client.prompts.join_refreshes(10)
    assert client.prompts.get(slug).version == 2
    assert client.prompts.describe(slug)["availableTags"]["production"] == 2


class Cuttable(httpx.HTTPTransport):
    """The real network until `cut`: then no connection is made."""

    cut = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut:
            raise httpx.ConnectError("the platform is gone", request=request)
        return super().handle_request(request)


def test_a_prompt_is_served_from_the_cache_when_the_platform_is_gone(
    server: RunningServer, client: Switchboard
) -> None:
    slug = unique("client-offline")
    client.prompts.create(slug)
    client.prompts.create_version(slug, "Hello {{name}}", tag="production")
    network = Cuttable()
    with Switchboard(server.api_key, server.base_url, transport=network, prompt_ttl=0) as cut_off:
        served = cut_off.prompts.get(slug)
        network.cut = True
        assert cut_off.prompts.get(slug) is served  # stale: served, refreshed behind
        cut_off.prompts.join_refreshes(30)
        assert cut_off.prompts.get(slug, tag=None) is served
        assert served.compile({"name": "Ada"}).messages[0]["content"] == "Hello Ada"
        with pytest.raises(APIConnectionError):
            cut_off.prompts.get(slug, tag="production")  # never fetched: nothing to serve


def test_traces_listed_read_and_scored(
    client: Switchboard, server: RunningServer, sdk: openai.OpenAI
) -> None:
    sdk.chat.completions.create(
        model="local-chat", messages=[{"role": "user", "content": "Trace me"}]
    )
    page = client.traces.list(limit=5, model="local-chat")
    assert page.data, "a chat completion leaves a trace"
    trace = client.traces.get(page.data[0].id)
    assert trace.id == page.data[0].id and trace.spans
    since = datetime.now(UTC) - timedelta(hours=1)
    assert trace.id in {t.id for t in client.traces.list(start=since, status="success").data}
    stats = client.traces.stats(start=since.date(), group_by="model")
    assert "local-chat" in {row["group"] for row in stats["data"]}
    score = client.traces.score(trace.id, "helpful", 0.75, comment="from the client")
    assert (score.trace_id, score.value, score.source) == (trace.id, 0.75, "api")
    with pytest.raises(NotFoundError):
        client.traces.score("tr_" + "0" * 32, "helpful", 1)


def test_an_experiment_run_scored_and_summed(client: Switchboard) -> None:
    slug = unique("client-exp")
    client.prompts.create(slug)
    client.prompts.create_version(slug, "Hello {{name}}", model="local-chat", tag="production")
    experiment = client.experiments.create("client-test", "Greeting", description="two variants")
    rows = [{"variables": {"name": name}, "idealOutput": name} for name in ("Ada", "Grace")]
    variants = [{"prompt": {"slug": slug, "version": 1}}, {"model": "local-chat"}]
    started = client.experiments.run(experiment.id, rows, variants, [{"type": "contains"}])
    assert (started.status, started.total_lines) == ("running", 4)
    seen: list[int] = []
    run = client.experiments.wait_run(started, on_progress=lambda r: seen.append(r.done_lines))
    assert run.status == "completed" and run.scored > 0 and seen[-1] == 4
    summed = client.experiments.get(experiment.id)
    assert {v["variant"] for v in summed.variants} >= {f"prompt:{slug}@1", "model:local-chat"}


def test_keys_created_scoped_and_revoked(client: Switchboard, server: RunningServer) -> None:
    key = client.keys.create(unique("ci"), scopes=["ai:gateway"])
    assert key.key and key.key.startswith("sb_") and key.id in {k.id for k in client.keys.list()}
    with Switchboard(key.key, server.base_url) as scoped:
        with pytest.raises(PermissionDeniedError) as denied:
            scoped.kits.list()
        assert denied.value.code == "insufficient_scope"
        client.keys.revoke(key.id)
        with pytest.raises(AuthenticationError):
            scoped.kits.list()
    assert key.id not in {k.id for k in client.keys.list()}
    expiring = client.keys.create(unique("day"), expires_in_days=1)
    assert expiring.expires_at and 86_000 < expiring.expires_at - time.time() <= 86_400
    [listed] = [k for k in client.keys.list() if k.id == expiring.id]
    assert listed.expires_at == expiring.expires_at and listed.key is None
    client.keys.revoke(expiring.id)


def test_apps_config_and_usage(client: Switchboard, server: RunningServer) -> None:
    app = client.apps.create(unique("client-app"))
    assert app.id in {a.id for a in client.apps.list()}
    assert client.apps.config(app.id).default_model is None
    config = client.apps.update_config(
        app.id, default_model="local-chat", allowed_models=["local-chat"], max_tokens_per_request=64
    )
    assert (config.default_model, config.max_tokens_per_request) == ("local-chat", 64)
    with openai.OpenAI(base_url=f"{server.base_url}/v1/{app.id}", api_key=server.api_key) as sdk:
        sdk.chat.completions.create(
            model="local-chat", messages=[{"role": "user", "content": "Hi"}]
        )
    today = datetime.now(UTC).date()
    usage = client.apps.usage(app.id, today, today)
    assert usage.by_model["local-chat"].requests == 1 and usage.total_tokens > 0
    assert client.apps.rename(app.id, "renamed").name == "renamed"
    assert client.apps.get(app.id).name == "renamed"
    client.apps.delete(app.id)
    with pytest.raises(NotFoundError):
        client.apps.get(app.id)
    assert app.id not in {a.id for a in client.apps.list()}
    assert client.apps.usage(app.id, today, today).by_model["local-chat"].requests == 1


def test_usage_entries_and_totals(client: Switchboard, sdk: openai.OpenAI) -> None:
    reply = sdk.chat.completions.create(
        model="local-chat", messages=[{"role": "user", "content": "Bill me"}]
    )
    page = client.usage.entries(limit=20)
    settled = [e for e in page.data if e.type == "settle" and e.model == "local-chat"]
    assert settled and settled[0].total_tokens > 0 and reply.usage
    if page.has_more:
        assert client.usage.entries(limit=20, after=page.next_cursor).data
    today = datetime.now(UTC).date()
    totals = client.usage.totals(today, today, group_by="model")
    assert totals.requests > 0 and totals.group_by == "model"
    assert "local-chat" in {group["model"] for group in totals.groups}


def test_the_async_client(server: RunningServer) -> None:
    async def main() -> None:
        async with AsyncSwitchboard(server.api_key, server.base_url, poll=FAST) as client:
            run = await client.kits.run("text-gen", "Async hello", max_tokens=32)
            assert "Async hello" in run.text
            queued = await client.queue.submit("local-chat", "Async queue")
            assert (await client.queue.wait(queued)).status == "completed"
            pieces = [e async for e in client.kits.stream("text-gen", "Async stream")]
            assert isinstance(pieces[-1], KitRun)
            with pytest.raises(NotFoundError):
                await client.batches.get("batch_missing")

    anyio.run(main)


def test_the_readmes_client_example_runs_as_written(server: RunningServer, tmp_path: Path) -> None:
    result = run_readme_example(server, "sb.queue.submit", section="Python client", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("queued: ") and "Queue me" in lines[0]
    assert "completed 2/2" in lines and "You said: First question" in result.stdout
    assert lines[-1] == "completed kite.mp4"
    assert (tmp_path / "kite.mp4").read_bytes()[4:8] == b"ftyp"
