"""Fixtures of the video provider tests: Bedrock's async invocations on a loopback fake (it
writes the video into the emulator's bucket, as Bedrock does), and an OpenRouter-shaped
video upstream; both providers store into the platform's data bucket on the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from switchboard.adapters.providers.bedrock_video import BedrockVideoProvider
from switchboard.adapters.providers.http_video import HttpVideoProvider
from switchboard.bootstrap import Container
from tests.adapters import video_support
from tests.support.fake_bedrock import FakeBedrock, fake_bedrock
from tests.support.fake_upstream import serve_in_thread
from tests.support.fake_video_upstream import create_video_upstream


@pytest.fixture
def data_bucket(services: Container) -> str:
    return services.settings.DATA_BUCKET


@pytest.fixture
def s3(services: Container) -> Any:
    return services.client("s3")


@pytest.fixture
def nova(s3: Any) -> Iterator[FakeBedrock]:
    """A fresh fake Bedrock per test: its requests and invocations are this test's."""
    with fake_bedrock() as server:
        server.async_invokes.s3 = s3
        yield server


@pytest.fixture
def nova_video(nova: FakeBedrock, s3: Any, data_bucket: str) -> Iterator[BedrockVideoProvider]:
    client = video_support.runtime_client(nova.url)
    yield video_support.bedrock_video(client, s3, data_bucket)
    client.close()


@pytest.fixture(scope="session")
def video_app() -> Iterator[Starlette]:
    app = create_video_upstream(api_key=video_support.VIDEO_KEY)
    with serve_in_thread(app) as base_url:
        app.state.base_url = base_url
        yield app


@pytest.fixture
def video_upstream(video_app: Starlette) -> Starlette:
    """The session's fake video upstream, its record of requests cleared for this test."""
    video_app.state.received.clear()
    video_app.state.polls_before_done = 1
    return video_app


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def upstream_video(
    video_upstream: Starlette, http_client: httpx.AsyncClient, s3: Any, data_bucket: str
) -> HttpVideoProvider:
    base_url = video_upstream.state.base_url
    return video_support.http_video(base_url, http_client, s3, data_bucket)
