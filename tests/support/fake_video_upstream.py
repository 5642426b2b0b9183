"""A job-based video upstream in the shape of OpenRouter's video API, for tests.

    app = create_video_upstream(api_key="sk-video")
    with serve_in_thread(app) as base_url:          # "http://127.0.0.1:<port>/v1"
        ...
    app.state.received                              # every request (VideoRequest)
    app.state.jobs                                  # the jobs it started, by id

    POST /v1/videos                  202 {id, polling_url, status: "pending"}; the same
                                     Idempotency-Key and body answer the same job (a key
                                     reused with another body: 422)
    GET  /v1/videos/{id}             in_progress (progress 50) for `polls_before_done`
                                     polls, then completed {unsigned_urls, usage}
    GET  /v1/videos/{id}/content     the video (video/mp4, tests/support/sample_video.py);
                                     400 before it is done
    POST /v1/videos/{id}/cancel      cancels a running job (200), 409 once it ended;
                                     absent (404, as OpenRouter) with cancel_supported=False

The prompt picks a misbehaviour:

    [hang]        the submit answers only after HANG_SECONDS (or when the client gives up)
    [500] [400]   the submit fails so, its body holding SECRET_ERROR_TEXT
    [fail]        the job fails, its error holding SECRET_ERROR_TEXT
    [cancelled] [expired]   the job ends so
    [not-video]   the content is served as text/html
    [large]       the content is `large_bytes` of video/mp4, chunked (no Content-Length)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.fake_replies import SECRET_ERROR_TEXT
from tests.support.sample_video import sample_mp4

HANG_SECONDS = 60.0
LARGE_CHUNK = 1024 * 1024


@dataclass
class VideoRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class VideoJob:
    id: str
    body: dict[str, Any]
    status: str = "pending"
    polls: int = 0

    @property
    def prompt(self) -> str:
        return str(self.body.get("prompt", ""))


def create_video_upstream(
    *,
    api_key: str | None = None,
    polls_before_done: int = 1,
    cancel_supported: bool = True,
    large_bytes: int = 20 * 1024 * 1024,
) -> Starlette:
    jobs: dict[str, VideoJob] = {}
    keys: dict[str, str] = {}
    received: list[VideoRequest] = []

    async def check(request: Request) -> tuple[Any, Response | None]:
        body = await request.json() if request.method == "POST" and request.headers.get(
            "content-length", "0"
        ) != "0" else None  # fmt: skip
        headers = {k.lower(): v for k, v in request.headers.items()}
        received.append(
            VideoRequest(
                request.method, request.url.path, headers, body, dict(request.query_params)
            )
        )
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return body, _error(401, "Missing or invalid API key.")
        return body, None

    def find(request: Request) -> VideoJob | Response:
        job = jobs.get(request.path_params["job_id"])
        return job if job is not None else _error(404, "Video generation job not found.")

    async def submit(request: Request) -> Response:
        body, refused = await check(request)
        if refused is not None:
            return refused
        prompt = str(body.get("prompt", ""))
        if "[hang]" in prompt:
            await _hang(request)
            return _error(504, "Timed out.")
        if "[500]" in prompt:
            return _error(500, f"Internal failure: {SECRET_ERROR_TEXT}")
        if "[400]" in prompt:
            return _error(400, f"Unsupported duration near {SECRET_ERROR_TEXT}")
        key = request.headers.get("idempotency-key")
        if key is not None and key in keys:
            job = jobs[keys[key]]
            if job.body != body:
                return _error(422, "Idempotency-Key reused with a different body.")
            return _job_answer(job, 202)
        job = VideoJob(f"job-{uuid.uuid4().hex[:16]}", body)
        jobs[job.id] = job
        if key is not None:
            keys[key] = job.id
        return _job_answer(job, 202)

    async def poll(request: Request) -> Response:
        _, refused = await check(request)
        job = refused or find(request)
        if isinstance(job, Response):
            return job
        if job.status in ("pending", "in_progress"):
            job.polls += 1
            job.status = (
                "in_progress" if job.polls <= request.app.state.polls_before_done else _end(job)
            )
        return _job_answer(job, 200, str(request.base_url).rstrip("/"))

    async def content(request: Request) -> Response:
        _, refused = await check(request)
        job = refused or find(request)
        if isinstance(job, Response):
            return job
        if job.status != "completed" or request.query_params.get("index", "0") != "0":
            return _error(400, "Video content is not available.")
        if "[not-video]" in job.prompt:
            return Response("<html>not a video</html>", media_type="text/html")
        if "[large]" in job.prompt:
            return StreamingResponse(_chunks(large_bytes), media_type="video/mp4")
        return Response(sample_mp4(), media_type="video/mp4")

    async def cancel(request: Request) -> Response:
        _, refused = await check(request)
        job = refused or find(request)
        if isinstance(job, Response):
            return job
        if job.status not in ("pending", "in_progress"):
            return _error(409, f"Job is already {job.status}.")
        job.status = "cancelled"
        return _job_answer(job, 200)

    routes = [
        Route("/v1/videos", submit, methods=["POST"]),
        Route("/v1/videos/{job_id}", poll, methods=["GET"]),
        Route("/v1/videos/{job_id}/content", content, methods=["GET"]),
    ]
    if cancel_supported:
        routes.append(Route("/v1/videos/{job_id}/cancel", cancel, methods=["POST"]))
    app = Starlette(routes=routes)
    app.state.received = received
    app.state.jobs = jobs
    app.state.polls_before_done = polls_before_done
    return app


def _end(job: VideoJob) -> str:
    for status in ("fail", "cancelled", "expired"):
        if f"[{status}]" in job.prompt:
            return "failed" if status == "fail" else status
    return "completed"


def _job_answer(job: VideoJob, status_code: int, origin: str = "") -> JSONResponse:
    answer: dict[str, Any] = {
        "id": job.id,
        "polling_url": f"/v1/videos/{job.id}",
        "status": job.status,
    }
    if job.status == "in_progress":
        answer["progress"] = 50
    if job.status == "completed":
        answer["generation_id"] = f"gen-{job.id}"
        answer["unsigned_urls"] = [f"{origin}/v1/videos/{job.id}/content?index=0"]
        answer["usage"] = {"cost": 0.5, "is_byok": False}
    if job.status == "failed":
        answer["error"] = f"Provider returned error: {SECRET_ERROR_TEXT}"
    return JSONResponse(answer, status_code=status_code)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


async def _hang(request: Request) -> None:
    for _ in range(int(HANG_SECONDS / 0.05)):
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


async def _chunks(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        size = min(LARGE_CHUNK, total - sent)
        yield bytes([sent // LARGE_CHUNK % 256]) * size
        sent += size
