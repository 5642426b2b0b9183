"""OpenAI chat requests as Bedrock receives them (Converse), and the requests it cannot
express, refused before any call."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider
from switchboard.errors import InvalidRequestError
from tests.adapters.bedrock.support import PNG, WEATHER_TOOL, chat, collect, model
from tests.support.fake_bedrock import FakeBedrock


@pytest.mark.anyio
async def test_system_messages_inference_config_and_model(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    request = chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hi"},
        ],
        max_tokens=50,
        max_completion_tokens=100,
        temperature=0.2,
        top_p=0.9,
        stop="END",
    )
    await provider.complete(request, model("anthropic.claude-3-haiku-20240307-v1:0"))

    sent = bedrock.requests[-1]
    assert sent.operation == "converse"
    assert sent.model_id == "anthropic.claude-3-haiku-20240307-v1:0"
    assert sent.body == {
        "system": [{"text": "Be brief."}, {"text": "Answer in French."}],
        "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
        "inferenceConfig": {
            "maxTokens": 100,
            "temperature": 0.2,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
    }


@pytest.mark.anyio
async def test_images_become_image_blocks(provider: BedrockProvider, bedrock: FakeBedrock) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    await provider.complete(chat(messages=[{"role": "user", "content": content}]), model())

    blocks = bedrock.requests[-1].body["messages"][0]["content"]
    assert blocks[0] == {"text": "What is this?"}
    assert blocks[1]["image"]["format"] == "png"
    assert base64.b64decode(blocks[1]["image"]["source"]["bytes"]) == PNG


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url",
    ["https://example.com/cat.png", "data:image/tiff;base64,AAAA", "data:image/png;base64,%%%"],
)
async def test_unsupported_images_are_invalid_requests(
    provider: BedrockProvider, bedrock: FakeBedrock, url: str
) -> None:
    content = [{"type": "image_url", "image_url": {"url": url}}]
    with pytest.raises(InvalidRequestError) as caught:
        await provider.complete(chat(messages=[{"role": "user", "content": content}]), model())
    assert caught.value.param == "messages"
    assert bedrock.requests == []


@pytest.mark.anyio
async def test_tool_calls_results_and_role_merging(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
        },
    ]
    messages = [
        {"role": "user", "content": "Weather in Paris"},
        {"role": "user", "content": "and Rome?"},
        {"role": "assistant", "content": "", "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21C"}]},
        {"role": "user", "content": "Thanks"},
    ]
    request = chat(messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    await provider.complete(request, model())

    body = bedrock.requests[-1].body
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Paris"}, {"text": "and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "call_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                },
                {
                    "toolUse": {
                        "toolUseId": "call_2",
                        "name": "get_weather",
                        "input": {"city": "Rome"},
                    }
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C"}]}},
                {"toolResult": {"toolUseId": "call_2", "content": [{"text": "21C"}]}},
                {"text": "Thanks"},
            ],
        },
    ]
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "inputSchema": {"json": WEATHER_TOOL["function"]["parameters"]},
                }
            }
        ],
        "toolChoice": {"auto": {}},
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("required", {"any": {}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"tool": {"name": "get_weather"}},
        ),
        (None, None),
    ],
)
async def test_tool_choice(
    provider: BedrockProvider, bedrock: FakeBedrock, choice: Any, expected: Any
) -> None:
    await provider.complete(chat(tools=[WEATHER_TOOL], tool_choice=choice), model())
    assert bedrock.requests[-1].body["toolConfig"].get("toolChoice") == expected


@pytest.mark.anyio
async def test_tool_choice_none_omits_tools(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    await provider.complete(chat(tools=[WEATHER_TOOL], tool_choice="none"), model())
    assert "toolConfig" not in bedrock.requests[-1].body


@pytest.mark.anyio
async def test_json_schema_response_format(provider: BedrockProvider, bedrock: FakeBedrock) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
    await provider.complete(chat(response_format=response_format), model())

    text_format = bedrock.requests[-1].body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    definition = text_format["structure"]["jsonSchema"]
    assert definition["name"] == "reply"
    assert json.loads(definition["schema"]) == schema


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"messages": [{"role": "assistant", "content": "Hello"}]}, "messages"),
        (
            {
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "c", "function": {"name": "f", "arguments": "not json"}}
                        ],
                    },
                ]
            },
            "messages",
        ),
    ],
)
async def test_requests_bedrock_cannot_express(
    provider: BedrockProvider, bedrock: FakeBedrock, fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await provider.complete(chat(**fields), model())
    assert caught.value.param == param
    with pytest.raises(InvalidRequestError):
        await collect(provider, chat(**fields), "fake.text")
    assert bedrock.requests == []
