"""The sweep's budget, how it sends a request, and the one property every answer must have.

The property: no 5xx (every model the sweep names is a local one, so not even a 502/504 is
excused), no 422, and every 4xx or 5xx body is OpenAI's error envelope
`{"error": {"message": str, "type": str, "param": str | null, "code": str | null}}`.

Budget: EXAMPLES generated requests per property test, deterministic (the same cases every
run), so `make test` stays well under a minute. For a long local run, set
SWITCHBOARD_SWEEP_EXAMPLES=2000: the cases are then random, and a failure prints a
`@reproduce_failure` blob as well as the example.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

EXAMPLES = 25
EXAMPLES_ENV = "SWITCHBOARD_SWEEP_EXAMPLES"
BUDGET = int(os.environ.get(EXAMPLES_ENV) or EXAMPLES)
LONG_RUN = BUDGET != EXAMPLES
REQUEST_SECONDS = 15
# Written into a body where a fresh value is needed on every send (emails: logins are
# limited per address, users are unique by it); replaced by `send`, never by hypothesis.
NONCE = "{nonce}"

SWEEP = settings(
    max_examples=BUDGET,
    derandomize=not LONG_RUN,
    database=None,  # nothing written into the work tree; failures print how to replay them
    deadline=None,  # a request's time depends on the emulator, not on the example
    print_blob=LONG_RUN,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)
# pytest-timeout's 120 s per test, stretched for a long run.
TIMEOUT = pytest.mark.timeout(120 + BUDGET * 2)


@dataclass
class Observed:
    """A request as sent, its answer, and any exception the app logged while answering."""

    method: str
    path: str
    body: bytes
    status: int
    text: str
    content_type: str
    server_errors: list[str] = field(default_factory=list)
    response: httpx.Response | None = field(default=None, repr=False)

    def describe(self) -> str:
        shown = self.body if len(self.body) <= 300 else self.body[:300] + b"...(truncated)"
        lines = [
            f"{self.method} {self.path}",
            f"  body ({len(self.body)} bytes): {shown!r}",
            f"  -> {self.status} {self.content_type}: {self.text[:500]}",
        ]
        lines += [f"  server logged: {error}" for error in self.server_errors]
        return printable("\n".join(lines))


def printable(text: str) -> str:
    """`text` with lone surrogates written as escapes, so it can be encoded as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


async def send(app: Any, method: str, path: str, body: bytes, headers: dict[str, str]) -> Observed:
    """One request through the ASGI app. Like a real server, the transport answers with what
    the app sent even when the app then raises (httpx's default would raise instead)."""
    body = body.replace(NONCE.encode(), uuid.uuid4().hex.encode())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with capture_server_errors() as errors, anyio.fail_after(REQUEST_SECONDS):
            response = await http.request(method, path, content=body, headers=headers)
    return Observed(
        method,
        path,
        body,
        response.status_code,
        response.text,
        response.headers.get("content-type", ""),
        errors,
        response,
    )


def assert_openai_shaped(observed: Observed) -> None:
    problems = problems_with(observed)
    assert not problems, "\n".join([*problems, observed.describe()])


def problems_with(observed: Observed) -> list[str]:
    if observed.status == 422:
        return ["422: validation failures answer 400"]
    if observed.status >= 500:
        return [f"{observed.status}: a server error", *envelope_problems(observed.text)]
    if observed.status >= 400:
        return envelope_problems(observed.text)
    if observed.content_type.startswith("text/event-stream"):
        return stream_problems(observed.text)
    return []


def envelope_problems(text: str) -> list[str]:
    try:
        body = json.loads(text)
    except ValueError:
        return ["the error body is not JSON"]
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return ['the error body is not {"error": {...}}']
    error = body["error"]
    problems = [
        f"error.{key} is {error.get(key)!r}, not {kind}"
        for key, kind, ok in (
            ("message", "a non-empty string", isinstance(error.get("message"), str)),
            ("type", "a string", isinstance(error.get("type"), str)),
            ("param", "a string or null", isinstance(error.get("param", 0), str | None)),
            ("code", "a string or null", isinstance(error.get("code", 0), str | None)),
        )
        if not ok
    ]
    if not error.get("message"):
        problems.append("error.message is empty")
    return problems


def stream_problems(text: str) -> list[str]:
    """An error in the middle of a stream is a `data:` frame holding the envelope."""
    problems = []
    for line in text.splitlines():
        payload = line.removeprefix("data:").strip()
        if not line.startswith("data:") or payload == "[DONE]":
            continue
        try:
            frame = json.loads(payload)
        except ValueError:
            problems.append(f"a stream frame is not JSON: {payload[:200]!r}")
            continue
        if isinstance(frame, dict) and "error" in frame:
            problems += envelope_problems(payload)
    return problems


@contextmanager
def capture_server_errors() -> Iterator[list[str]]:
    """Exceptions the app logs while answering, as `Type: message (at file:line in function)`."""
    errors: list[str] = []
    handler = _Collector(errors)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield errors
    finally:
        root.removeHandler(handler)


class _Collector(logging.Handler):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(summarize(record.exc_info[1]))
        else:  # moto's server, in this process, logs a traceback as text: keep its ends
            lines = [line for line in record.getMessage().splitlines() if line.strip()]
            ends = dict.fromkeys([lines[0][:200], lines[-1][:200]] if lines else [""])
            self.errors.append(f"{record.name}: {' ... '.join(ends)}")


def summarize(error: BaseException) -> str:
    """The exception, the innermost frame in our code, and the innermost frame of all."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/switchboard/" in f.filename and "-packages" not in f.filename]
    where = [f"{_short(f.filename)}:{f.lineno} in {f.name}" for f in (ours[-1:] + frames[-1:])]
    message = str(error)[:200]
    return f"{type(error).__name__}: {message} (at {' <- '.join(dict.fromkeys(reversed(where)))})"


def _short(filename: str) -> str:
    for anchor in ("/switchboard/", "/site-packages/", "/lib/python"):
        if anchor in filename:
            return filename.split(anchor, 1)[1]
    return filename
