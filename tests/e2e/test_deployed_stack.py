"""Opt-in: the same SDK checks against a deployed stack, found through its outputs.

    SWITCHBOARD_E2E_STACK=switchboard SWITCHBOARD_E2E_API_KEY=sb_... .venv/bin/pytest tests/e2e

Uses your AWS credentials to read the stack's ApiUrl output. Skipped unless both are set.
The key needs scope "*" (as `switchboard create-admin` makes), for /auth/me.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import openai
import pytest

STACK = os.environ.get("SWITCHBOARD_E2E_STACK", "")
KEY = os.environ.get("SWITCHBOARD_E2E_API_KEY", "")

pytestmark = pytest.mark.skipif(
    not (STACK and KEY),
    reason="set SWITCHBOARD_E2E_STACK and SWITCHBOARD_E2E_API_KEY to test a deployed stack",
)


@pytest.fixture(scope="module")
def sdk() -> Iterator[openai.OpenAI]:
    import boto3

    outputs = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    api_url = next(o["OutputValue"] for o in outputs["Outputs"] if o["OutputKey"] == "ApiUrl")
    with openai.OpenAI(base_url=f"{api_url}/v1", api_key=KEY, max_retries=0) as client:
        yield client


def test_models_and_chat(sdk: openai.OpenAI) -> None:
    assert "local-chat" in {model.id for model in sdk.models.list()}
    reply = sdk.chat.completions.create(
        model="local-chat", messages=[{"role": "user", "content": "Hello, AWS"}]
    )
    assert reply.choices[0].message.content.endswith("Hello, AWS")  # type: ignore[union-attr]


def test_chat_streams_in_pieces(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="local-chat",
        messages=[{"role": "user", "content": "Stream through API Gateway"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len(chunks) > 5 and chunks[-1].usage is not None


def test_embeddings_and_errors(sdk: openai.OpenAI) -> None:
    assert len(sdk.embeddings.create(model="local-embed", input="x").data[0].embedding) == 384
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("no-such-model")


def test_a_chat_is_billed_and_counted(sdk: openai.OpenAI) -> None:
    """The key's owner pays the public price for the usage, and the rate window counts."""
    import httpx

    base = str(sdk.base_url).rstrip("/").removesuffix("/v1")
    headers = {"Authorization": f"Bearer {KEY}"}
    before = httpx.get(f"{base}/auth/me", headers=headers, timeout=30)
    assert before.status_code == 200, before.text
    raw = sdk.chat.completions.with_raw_response.create(
        model="local-chat", messages=[{"role": "user", "content": "Bill me"}]
    )
    assert raw.headers["x-ratelimit-window"] == "60s"
    assert int(raw.headers["x-ratelimit-remaining"]) < int(raw.headers["x-ratelimit-limit"])
    usage = raw.parse().usage
    assert usage is not None
    after = httpx.get(f"{base}/auth/me", headers=headers, timeout=30).json()

    def micro(usd: str) -> int:
        whole, fraction = usd.split(".")
        return int(whole) * 1_000_000 + int(fraction)

    cost = -(-(usage.prompt_tokens * 100_000 + usage.completion_tokens * 400_000) // 1_000_000)
    spent = micro(before.json()["credits_usd"]) - micro(after["credits_usd"])
    assert spent >= cost  # other traffic on the same key may spend too, never less


def test_kits_and_skills(sdk: openai.OpenAI) -> None:
    """KitsFunction behind API Gateway: the lists, a streamed run, a chat with a skill."""
    import json

    import httpx

    base = str(sdk.base_url).rstrip("/").removesuffix("/v1")
    headers = {"Authorization": f"Bearer {KEY}"}
    kits = httpx.get(f"{base}/v1/kits", headers=headers, timeout=30).json()
    assert "text-gen" in {kit["id"] for kit in kits["data"]}
    skills = httpx.get(f"{base}/skills", headers=headers, timeout=30).json()["skills"]
    assert "coder" in {skill["id"] for skill in skills}
    run = {"kit": "text-gen", "input": {"prompt": "Stream a kit"}, "stream": True}
    answer = httpx.post(f"{base}/v1/kits/run", headers=headers, json=run, timeout=60)
    frames = [line[6:] for line in answer.text.split("\n\n") if line.startswith("data: ")]
    assert frames[-1] == "[DONE]" and json.loads(frames[-2])["usage"]["total_tokens"] > 0
    reply = sdk.chat.completions.create(
        model="local-chat",
        messages=[{"role": "user", "content": "Hello"}],
        extra_body={"skill": "coder"},
    )
    assert reply.usage is not None and reply.usage.prompt_tokens > 5


def test_built_in_tools(sdk: openai.OpenAI) -> None:
    """The tool loop behind API Gateway, streamed (comment lines, then the answer) and not."""
    ask = [{"role": "user", "content": "calculate (2+3)*4^2"}]
    reply = sdk.chat.completions.create(
        model="local-chat",
        messages=ask,
        extra_body={"use_tools": True},  # type: ignore[arg-type]
    )
    assert reply.choices[0].message.content == "The tool returned: 80"
    assert reply.usage is not None and "cost_usd" in (reply.usage.model_extra or {})
    stream = sdk.chat.completions.create(
        model="local-chat", messages=ask, stream=True,  # type: ignore[arg-type]
        extra_body={"use_tools": ["calculator"]},
    )  # fmt: skip
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).endswith("80")
