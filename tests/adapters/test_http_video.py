"""HttpVideoProvider against the OpenRouter-shaped fake video upstream on loopback (real
sockets), storing into the emulator's bucket."""

from __future__ import annotations

import logging
import socket
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from switchboard.adapters.providers.http_video import HttpVideoProvider, video_request
from switchboard.adapters.providers.video_failures import CANCELLED, EXPIRED, RENDER_FAILED
from switchboard.domain.video_renders import RenderState
from switchboard.errors import UpstreamError, UpstreamTimeoutError
from tests.adapters.video_support import VIDEO_KEY, absent, finished, http_video, render, stored
from tests.support.fake_replies import SECRET_ERROR_TEXT
from tests.support.fake_upstream import serve_in_thread
from tests.support.fake_video_upstream import create_video_upstream
from tests.support.sample_video import sample_mp4

pytestmark = pytest.mark.anyio


def requests_to(upstream: Starlette, method: str, suffix: str = "") -> list[Any]:
    return [r for r in upstream.state.received if r.method == method and r.path.endswith(suffix)]


async def test_submit_sends_the_render_with_its_idempotency_key(
    upstream_video: HttpVideoProvider, video_upstream: Starlette
) -> None:
    job = render("A fox in snow", upstream_model="google/veo-3.1", seed=42, generate_audio=True)
    job_id = await upstream_video.submit(job)
    assert job_id in video_upstream.state.jobs
    [sent] = requests_to(video_upstream, "POST")
    assert sent.path == "/v1/videos"
    assert sent.headers["authorization"] == f"Bearer {VIDEO_KEY}"
    assert sent.headers["idempotency-key"] == job.job_id
    assert sent.body == {
        "model": "google/veo-3.1",
        "prompt": "A fox in snow",
        "duration": 6,
        "resolution": "720p",
        "aspect_ratio": "16:9",
        "generate_audio": True,
        "seed": 42,
    }


def test_input_images_are_a_first_frame_or_references() -> None:
    one = video_request(render(input_images=("https://img.example/a.png",)))
    assert one["frame_images"] == [
        {
            "type": "image_url",
            "image_url": {"url": "https://img.example/a.png"},
            "frame_type": "first_frame",
        }
    ]
    two = video_request(
        render(input_images=("https://img.example/a.png", "https://img.example/b.png"))
    )
    assert [ref["image_url"]["url"] for ref in two["input_references"]] == [
        "https://img.example/a.png",
        "https://img.example/b.png",
    ]
    assert "frame_images" not in two and "generate_audio" not in two and "seed" not in two


async def test_a_retried_submit_is_the_same_job(
    upstream_video: HttpVideoProvider, video_upstream: Starlette
) -> None:
    before = len(video_upstream.state.jobs)
    job = render()
    assert await upstream_video.submit(job) == await upstream_video.submit(job)
    assert len(video_upstream.state.jobs) == before + 1


async def test_runs_then_completes_and_streams_into_the_bucket(
    upstream_video: HttpVideoProvider, video_upstream: Starlette, s3: Any, data_bucket: str
) -> None:
    job = render()
    job_id = await upstream_video.submit(job)
    running = await upstream_video.status(job, job_id)
    assert (running.state, running.progress) == (RenderState.RUNNING, 50)
    done = await upstream_video.status(job, job_id)
    assert (done.state, done.variants, done.seconds) == (RenderState.DONE, 1, 6)

    key = f"videos/{job.job_id}/0.mp4"
    rendered = await upstream_video.fetch(job, job_id, 0, key)
    assert (rendered.key, rendered.bytes, rendered.thumbnail_key) == (key, len(sample_mp4()), None)
    assert stored(s3, data_bucket, key) == (sample_mp4(), "video/mp4")
    [download] = requests_to(video_upstream, "GET", "/content")
    assert download.query == {"index": "0"}
    assert download.headers["authorization"] == f"Bearer {VIDEO_KEY}"


async def test_a_large_video_is_written_in_parts(
    upstream_video: HttpVideoProvider, video_upstream: Starlette, s3: Any, data_bucket: str
) -> None:
    job = render("[large] a long take")
    job_id = await upstream_video.submit(job)
    await finished(upstream_video, job, job_id)
    key = f"videos/{job.job_id}/0.mp4"
    rendered = await upstream_video.fetch(job, job_id, 0, key)
    assert rendered.bytes == 20 * 1024 * 1024
    head = s3.head_object(Bucket=data_bucket, Key=key)
    assert (head["ContentLength"], head["ContentType"]) == (rendered.bytes, "video/mp4")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    last = s3.get_object(Bucket=data_bucket, Key=key, Range="bytes=-1")["Body"].read()
    assert last == bytes([19])  # the fake's twentieth mebibyte


@pytest.mark.parametrize(
    ("prompt", "max_bytes", "message"),
    [
        ("[large] streamed", 9 * 1024 * 1024, "larger than the platform accepts"),
        ("a short one", 100, "larger than the platform accepts"),  # by its Content-Length
        ("[not-video] a page", 10**9, "is not a video"),
    ],
)
async def test_content_that_is_too_large_or_no_video_is_refused(
    video_upstream: Starlette,
    http_client: httpx.AsyncClient,
    s3: Any,
    data_bucket: str,
    prompt: str,
    max_bytes: int,
    message: str,
) -> None:
    base_url = video_upstream.state.base_url
    provider = http_video(base_url, http_client, s3, data_bucket, max_bytes=max_bytes)
    job = render(prompt)
    job_id = await provider.submit(job)
    await finished(provider, job, job_id)
    key = f"videos/{job.job_id}/0.mp4"
    with pytest.raises(UpstreamError, match=message):
        await provider.fetch(job, job_id, 0, key)
    assert absent(s3, data_bucket, key)


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("[fail] a cat", RENDER_FAILED),
        ("[cancelled] a cat", CANCELLED),
        ("[expired] a cat", EXPIRED),
    ],
)
async def test_a_job_that_ends_badly_is_failed_with_a_fixed_message(
    upstream_video: HttpVideoProvider, prompt: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.providers")
    job = render(prompt)
    progress = await finished(upstream_video, job, await upstream_video.submit(job))
    assert (progress.state, progress.error) == (RenderState.FAILED, message)
    if prompt.startswith("[fail]"):
        assert SECRET_ERROR_TEXT in caplog.text


@pytest.mark.parametrize(
    ("prompt", "message"),
    [("[400] a cat", "refused this render's options"), ("[500] a cat", r"error \(HTTP 500\)")],
)
async def test_a_refused_submit_is_an_upstream_error_with_a_safe_message(
    upstream_video: HttpVideoProvider, prompt: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.providers")
    with pytest.raises(UpstreamError, match=message) as caught:
        await upstream_video.submit(render(prompt))
    assert SECRET_ERROR_TEXT not in caught.value.message
    assert SECRET_ERROR_TEXT in caplog.text


async def test_a_wrong_key_is_an_upstream_error(
    video_upstream: Starlette, http_client: httpx.AsyncClient, s3: Any, data_bucket: str
) -> None:
    base_url = video_upstream.state.base_url
    provider = http_video(base_url, http_client, s3, data_bucket, api_key="sk-wrong")
    with pytest.raises(UpstreamError, match=r"HTTP 401"):
        await provider.submit(render())


async def test_a_hanging_upstream_is_a_timeout(
    video_upstream: Starlette, s3: Any, data_bucket: str
) -> None:
    async with httpx.AsyncClient(timeout=0.3) as client:
        provider = http_video(video_upstream.state.base_url, client, s3, data_bucket)
        with pytest.raises(UpstreamTimeoutError):
            await provider.submit(render("[hang] a slow one"))


async def test_an_unreachable_upstream_is_an_upstream_error(
    http_client: httpx.AsyncClient, s3: Any, data_bucket: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = http_video(f"http://127.0.0.1:{port}/v1", http_client, s3, data_bucket)
    with pytest.raises(UpstreamError, match="could not be reached"):
        await provider.status(render(), "job-1")


async def test_cancel_stops_a_running_job_and_not_an_ended_one(
    upstream_video: HttpVideoProvider,
) -> None:
    job = render()
    job_id = await upstream_video.submit(job)
    assert await upstream_video.cancel(job, job_id) is True
    progress = await upstream_video.status(job, job_id)
    assert (progress.state, progress.error) == (RenderState.FAILED, CANCELLED)
    assert await upstream_video.cancel(job, job_id) is False  # 409: it has ended


async def test_an_upstream_without_cancel_cannot_cancel(
    http_client: httpx.AsyncClient, s3: Any, data_bucket: str
) -> None:
    app = create_video_upstream(api_key=VIDEO_KEY, cancel_supported=False)
    with serve_in_thread(app) as base_url:
        provider = http_video(base_url, http_client, s3, data_bucket)
        job = render()
        job_id = await provider.submit(job)
        assert await provider.cancel(job, job_id) is False
        assert (await provider.status(job, job_id)).state is RenderState.RUNNING
