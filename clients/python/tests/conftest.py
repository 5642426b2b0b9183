"""A platform of canned answers on httpx.MockTransport: each test routes requests to its
own handler, and the client's waits are recorded instead of slept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from switchboard_client import AsyncSwitchboard, RetryPolicy, Switchboard

BASE_URL = "http://switchboard.test"
KEY = "sb_test_key"
Handler = Callable[[httpx.Request], httpx.Response]


def error(status: int, type_: str, code: str | None = None, **extra: Any) -> httpx.Response:
    inner = {"message": f"{type_} {code}", "type": type_, "param": None, "code": code} | extra
    headers = {"x-request-id": "req_123"} | extra.pop("headers", {})
    return httpx.Response(status, json={"error": inner}, headers=headers)


@dataclass
class Recorder:
    """What the client sent, and how long it waited between tries."""

    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def body(self, n: int) -> Any:
        return json.loads(self.requests[n].content)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_client(recorder: Recorder) -> Iterator[Callable[..., Switchboard]]:
    clients: list[Switchboard] = []

    def make(handler: Handler, **options: Any) -> Switchboard:
        def record(request: httpx.Request) -> httpx.Response:
            recorder.requests.append(request)
            return handler(request)

        options.setdefault("retry", RetryPolicy(jitter=lambda: 1.0))
        client = Switchboard(
            KEY,
            BASE_URL,
            transport=httpx.MockTransport(record),
            sleep=recorder.sleeps.append,
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_async_client(recorder: Recorder) -> Callable[..., AsyncSwitchboard]:
    def make(handler: Handler, **options: Any) -> AsyncSwitchboard:
        async def record(request: httpx.Request) -> httpx.Response:
            recorder.requests.append(request)
            await request.aread()
            return handler(request)

        async def sleep(seconds: float) -> None:
            recorder.sleeps.append(seconds)

        options.setdefault("retry", RetryPolicy(jitter=lambda: 1.0))
        return AsyncSwitchboard(
            KEY, BASE_URL, transport=httpx.MockTransport(record), sleep=sleep, **options
        )

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
