"""POST /v1/chat/completions through the platform's ASGI app, on emulated AWS."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]


def sse_events(text: str) -> list[Any]:
    frames = [block for block in text.split("\n\n") if block.strip()]
    assert all(frame.startswith("data: ") for frame in frames), frames
    return [frame.removeprefix("data: ") for frame in frames]


async def test_local_completion_has_openai_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions", json={"model": "local-chat", "messages": HELLO}
    )
    assert response.status_code == 200
    body = response.json()
    assert_matches_spec(body, "CreateChatCompletionResponse")
    assert body["id"].startswith("chatcmpl-")
    assert body["object"] == "chat.completion"
    assert body["model"] == "local-chat"
    choice = body["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "This is Switchboard's offline local model. You said: Hello there",
        "refusal": None,
    }
    assert choice["logprobs"] is None and choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] == 14


async def test_stream_is_well_formed_with_usage_last(client: httpx.AsyncClient) -> None:
    request = {
        "model": "local-chat",
        "messages": HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = await client.post("/v1/chat/completions", json=request)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = sse_events(response.text)
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(frame) for frame in frames[:-1]]
    for chunk in chunks:
        assert_matches_spec(chunk, "CreateChatCompletionStreamResponse")
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert len({chunk["id"] for chunk in chunks}) == 1
    *content_chunks, usage_chunk = chunks
    assert [c["choices"][0]["finish_reason"] for c in content_chunks[:-1]] == [None] * (
        len(content_chunks) - 1
    )
    assert content_chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["usage"] is None for c in content_chunks)
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] == 14
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in content_chunks)
    assert text.endswith("You said: Hello there")


async def test_stream_without_include_usage_has_no_usage(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions", json={"model": "local-chat", "messages": HELLO, "stream": True}
    )
    chunks = [json.loads(f) for f in sse_events(response.text)[:-1]]
    assert all("usage" not in chunk for chunk in chunks)
    assert all(chunk["choices"] for chunk in chunks)


async def test_streamed_and_unstreamed_usage_agree_through_upstream(
    client: httpx.AsyncClient,
) -> None:
    request = {"model": "fake-chat", "messages": HELLO, "max_tokens": 50}
    plain = (await client.post("/v1/chat/completions", json=request)).json()
    streamed = await client.post(
        "/v1/chat/completions",
        json=request | {"stream": True, "stream_options": {"include_usage": True}},
    )
    last = json.loads(sse_events(streamed.text)[-2])
    assert last["usage"] == plain["usage"]
    assert plain["model"] == "fake-chat"


async def test_upstream_receives_mapped_model_and_key(
    client: httpx.AsyncClient, upstream: Any
) -> None:
    await client.post(
        "/v1/chat/completions",
        json={"model": "fake-chat", "messages": HELLO, "seed": 7, "user": "u1"},
    )
    received = upstream.state.received[-1]
    assert received.body["model"] == "fake-upstream-chat"
    assert received.body["seed"] == 7
    assert received.headers["authorization"] == "Bearer upstream-secret-key"


async def test_all_documented_parameters_are_accepted(client: httpx.AsyncClient) -> None:
    request = {
        "model": "local-chat",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Call get_weather please"}]},
        ],
        "temperature": 0.5,
        "top_p": 0.9,
        "max_tokens": 100,
        "max_completion_tokens": 100,
        "stop": ["\n\n"],
        "n": 2,
        "seed": 1,
        "user": "someone",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                },
            }
        ],
        "tool_choice": "auto",
        "response_format": {"type": "text"},
    }
    body = (await client.post("/v1/chat/completions", json=request)).json()
    assert_matches_spec(body, "CreateChatCompletionResponse")
    assert [c["index"] for c in body["choices"]] == [0, 1]
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert call["function"]["name"] == "get_weather"
    assert set(json.loads(call["function"]["arguments"])) == {"city"}


async def test_tool_result_round_trip(client: httpx.AsyncClient) -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    body = (
        await client.post(
            "/v1/chat/completions", json={"model": "local-chat", "messages": messages}
        )
    ).json()
    assert body["choices"][0]["message"]["content"] == "The tool returned: sunny"


async def test_json_response_format(client: httpx.AsyncClient) -> None:
    request = {"model": "local-chat", "messages": HELLO, "response_format": {"type": "json_object"}}
    body = (await client.post("/v1/chat/completions", json=request)).json()
    assert "reply" in json.loads(body["choices"][0]["message"]["content"])


async def test_stop_and_max_tokens(client: httpx.AsyncClient) -> None:
    stopped = (
        await client.post(
            "/v1/chat/completions",
            json={"model": "local-chat", "messages": HELLO, "stop": "offline"},
        )
    ).json()
    assert stopped["choices"][0]["message"]["content"] == "This is Switchboard's "
    assert stopped["choices"][0]["finish_reason"] == "stop"
    cut = (
        await client.post(
            "/v1/chat/completions",
            json={"model": "local-chat", "messages": HELLO, "max_completion_tokens": 3},
        )
    ).json()
    assert cut["choices"][0]["finish_reason"] == "length"
    assert cut["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize("model", ["fail-500", "fail-400"])
async def test_upstream_errors_become_502_without_upstream_text(
    client: httpx.AsyncClient, model: str
) -> None:
    for stream in (False, True):
        response = await client.post(
            "/v1/chat/completions", json={"model": model, "messages": HELLO, "stream": stream}
        )
        assert response.status_code == 502
        error = response.json()["error"]
        assert error["type"] == "upstream_error"
        assert "secret" not in response.text.lower()
        assert_matches_spec(response.json(), "ErrorResponse")


async def test_upstream_timeout_is_504(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions", json={"model": "fail-timeout", "messages": HELLO}
    )
    assert response.status_code == 504
    assert response.json()["error"]["type"] == "timeout_error"


async def test_midstream_failure_ends_with_an_error_frame(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions", json={"model": "fail-midstream", "messages": HELLO, "stream": True}
    )
    assert response.status_code == 200
    frames = sse_events(response.text)
    assert frames[-1] != "[DONE]"
    last = json.loads(frames[-1])
    assert last["error"]["type"] == "upstream_error"
    assert json.loads(frames[0])["choices"][0]["delta"]["role"] == "assistant"
