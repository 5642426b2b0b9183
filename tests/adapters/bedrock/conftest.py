"""BedrockProvider through real boto3 against the loopback fake_bedrock server: one server
per test (so `bedrock.requests` holds this test's calls alone), and the provider on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider
from tests.adapters.bedrock.support import make_provider
from tests.support.fake_bedrock import FakeBedrock, fake_bedrock


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    with fake_bedrock() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield server


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    """The boto3 clients the tests' factories made, closed at the end."""
    made: list[Any] = []
    yield made
    for client in made:
        client.close()


@pytest.fixture
async def provider(bedrock: FakeBedrock, clients: list[Any]) -> AsyncIterator[BedrockProvider]:
    provider = make_provider(clients)
    yield provider
    await provider.aclose()
