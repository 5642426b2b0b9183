"""Bedrock's asynchronous invocations (StartAsyncInvoke, GetAsyncInvoke), as the loopback
fake_bedrock server answers them, in the shapes of botocore's service model and the Bedrock
API reference: `{invocationArn}` for a start; `{invocationArn, modelArn, clientRequestToken,
status, failureMessage?, submitTime, lastModifiedTime, endTime?, outputDataConfig}` for a get.

Like Bedrock, the fake writes the video into the caller's bucket itself when it completes:
`<s3Uri>/<invocation id>/output.mp4` (video/mp4) beside a `manifest.json`, through `s3`
(an S3 client; by default one made from the environment, which points at the emulator).

    invocation           InProgress for `polls_before_done` GetAsyncInvoke calls, then
                         Completed (the video written at that moment)
    prompt with [fail]   Failed, failureMessage holding SECRET_ERROR_TEXT
    prompt with [filtered]  Failed as Nova Reel's content filters fail a render

A start with a clientRequestToken already used for the same body answers the same ARN and
starts nothing (AWS's idempotency tokens); for another body, 409 ConflictException (how AWS
APIs refuse a reused token; Bedrock's exact answer is not recorded here).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tests.support.fake_replies import SECRET_ERROR_TEXT
from tests.support.sample_video import sample_mp4

ARN_PREFIX = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/"
FAILURE_MESSAGE = f"Internal server error while generating the video ({SECRET_ERROR_TEXT})"
FILTERED_MESSAGE = (
    "The generated video has been blocked by our content filters. "
    f"Please adjust your input ({SECRET_ERROR_TEXT})."
)

Answer = tuple[int, dict[str, Any], str]  # HTTP status, JSON body, error type ("" if none)


@dataclass
class Invocation:
    arn: str
    body: dict[str, Any]
    submitted: str
    status: str = "InProgress"
    polls: int = 0
    ended: str | None = None
    failure: str | None = None

    @property
    def invocation_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def s3_uri(self) -> str:
        return str(self.body["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])

    @property
    def prompt(self) -> str:
        model_input = self.body.get("modelInput", {})
        params = model_input.get("textToVideoParams") or model_input.get(
            "multiShotAutomatedParams", {}
        )
        return str(params.get("text", ""))


class AsyncInvokes:
    def __init__(self) -> None:
        self.invocations: dict[str, Invocation] = {}
        self.tokens: dict[str, str] = {}
        self.polls_before_done = 1
        self.s3: Any = None
        self._lock = threading.Lock()

    @property
    def started(self) -> int:
        """How many renders were started (replays of a token not counted)."""
        return len(self.invocations)

    def start(self, body: dict[str, Any]) -> Answer:
        problem = _invalid_start(body)
        if problem:
            return 400, {"message": problem}, "ValidationException"
        token = str(body.get("clientRequestToken") or uuid.uuid4())
        with self._lock:
            body = {**body, "clientRequestToken": token}
            arn = self.tokens.get(token)
            if arn is not None:
                if self.invocations[arn].body != body:
                    message = "The clientRequestToken was used with other parameters."
                    return 409, {"message": message}, "ConflictException"
                return 200, {"invocationArn": arn}, ""
            arn = ARN_PREFIX + uuid.uuid4().hex[:12]
            self.invocations[arn] = Invocation(arn, body, _now())
            self.tokens[token] = arn
        return 200, {"invocationArn": arn}, ""

    def get(self, arn: str) -> Answer:
        with self._lock:
            invocation = self.invocations.get(arn)
            if invocation is None:
                return 400, {"message": "Invalid invocation ARN."}, "ValidationException"
            if invocation.status == "InProgress":
                invocation.polls += 1
                if invocation.polls > self.polls_before_done:
                    self._finish(invocation)
            return 200, _described(invocation), ""

    def _finish(self, invocation: Invocation) -> None:
        invocation.ended = _now()
        if "[fail]" in invocation.prompt:
            invocation.status, invocation.failure = "Failed", FAILURE_MESSAGE
        elif "[filtered]" in invocation.prompt:
            invocation.status, invocation.failure = "Failed", FILTERED_MESSAGE
        else:
            self._write_output(invocation)
            invocation.status = "Completed"

    def _write_output(self, invocation: Invocation) -> None:
        if self.s3 is None:
            import boto3

            self.s3 = boto3.client("s3")
        uri = urlsplit(invocation.s3_uri)
        prefix = uri.path.strip("/")
        folder = f"{prefix}/{invocation.invocation_id}" if prefix else invocation.invocation_id
        manifest = {"sourceRequestId": invocation.invocation_id}
        self.s3.put_object(
            Bucket=uri.netloc, Key=f"{folder}/manifest.json", Body=json.dumps(manifest)
        )
        self.s3.put_object(
            Bucket=uri.netloc,
            Key=f"{folder}/output.mp4",
            Body=sample_mp4(),
            ContentType="video/mp4",
        )


def _invalid_start(body: dict[str, Any]) -> str:
    try:
        uri = body["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        task = body["modelInput"]["taskType"]
    except (KeyError, TypeError):
        return "Malformed input request, please reformat your input and try again."
    if not str(uri).startswith("s3://"):
        return "The provided S3 URI is invalid."
    if task not in ("TEXT_VIDEO", "MULTI_SHOT_AUTOMATED", "MULTI_SHOT_MANUAL"):
        return f"Unsupported taskType: {task}"
    return ""


def _described(invocation: Invocation) -> dict[str, Any]:
    model_id = invocation.body.get("modelId", "")
    described: dict[str, Any] = {
        "invocationArn": invocation.arn,
        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model_id}",
        "clientRequestToken": invocation.body["clientRequestToken"],
        "status": invocation.status,
        "submitTime": invocation.submitted,
        "lastModifiedTime": invocation.ended or invocation.submitted,
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": invocation.s3_uri}},
    }
    if invocation.ended:
        described["endTime"] = invocation.ended
    if invocation.failure:
        described["failureMessage"] = invocation.failure
    return described


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
