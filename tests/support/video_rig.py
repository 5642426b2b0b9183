"""Driving video jobs on the test platform (which runs no consumers of its own): the steps
and renders the state machine asks for, taken off the template's queues and run as the
functions would, until a job ends (or a step of a chosen kind is reached)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anyio

from switchboard.bootstrap import Container
from switchboard.domain.videos import RUNNING, VideoJob
from switchboard.services.video_steps import VideoSteps


def receive(services: Container, url: str, wait: int = 0) -> list[dict[str, Any]]:
    sqs = services.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
        "Messages", []
    )
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


async def drive(
    services: Container,
    job_id: str,
    *,
    within: float = 60,
    done: Callable[[VideoJob], bool] = lambda job: job.status not in RUNNING,
    on_step: Callable[[dict[str, Any]], bool] | None = None,
    steps: VideoSteps | None = None,
) -> VideoJob:
    """Run steps (with `steps`, else the container's) and renders until `done(job)`;
    `on_step(message)` may keep a step from running (returning False)."""
    settings = services.settings
    steps = steps or services.video_steps
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in receive(services, settings.VIDEO_STEPS_QUEUE_URL):
            if on_step is None or on_step(message):
                await steps.run(message)
        for message in receive(services, settings.VIDEO_RENDER_QUEUE_URL):
            services.local_renderer.handle(message)
        job = services.video_repo.get(job_id)
        assert job is not None
        if done(job):
            return job
        await anyio.sleep(0.2)
    raise AssertionError(f"video job {job_id} did not get there in {within} s")


async def next_step(
    services: Container, job_id: str, name: str, within: float = 20
) -> dict[str, Any]:
    """Run the job's steps (and renders) until the state machine asks for `name`: that
    message is returned, not run."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in receive(services, services.settings.VIDEO_STEPS_QUEUE_URL, wait=1):
            if message["step"] == name and message["job_id"] == job_id:
                return message
            await services.video_steps.run(message)
        for message in receive(services, services.settings.VIDEO_RENDER_QUEUE_URL):
            services.local_renderer.handle(message)
    raise AssertionError(f"the state machine never asked for {name}")
