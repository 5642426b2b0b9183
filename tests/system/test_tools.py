"""Built-in tools on the running platform, through the official openai SDK: `use_tools` in
extra_body, whole and streamed (the SDK skips the SSE comment lines sent while tools run),
and usage.cost_usd kept by the SDK as an extra field."""

from __future__ import annotations

import openai
import pytest

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
ASK = [{"role": "user", "content": "calculate (2+3)*4^2"}]


def test_use_tools_through_the_sdk(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model="local-chat",
        messages=ASK,  # type: ignore[arg-type]
        extra_body={"use_tools": True},
    )
    assert completion.choices[0].message.content == "The tool returned: 80"
    assert completion.choices[0].message.tool_calls is None
    usage = completion.usage
    assert usage is not None and usage.model_extra is not None
    assert usage.model_extra["cost_usd"].startswith("0.")


def test_use_tools_streamed_through_the_sdk(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="local-chat",
        messages=ASK,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"use_tools": ["calculator"]},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The tool returned: 80"
    assert chunks[-1].usage is not None and chunks[-1].usage.model_extra is not None
    assert "cost_usd" in chunks[-1].usage.model_extra
