"""What every VideoProvider does (ports.VideoProvider, domain/video_renders.py), run against
each provider with its fake: Bedrock's async invocations, and the OpenRouter-shaped HTTP
upstream. A render is started once per job id, ends done or failed, and a done render's
video lands in our bucket as video/mp4; a failure says only a fixed, safe message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from switchboard.adapters.providers.video_failures import RENDER_FAILED
from switchboard.domain.video_renders import RenderState
from switchboard.ports import VideoProvider
from tests.adapters.video_support import finished, render, stored
from tests.support.fake_replies import SECRET_ERROR_TEXT

pytestmark = pytest.mark.anyio


@dataclass
class Subject:
    provider: VideoProvider
    started: Callable[[], int]  # how many renders the fake has started so far
    model: str


@pytest.fixture(params=["bedrock", "http"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "bedrock":
        nova = request.getfixturevalue("nova")
        return Subject(
            request.getfixturevalue("nova_video"),
            lambda: int(nova.async_invokes.started),
            "amazon.nova-reel-v1:1",
        )
    jobs = request.getfixturevalue("video_upstream").state.jobs
    return Subject(request.getfixturevalue("upstream_video"), lambda: len(jobs), "google/veo-3.1")


async def test_a_render_is_done_and_its_video_lands_in_the_bucket(
    subject: Subject, s3: Any, data_bucket: str
) -> None:
    job = render("A paper boat on a river", upstream_model=subject.model)
    provider_job_id = await subject.provider.submit(job)
    assert isinstance(provider_job_id, str) and provider_job_id

    progress = await finished(subject.provider, job, provider_job_id)
    assert progress.state is RenderState.DONE
    assert progress.variants >= 1 and progress.error is None

    key = f"videos/{job.job_id}/0.mp4"
    rendered = await subject.provider.fetch(job, provider_job_id, 0, key)
    data, content_type = stored(s3, data_bucket, key)
    assert (rendered.key, rendered.bytes, content_type) == (key, len(data), "video/mp4")
    assert rendered.bytes > 0


async def test_a_failed_render_says_only_a_safe_message(subject: Subject) -> None:
    job = render("[fail] a paper boat", upstream_model=subject.model)
    progress = await finished(subject.provider, job, await subject.provider.submit(job))
    assert (progress.state, progress.error) == (RenderState.FAILED, RENDER_FAILED)
    assert SECRET_ERROR_TEXT not in str(progress)


async def test_submitting_a_job_twice_starts_one_render(subject: Subject) -> None:
    job = render(upstream_model=subject.model)
    before = subject.started()
    first = await subject.provider.submit(job)
    assert await subject.provider.submit(job) == first
    assert subject.started() == before + 1


async def test_cancel_answers_whether_it_stopped_the_render(subject: Subject) -> None:
    job = render(upstream_model=subject.model)
    provider_job_id = await subject.provider.submit(job)
    stopped = await subject.provider.cancel(job, provider_job_id)
    assert isinstance(stopped, bool)
    if stopped:
        assert (await subject.provider.status(job, provider_job_id)).state is RenderState.FAILED
