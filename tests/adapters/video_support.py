"""What the video provider tests share: renders to ask for, the clients the providers are
made with, and polling a render to its end."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from switchboard.adapters.aws.blobs import S3Blobs
from switchboard.adapters.providers.bedrock_video import BedrockVideoProvider
from switchboard.adapters.providers.http_video import MAX_VIDEO_BYTES, HttpVideoProvider
from switchboard.domain.video_renders import RenderProgress, RenderState, VideoRender
from switchboard.ports import VideoProvider

VIDEO_KEY = "sk-video-upstream-test"
NOVA_REEL = "amazon.nova-reel-v1:1"


def render(prompt: str = "A lighthouse at dusk", **fields: Any) -> VideoRender:
    """A 6-second 720p landscape render with a fresh job id and its own output prefix."""
    job_id = fields.pop("job_id", f"vid_{uuid.uuid4().hex}")
    values: dict[str, Any] = {
        "upstream_model": NOVA_REEL,
        "seconds": 6,
        "width": 1280,
        "height": 720,
        "resolution": "720p",
        "aspect_ratio": "16:9",
        "output_prefix": f"video-renders/{job_id}/upstream",
    }
    return VideoRender(job_id=job_id, prompt=prompt, **(values | fields))


def runtime_client(url: str, *, read_timeout: float = 2) -> Any:
    """A real boto3 bedrock-runtime client on the loopback fake, with no retries."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        read_timeout=read_timeout,
        connect_timeout=1,
    )
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAFAKEFAKEFAKE",
        aws_secret_access_key="fake-secret",
        config=config,
    )


def bedrock_video(client: Any, s3: Any, bucket: str) -> BedrockVideoProvider:
    return BedrockVideoProvider(client, s3, bucket)


def http_video(
    base_url: str,
    client: httpx.AsyncClient,
    s3: Any,
    bucket: str,
    *,
    api_key: str = VIDEO_KEY,
    max_bytes: int = MAX_VIDEO_BYTES,
) -> HttpVideoProvider:
    return HttpVideoProvider(
        base_url=base_url,
        api_key=api_key,
        client=client,
        blobs=S3Blobs(s3, bucket),
        name="fake-video",
        max_bytes=max_bytes,
    )


async def finished(
    provider: VideoProvider, job: VideoRender, provider_job_id: str
) -> RenderProgress:
    """Poll until the render is no longer running (the fakes end after a poll or two)."""
    for _ in range(10):
        progress = await provider.status(job, provider_job_id)
        if progress.state is not RenderState.RUNNING:
            return progress
    raise AssertionError(f"{provider_job_id} still running after 10 polls")


def stored(s3: Any, bucket: str, key: str) -> tuple[bytes, str]:
    """An object's bytes and content type."""
    answer = s3.get_object(Bucket=bucket, Key=key)
    with answer["Body"] as body:
        return body.read(), answer["ContentType"]


def absent(s3: Any, bucket: str, key: str) -> bool:
    """No object at `key`, and no multipart upload of it left open."""
    objects = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
    return not objects and not uploads
