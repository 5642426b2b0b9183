"""The local platform started as `make serve` starts it, driven by the official openai SDK."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer, server_env, start_server

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
HELLO = [{"role": "user", "content": "Hello, SDK"}]


def test_printed_key_is_random_and_prefixed(server: RunningServer) -> None:
    assert server.api_key.startswith("sb_") and len(server.api_key) >= 40
    assert "curl " in "".join(server.output)


def test_models(sdk: openai.OpenAI) -> None:
    ids = [model.id for model in sdk.models.list()]
    assert {"local-chat", "local-embed", "fake-chat"} <= set(ids)
    model = sdk.models.retrieve("local-chat")
    assert model.id == "local-chat" and model.owned_by == "local"


def test_chat(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model="local-chat", messages=HELLO)  # type: ignore[arg-type]
    assert completion.choices[0].message.content.endswith("You said: Hello, SDK")  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_streaming_with_include_usage(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="local-chat",
        messages=HELLO,
        stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.endswith("You said: Hello, SDK")
    assert chunks[0].choices[0].delta.role == "assistant"
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1] and not chunks[-1].choices
    plain = sdk.chat.completions.create(model="local-chat", messages=HELLO)  # type: ignore[arg-type]
    assert usage_chunks[0].usage == plain.usage


def test_stream_helper_accumulates(sdk: openai.OpenAI) -> None:
    with sdk.chat.completions.stream(model="local-chat", messages=HELLO) as stream:  # type: ignore[arg-type]
        final = stream.get_final_completion()
    assert final.choices[0].message.content.endswith("Hello, SDK")  # type: ignore[union-attr]


def test_upstream_stream_is_relayed_before_it_ends(sdk: openai.OpenAI) -> None:
    """slow-stream waits 300 ms between chunks: the first must arrive long before the end."""
    started = time.monotonic()
    arrivals: list[float] = []
    stream = sdk.chat.completions.create(model="slow-stream", messages=HELLO, stream=True)  # type: ignore[arg-type]
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)
    assert len(arrivals) >= 3
    assert arrivals[-1] - arrivals[0] > 0.5


def test_embeddings_float_and_base64(sdk: openai.OpenAI) -> None:
    floats = sdk.embeddings.create(
        model="local-embed", input=["alpha beta", "gamma"], encoding_format="float"
    )
    default = sdk.embeddings.create(model="local-embed", input=["alpha beta", "gamma"])  # base64
    assert len(floats.data) == 2 and len(floats.data[0].embedding) == 384
    for a, b in zip(floats.data, default.data, strict=True):
        assert a.embedding == pytest.approx(b.embedding, abs=1e-6)
    assert floats.usage.prompt_tokens > 0


def test_sdk_error_types(server: RunningServer, sdk: openai.OpenAI) -> None:
    bad = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="sb_wrong", max_retries=0)
    with bad, pytest.raises(openai.AuthenticationError) as auth:
        bad.models.list()
    assert auth.value.code == "invalid_api_key"
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.chat.completions.create(model="no-such-model", messages=HELLO)  # type: ignore[arg-type]
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad_request:
        sdk.chat.completions.create(model="local-chat", messages=[])
    assert bad_request.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as video:
        sdk.chat.completions.create(model="local-video", messages=HELLO)  # type: ignore[arg-type]
    assert video.value.code == "USE_VIDEO_ENDPOINT"


def test_error_in_the_middle_of_a_stream_reaches_the_sdk(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(model="fail-midstream", messages=HELLO, stream=True)  # type: ignore[arg-type]
    received: list[Any] = []
    with pytest.raises(openai.APIError) as failure:
        for chunk in stream:
            received.append(chunk)
    assert received and "upstream" in str(failure.value).lower()


def test_known_dev_key_and_clean_shutdown(test_catalog: Path) -> None:
    env = server_env(
        ORIGINAL_ENV, MODEL_CATALOG=str(test_catalog), SWITCHBOARD_DEV_API_KEY="my-known-key"
    )
    running = start_server(ROOT, env)
    try:
        assert running.api_key == "my-known-key"
        with openai.OpenAI(
            base_url=f"{running.base_url}/v1", api_key="my-known-key", max_retries=0
        ) as client:
            assert client.models.retrieve("local-chat").id == "local-chat"
    finally:
        code = running.stop()
    assert code == 0
    assert "Switchboard stopped." in "".join(running.output)


def test_client_going_away_mid_stream_releases_the_upstream(
    server: RunningServer, upstream: Any
) -> None:
    """The gateway stops reading from the upstream when its client leaves."""
    import httpx

    body = {"model": "slow-stream", "stream": True, "messages": HELLO}
    headers = {"Authorization": f"Bearer {server.api_key}"}
    url = f"{server.base_url}/v1/chat/completions"

    def stream(read_all: bool) -> None:
        with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith("data: {") and not read_all:
                    return  # leave after the first chunk: the connection is closed

    before = upstream.state.streams_finished
    started = time.monotonic()
    stream(read_all=True)
    whole = time.monotonic() - started
    assert upstream.state.streams_finished == before + 1  # a finished stream is counted
    stream(read_all=False)
    time.sleep(whole + 1)  # longer than the whole stream would have taken
    assert upstream.state.streams_finished == before + 1
