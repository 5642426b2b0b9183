"""ChatCompletionRequest.message_dicts: the messages as each one's own model_dump gives them
(what the token count, the local models and the trace's body read), through the request's
serializer."""

from typing import Any

import pytest

from switchboard.domain.requests import ChatCompletionRequest

MESSAGES = [
    {"role": "system", "content": "Be brief.", "extra_field": 1},
    {"role": "developer", "content": [{"type": "text", "text": "dev"}]},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "hi", "unset": None},
            {"type": "image_url", "image_url": {"url": "https://x", "detail": "low"}, "text": "t"},
            {"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}},
            {"type": "file", "file": {"file_id": "f"}},
        ],
        "name": "bob",
    },
    {
        "role": "assistant",
        "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}],
    },
    {
        "role": "assistant",
        "content": [{"type": "refusal", "refusal": "no"}, {"type": "text", "text": "t"}],
    },
    {"role": "tool", "content": "result", "tool_call_id": "c1"},
    {"role": "user", "content": "plain", "name": None, "nested": {"a": [1, None]}},
]


OPTIONS = [{}, {"exclude_none": True}, {"mode": "json", "exclude_none": True, "by_alias": True}]


@pytest.mark.parametrize("options", OPTIONS)
def test_message_dicts_are_each_messages_own_dump(options: dict[str, Any]) -> None:
    request = ChatCompletionRequest.model_validate({"model": "m", "messages": MESSAGES})
    dumped = request.message_dicts(**options)
    each = [message.model_dump(**options) for message in request.messages]
    assert dumped == each
    assert [list(message) for message in dumped] == [list(message) for message in each]
