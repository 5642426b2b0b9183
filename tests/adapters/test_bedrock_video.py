"""BedrockVideoProvider through real boto3 against the loopback fake of Bedrock's async
invocations (recorded shapes), which writes output.mp4 into the emulator's bucket as Bedrock
does; fetch copies it on the emulator's S3."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.adapters.providers.bedrock_video import BedrockVideoProvider
from switchboard.adapters.providers.video_failures import CONTENT_FILTERED, RENDER_FAILED
from switchboard.domain.video_renders import RenderState
from switchboard.errors import UpstreamError, UpstreamTimeoutError
from tests.adapters.video_support import (
    NOVA_REEL,
    absent,
    bedrock_video,
    finished,
    render,
    runtime_client,
    stored,
)
from tests.support.fake_bedrock import FakeBedrock
from tests.support.fake_bedrock_async import ARN_PREFIX
from tests.support.fake_replies import SECRET_ERROR_TEXT
from tests.support.sample_video import sample_mp4

pytestmark = pytest.mark.anyio


def starts(nova: FakeBedrock) -> list[dict[str, Any]]:
    return [r.body for r in nova.requests if r.operation == "async-invoke"]


async def test_submit_asks_nova_reel_to_write_into_our_bucket(
    nova_video: BedrockVideoProvider, nova: FakeBedrock, data_bucket: str
) -> None:
    job = render("A lighthouse at dusk", seed=7)
    arn = await nova_video.submit(job)
    assert arn.startswith(ARN_PREFIX)
    assert starts(nova) == [
        {
            "modelId": NOVA_REEL,
            "modelInput": {
                "taskType": "TEXT_VIDEO",
                "textToVideoParams": {"text": "A lighthouse at dusk"},
                "videoGenerationConfig": {
                    "durationSeconds": 6,
                    "fps": 24,
                    "dimension": "1280x720",
                    "seed": 7,
                },
            },
            "outputDataConfig": {
                "s3OutputDataConfig": {"s3Uri": f"s3://{data_bucket}/{job.output_prefix}"}
            },
            "clientRequestToken": job.job_id,
        }
    ]


async def test_longer_videos_are_multi_shot(
    nova_video: BedrockVideoProvider, nova: FakeBedrock
) -> None:
    await nova_video.submit(render("A day in the city", seconds=18))
    [body] = starts(nova)
    assert body["modelInput"] == {
        "taskType": "MULTI_SHOT_AUTOMATED",
        "multiShotAutomatedParams": {"text": "A day in the city"},
        "videoGenerationConfig": {"durationSeconds": 18, "fps": 24, "dimension": "1280x720"},
    }


async def test_a_retried_submit_sends_the_same_token_and_starts_one_render(
    nova_video: BedrockVideoProvider, nova: FakeBedrock
) -> None:
    job = render()
    assert await nova_video.submit(job) == await nova_video.submit(job)
    assert [body["clientRequestToken"] for body in starts(nova)] == [job.job_id] * 2
    assert nova.async_invokes.started == 1


async def test_runs_then_completes_and_is_copied_into_the_bucket(
    nova_video: BedrockVideoProvider, s3: Any, data_bucket: str
) -> None:
    job = render()
    arn = await nova_video.submit(job)
    running = await nova_video.status(job, arn)
    assert running.state is RenderState.RUNNING
    done = await nova_video.status(job, arn)
    assert (done.state, done.variants, done.seconds) == (RenderState.DONE, 1, 6)

    key = f"videos/{job.job_id}/0.mp4"
    rendered = await nova_video.fetch(job, arn, 0, key)
    assert (rendered.key, rendered.bytes, rendered.thumbnail_key) == (
        key,
        len(sample_mp4()),
        None,
    )
    assert stored(s3, data_bucket, key) == (sample_mp4(), "video/mp4")


async def test_fetch_before_bedrock_wrote_the_video_is_an_upstream_error(
    nova_video: BedrockVideoProvider, s3: Any, data_bucket: str
) -> None:
    job = render()
    arn = await nova_video.submit(job)
    key = f"videos/{job.job_id}/0.mp4"
    with pytest.raises(UpstreamError, match="video is missing"):
        await nova_video.fetch(job, arn, 0, key)
    with pytest.raises(UpstreamError):
        await nova_video.fetch(job, arn, 1, key)
    assert absent(s3, data_bucket, key)


@pytest.mark.parametrize(
    ("prompt", "message"), [("[fail] a cat", RENDER_FAILED), ("[filtered] a cat", CONTENT_FILTERED)]
)
async def test_a_failed_invocation_reports_a_fixed_message(
    nova_video: BedrockVideoProvider,
    prompt: str,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.providers")
    job = render(prompt)
    progress = await finished(nova_video, job, await nova_video.submit(job))
    assert (progress.state, progress.error) == (RenderState.FAILED, message)
    assert SECRET_ERROR_TEXT in caplog.text  # logged for us, never shown


@pytest.mark.parametrize(
    ("model", "code", "message"),
    [
        ("fake.throttled", "ThrottlingException", "busy"),
        ("fake.invalid", "ValidationException", "refused this render's options"),
    ],
)
async def test_client_errors_are_upstream_errors_with_safe_messages(
    nova_video: BedrockVideoProvider,
    model: str,
    code: str,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.providers")
    with pytest.raises(UpstreamError, match=message) as caught:
        await nova_video.submit(render(upstream_model=model))
    assert "secret upstream detail" not in caught.value.message
    assert code in caplog.text


async def test_an_unknown_invocation_is_an_upstream_error(
    nova_video: BedrockVideoProvider,
) -> None:
    with pytest.raises(UpstreamError):
        await nova_video.status(render(), ARN_PREFIX + "nosuchjob000")


async def test_input_images_are_refused_before_any_call(
    nova_video: BedrockVideoProvider, nova: FakeBedrock
) -> None:
    with pytest.raises(UpstreamError, match="takes no input images"):
        await nova_video.submit(render(input_images=("https://example.com/a.png",)))
    assert nova.requests == []


async def test_cancel_is_not_possible(nova_video: BedrockVideoProvider, nova: FakeBedrock) -> None:
    job = render()
    arn = await nova_video.submit(job)
    assert await nova_video.cancel(job, arn) is False
    assert [r.operation for r in nova.requests] == ["async-invoke"]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_a_silent_bedrock_is_a_timeout(silent_port: int, s3: Any, data_bucket: str) -> None:
    client = runtime_client(f"http://127.0.0.1:{silent_port}", read_timeout=0.3)
    try:
        with pytest.raises(UpstreamTimeoutError):
            await bedrock_video(client, s3, data_bucket).submit(render())
    finally:
        client.close()


async def test_an_unreachable_bedrock_is_an_upstream_error(s3: Any, data_bucket: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = runtime_client(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(UpstreamError, match="returned an error"):
            await bedrock_video(client, s3, data_bucket).submit(render())
    finally:
        client.close()
