"""Upstream failures as our errors: Bedrock's text in the log, never to the client; timeouts
as timeouts, in answers, streams and embeddings alike."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider
from switchboard.domain.completions import CompletionChunk
from switchboard.errors import UpstreamError, UpstreamTimeoutError
from tests.adapters.bedrock.support import (
    chat,
    collect,
    deltas,
    make_provider,
    model,
    wait_for_no_stream_threads,
)
from tests.support.fake_bedrock import FakeBedrock


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("upstream", "code"),
    [("fake.throttled", "ThrottlingException"), ("fake.invalid", "ValidationException")],
)
async def test_client_errors_are_logged_not_shown(
    provider: BedrockProvider, upstream: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.providers")
    with pytest.raises(UpstreamError) as caught:
        await provider.complete(chat(), model(upstream))
    assert caught.value.message == "The upstream model provider returned an error."
    with pytest.raises(UpstreamError) as caught:
        await collect(provider, chat(stream=True), upstream)
    assert caught.value.message == "The upstream model provider returned an error."
    with pytest.raises(UpstreamError):
        await provider.embed(["a", "b"], model(upstream), None)
    assert code in caplog.text
    if upstream == "fake.invalid":
        assert "secret upstream detail" in caplog.text


@pytest.mark.anyio
async def test_in_stream_exception(provider: BedrockProvider) -> None:
    received: list[CompletionChunk] = []
    with pytest.raises(UpstreamError) as caught:
        async for chunk in provider.stream(chat(stream=True), model("fake.stream-error")):
            received.append(chunk)
    assert deltas(received) == [{"role": "assistant", "content": ""}, {"content": "Hello"}]
    assert "Model stream error" not in caught.value.message
    assert isinstance(caught.value.__cause__, Exception)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_unreachable_endpoint(
    provider: BedrockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(UpstreamError):
        await provider.complete(chat(), model())
    with pytest.raises(UpstreamError):
        await collect(provider, chat(stream=True), "fake.text")
    with pytest.raises(UpstreamError):
        await provider.embed(["a"], model(), None)


@pytest.mark.anyio
async def test_an_answer_that_never_comes_times_out(
    bedrock: FakeBedrock, clients: list[Any]
) -> None:
    """botocore's own ReadTimeoutError (not urllib3's) is a timeout too: 504, not 502."""
    provider = make_provider(clients, read_timeout=0.5)
    try:
        with pytest.raises(UpstreamTimeoutError):
            await provider.complete(chat(), model("fake.silent"))
    finally:
        bedrock.release()


@pytest.mark.anyio
async def test_a_silent_stream_times_out(bedrock: FakeBedrock, clients: list[Any]) -> None:
    provider = make_provider(clients, read_timeout=0.5)
    received: list[CompletionChunk] = []
    with pytest.raises(UpstreamTimeoutError):
        async for chunk in provider.stream(chat(stream=True), model("fake.gated")):
            received.append(chunk)
    assert len(received) == 2
    assert len(clients) == 1
    wait_for_no_stream_threads()
