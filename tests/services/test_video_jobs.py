"""Video jobs' money and failures on the emulator, through the real state machine: a
provider that fails (the hold released, its message made safe), abandonment, a redelivered
or racing step (one render, one settlement), pollers racing on a finished job, and a step
that is dead-lettered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.videos import JobStatus
from switchboard.services.video_steps import VideoSteps
from tests.support.fake_replies import SECRET_ERROR_TEXT
from tests.support.ledger import ledger_state
from tests.support.video_rig import drive, next_step, receive

pytestmark = pytest.mark.anyio
JOBS = "/v1/videos/completions"


async def submit(http: Any, **body: Any) -> str:
    answer = await http.post(JOBS, json={"model": "local-video", "prompt": "Rain"} | body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def steps_with(services: Container, *, abandon_seconds: int) -> VideoSteps:
    """The video steps as the template wires them, with another abandonment time."""
    arn = services.settings.VIDEO_STATE_MACHINE_ARN
    return VideoSteps(
        services.video_repo, services.video_providers, services.catalog, services.billing,
        services.workflow(arn), abandon_seconds=abandon_seconds, retention_days=7,
    )  # fmt: skip


@pytest.mark.parametrize("prompt", ["[fail] a storm", "[500] a storm"])
async def test_a_provider_failure_releases_the_hold_and_its_message_is_safe(
    services: Container, new_user: Callable[..., User], connect: Any, prompt: str
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        job_id = await submit(http, model="fake-video", prompt=prompt)
        await drive(services, job_id)
        job = (await http.get(f"{JOBS}/{job_id}")).json()
        video = (await http.get(f"/v1/videos/{job_id}")).json()
    assert job["status"] == "failed" and job["charged_credits_usd"] is None
    assert video["status"] == "failed" and video["error"] == job["error"]
    assert SECRET_ERROR_TEXT not in str(job) and "hunter2" not in str(video)
    assert job["error"]["message"].startswith("The upstream")
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000, ["top_up", "reserve", "release"]
    )  # fmt: skip


async def test_an_http_upstream_job_is_fetched_into_the_bucket_and_settled(
    services: Container, new_user: Callable[..., User], connect: Any, video_api: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        job_id = await submit(http, model="fake-video", prompt="A harbour", duration=4)
        await drive(services, job_id)
        job = (await http.get(f"{JOBS}/{job_id}")).json()
    assert job["status"] == "completed" and job["charged_credits_usd"] == "0.200000"
    stored = services.video_repo.get(job_id)
    assert stored is not None and services.blobs.size(stored.outputs[0])
    submits = [r for r in video_api.state.received if r.method == "POST"
               and r.headers.get("idempotency-key") == job_id]  # fmt: skip
    assert len(submits) == 1


async def test_a_job_nobody_polls_expires_and_its_render_is_the_platforms_loss(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    steps = steps_with(services, abandon_seconds=2)
    async with connect(user) as http:
        job_id = await submit(http, duration=2)
        await drive(services, job_id, steps=steps, done=lambda job: job.provider_job_id is not None)
        for message in receive(services, services.settings.VIDEO_RENDER_QUEUE_URL, wait=2):
            services.local_renderer.handle(message)  # rendered, but nobody looks
        await anyio.sleep(3)
        job = await drive(services, job_id, steps=steps)
        assert job.status is JobStatus.EXPIRED and job.error is not None
        assert job.lost_micro_usd == 20_000  # two seconds were rendered, and not charged
        view = (await http.get(f"{JOBS}/{job_id}")).json()
    assert view["status"] == "expired" and view["charged_credits_usd"] is None
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000, ["top_up", "reserve", "release"]
    )  # fmt: skip


async def test_a_polled_job_is_not_abandoned(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    steps = steps_with(services, abandon_seconds=2)
    async with connect(new_user()) as http:
        job_id = await submit(http, duration=2)

        def polled(message: dict[str, Any]) -> bool:
            services.video_repo.seen(job_id, int(time.time()))
            return True

        job = await drive(services, job_id, steps=steps, on_step=polled)
    assert job.status is JobStatus.COMPLETED


async def test_a_redelivered_submit_renders_once(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as http:
        job_id = await submit(http)
        message = await next_step(services, job_id, "submit")
        await services.video_steps.run(message)
        await services.video_steps.run(message)  # delivered again: the token is spent
        renders = receive(services, services.settings.VIDEO_RENDER_QUEUE_URL, wait=1)
        assert [r["job_id"] for r in renders] == [job_id]
        for render in renders:
            services.local_renderer.handle(render)
            services.local_renderer.handle(render)  # a render delivered twice: drawn once
        job = await drive(services, job_id)
    assert job.status is JobStatus.COMPLETED


async def test_racing_and_redelivered_finishes_settle_once(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        job_id = await submit(http, duration=2)
        finish = await next_step(services, job_id, "finish")
        steps = services.video_steps
        await asyncio.gather(steps.finish(finish), steps.finish(finish))
        await steps.run(finish)
        await steps.run(finish)
        pollers = [http.get(f"{JOBS}/{job_id}") for _ in range(4)]
        answers = [answer.json() for answer in await asyncio.gather(*pollers)]
    assert {a["status"] for a in answers} == {"completed"}
    assert {a["charged_credits_usd"] for a in answers} == {"0.020000"}
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000 - 20_000, ["top_up", "reserve", "settle"]
    )  # fmt: skip


async def test_a_dead_lettered_step_fails_the_job_and_releases(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        job_id = await submit(http)
        poll = await next_step(services, job_id, "poll")
        await services.video_steps.bury(poll)
        job = (await http.get(f"{JOBS}/{job_id}")).json()
    assert job["status"] == "failed" and job["error"]["code"] == "generation_failed"
    assert ledger_state(services.ledger_repo, user.user_id)[1] == ["top_up", "reserve", "release"]


async def test_a_job_whose_hold_was_swept_is_never_completed_unpaid(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        job_id = await submit(http, duration=2)
        finish = await next_step(services, job_id, "finish")
        job = services.video_repo.get(job_id)
        assert job is not None and job.hold is not None
        services.ledger_repo.release(job.hold, job.created_at, "swept")  # as the sweeper would
        await services.video_steps.run(finish)
        answer = (await http.get(f"{JOBS}/{job_id}")).json()
    assert answer["status"] == "failed" and answer["error"]["code"] == "hold_released"
    assert ledger_state(services.ledger_repo, user.user_id)[0] == 1_000_000


class _KilledBeforeTheStart:
    """The workflow as a container killed between a job's write and its execution's start
    leaves it: the job item and its hold are written, no execution ever starts."""

    def __init__(self, workflow: Any) -> None:
        self._workflow = workflow

    def start(self, name: str, input: dict[str, Any]) -> str:
        return ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._workflow, name)


async def test_a_job_whose_execution_never_started_is_ended_by_the_sweeper_for_nothing(
    services: Container,
    new_user: Callable[..., User],
    connect: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A job whose execution is not running (never started, or stopped by hand) would stay
    running; the sweeper fails it and releases its hold. A job whose execution runs is
    left to it."""
    user = new_user(balance_usd=1)
    arn = services.settings.VIDEO_STATE_MACHINE_ARN
    async with connect(user) as http:
        with monkeypatch.context() as patch:
            killed = _KilledBeforeTheStart(services.videos._workflow)
            patch.setattr(services.videos, "_workflow", killed)
            orphan = await submit(http, prompt="An orphan")
        watched = await submit(http, prompt="A watched job")
    assert not services.workflow(arn).running(orphan)
    assert services.workflow(arn).running(watched)
    job = services.video_repo.get(orphan)
    assert job is not None and job.status is JobStatus.PENDING and job.hold is not None

    assert await services.videos.end_orphans(grace_seconds=0) >= 1
    ended = services.video_repo.get(orphan)
    assert ended is not None and ended.status is JobStatus.FAILED
    assert ended.error is not None and ended.error["code"] == "processing_failed"
    still = services.video_repo.get(watched)
    assert still is not None and still.status is not JobStatus.FAILED
    assert await services.videos.end_orphans(grace_seconds=0) == 0  # ended once
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds.count("release") == 1 and kinds.count("settle") == 0
    await drive(services, watched)  # the watched job ends as it would have
    assert ledger_state(services.ledger_repo, user.user_id)[0] <= balance
