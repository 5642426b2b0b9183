"""A chat completion by prompt on the running platform, as the official SDK sends it (the
`prompt` field through `extra_body`), whole and streamed; the README's example runs as
written; the upstream on loopback receives the compiled messages and never the field."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def test_the_readmes_chat_by_prompt_example_runs(server: RunningServer) -> None:
    out = run_readme_example(server, "sdk-welcome", section="Prompts").stdout
    assert out.startswith("local-chat -> ") and "Thanks!" in out


def test_the_sdk_sends_a_prompt_through_extra_body(
    server: RunningServer, sdk: openai.OpenAI, upstream: Any
) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers) as api:
        api.post("/prompts", json={"slug": "sdk-system-prompted"})
        version = {"text": "Describe {{thing}}.", "systemText": "Be short.", "tag": "production",
                   "model": {"model": "fake-chat", "parameters": {"max_tokens": 30}}}  # fmt: skip
        assert api.post("/prompts/sdk-system-prompted/versions", json=version).status_code == 201
    prompt = {"slug": "sdk-system-prompted", "variables": {"thing": "the sea"}}
    count = len(upstream.state.received)
    reply = sdk.chat.completions.create(model="", messages=[], extra_body={"prompt": prompt})
    assert reply.model and reply.choices[0].message.content
    sent = upstream.state.received[count].body
    assert sent["messages"] == [
        {"role": "system", "content": "Be short."},
        {"role": "user", "content": "Describe the sea."},
    ]
    assert sent["max_tokens"] == 30 and "prompt" not in sent

    stream = sdk.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "More."}], stream=True,
        extra_body={"prompt": prompt},
    )  # fmt: skip
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text
    streamed = upstream.state.received[-1].body
    assert streamed["stream"] is True and streamed["messages"][-1]["content"] == "More."

    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="", messages=[], extra_body={"prompt": {"slug": "none"}})
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(
            model="", messages=[], extra_body={"prompt": {"slug": "sdk-system-prompted"}}
        )
    assert caught.value.body["param"] == "prompt.variables.thing"  # type: ignore[index]
