"""Amazon Bedrock's asynchronous invocations (Amazon Nova Reel) as a VideoProvider.

    submit   StartAsyncInvoke; Bedrock writes the video into our bucket itself, under
             s3://<bucket>/<render.output_prefix>/<invocation id>/output.mp4.
             clientRequestToken is our job id, so a retried step starts no second render.
    status   GetAsyncInvoke: InProgress -> running, Completed -> done (one variant, the
             requested seconds), Failed -> failed with a fixed message (failureMessage is
             logged, never shown).
    fetch    a server-side S3 CopyObject of output.mp4 to the job's key (no bytes pass
             through the function); no thumbnail.
    cancel   Bedrock has no operation to stop an async invocation (bedrock-runtime has
             StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes only): always False.

Nova Reel renders from text alone here: a render with input images is refused before any
call. Up to 6 seconds is one shot (TEXT_VIDEO); 12 to 120 seconds in steps of 6 is
MULTI_SHOT_AUTOMATED (Nova Reel v1.1). The role needs bedrock:InvokeModel,
bedrock:GetAsyncInvoke and s3:PutObject on the output prefix (Bedrock writes with the
caller's permissions), and the bucket must be in the invocation's region.

boto3 is synchronous: every call runs in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
import urllib3.exceptions
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from switchboard.adapters.aws.failures import aws_code, unavailable
from switchboard.adapters.providers.video_failures import failed
from switchboard.domain.video_renders import (
    VIDEO_TYPE,
    RenderedFile,
    RenderProgress,
    RenderState,
    VideoRender,
)
from switchboard.errors import UpstreamError, UpstreamTimeoutError

logger = logging.getLogger("switchboard.providers")

FPS = 24
SINGLE_SHOT_SECONDS = 6
OUTPUT_NAME = "output.mp4"
_COPY_LIMIT = 5 * 1024**3  # CopyObject's limit; Nova Reel's two minutes are far below it
_FAILED = "The upstream model provider returned an error."
_BUSY = "The upstream model provider is busy; try again later."
_REFUSED = "The upstream model provider refused this render's options."
_TIMED_OUT = "The upstream model provider did not answer in time."
_INVALID = "The upstream model provider returned an invalid response."
_NO_IMAGES = "This model takes no input images."
_MISSING = "The upstream model provider's video is missing."
_BUSY_CODES = frozenset(
    {"ThrottlingException", "ServiceQuotaExceededException", "ServiceUnavailableException"}
)
_LOGGED_CHARS = 2000


class BedrockVideoProvider:
    """`bedrock`: a bedrock-runtime client in a region that serves the model; `s3`: an S3
    client for `bucket` (ours, where Bedrock writes and where fetch copies to). The
    clients are shared and belong to whoever made them."""

    def __init__(self, bedrock: Any, s3: Any, bucket: str) -> None:
        self._bedrock = bedrock
        self._s3 = s3
        self._bucket = bucket

    async def submit(self, render: VideoRender) -> str:
        if render.input_images:
            raise UpstreamError(_NO_IMAGES)
        kwargs = start_request(render, self._bucket)
        with _translated(render):
            response = await anyio.to_thread.run_sync(
                lambda: self._bedrock.start_async_invoke(**kwargs)
            )
            arn: str = response["invocationArn"]
        logger.info("bedrock video %s started %s", render.job_id, arn)
        return arn

    async def status(self, render: VideoRender, provider_job_id: str) -> RenderProgress:
        with _translated(render):
            response = await anyio.to_thread.run_sync(
                lambda: self._bedrock.get_async_invoke(invocationArn=provider_job_id)
            )
            state = response["status"]
        if state == "InProgress":
            return RenderProgress(RenderState.RUNNING)
        if state == "Completed":
            return RenderProgress(RenderState.DONE, 100, variants=1, seconds=render.seconds)
        text = str(response.get("failureMessage", ""))[:_LOGGED_CHARS]
        logger.warning("bedrock video %s ended %s: %s", provider_job_id, state, text)
        if state == "Failed":
            return failed(text)
        raise UpstreamError(_INVALID)

    async def fetch(
        self, render: VideoRender, provider_job_id: str, index: int, key: str
    ) -> RenderedFile:
        if index != 0:
            raise UpstreamError(f"Nova Reel renders one video: there is no variant {index}.")
        source = output_key(render, provider_job_id)
        size = await anyio.to_thread.run_sync(self._copy, source, key)
        return RenderedFile(key=key, bytes=size, seconds=float(render.seconds))

    async def cancel(self, render: VideoRender, provider_job_id: str) -> bool:
        logger.info("bedrock video %s: async invocations cannot be stopped", provider_job_id)
        return False

    def _copy(self, source: str, key: str) -> int:
        """Copy Bedrock's output.mp4 to `key`, server-side; its size."""
        with unavailable("The file store"):
            try:
                head = self._s3.head_object(Bucket=self._bucket, Key=source)
            except ClientError as exc:
                if aws_code(exc) not in ("404", "NoSuchKey", "NotFound"):
                    raise
                logger.warning("bedrock video output %s is not in the bucket", source)
                raise UpstreamError(_MISSING) from None
            size = int(head["ContentLength"])
            if size > _COPY_LIMIT:
                logger.warning("bedrock video output %s is %d bytes", source, size)
                raise UpstreamError(_INVALID)
            self._s3.copy_object(
                Bucket=self._bucket,
                Key=key,
                CopySource={"Bucket": self._bucket, "Key": source},
                ContentType=VIDEO_TYPE,
                MetadataDirective="REPLACE",
            )
        return size


def start_request(render: VideoRender, bucket: str) -> dict[str, Any]:
    """StartAsyncInvoke's parameters for a render."""
    config: dict[str, Any] = {
        "durationSeconds": render.seconds,
        "fps": FPS,
        "dimension": f"{render.width}x{render.height}",
    }
    if render.seed is not None:
        config["seed"] = render.seed
    if render.seconds <= SINGLE_SHOT_SECONDS:
        task: dict[str, Any] = {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": {"text": render.prompt},
        }
    else:
        task = {
            "taskType": "MULTI_SHOT_AUTOMATED",
            "multiShotAutomatedParams": {"text": render.prompt},
        }
    return {
        "modelId": render.upstream_model,
        "modelInput": {**task, "videoGenerationConfig": config},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": output_uri(render, bucket)}},
        "clientRequestToken": render.job_id,
    }


def output_uri(render: VideoRender, bucket: str) -> str:
    prefix = render.output_prefix.strip("/")
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"


def output_key(render: VideoRender, invocation_arn: str) -> str:
    """Where Bedrock wrote the video: a folder named after the invocation id (the ARN's
    last part) under the output prefix."""
    invocation_id = invocation_arn.rsplit("/", 1)[-1]
    prefix = render.output_prefix.strip("/")
    return f"{prefix}/{invocation_id}/{OUTPUT_NAME}" if prefix else f"{invocation_id}/{OUTPUT_NAME}"


@contextmanager
def _translated(render: VideoRender) -> Iterator[None]:
    """botocore's errors become ours; Bedrock's words go to the log, never to clients."""
    name = f"bedrock video {render.upstream_model} (job {render.job_id})"
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        logger.warning("%s failed: %s: %.2000s", name, code, error.get("Message", ""))
        if code in _BUSY_CODES:
            raise UpstreamError(_BUSY) from exc
        raise UpstreamError(_REFUSED if code == "ValidationException" else _FAILED) from exc
    except (ReadTimeoutError, ConnectTimeoutError, urllib3.exceptions.TimeoutError) as exc:
        logger.warning("%s timed out: %r", name, exc)
        raise UpstreamTimeoutError(_TIMED_OUT) from exc
    except (BotoCoreError, urllib3.exceptions.HTTPError) as exc:
        logger.warning("%s failed: %r", name, exc)
        raise UpstreamError(_FAILED) from exc
    except (KeyError, TypeError) as exc:  # an answer of a shape we do not know
        logger.warning("%s answered unexpectedly: %r", name, exc)
        raise UpstreamError(_INVALID) from exc
