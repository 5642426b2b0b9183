"""Prompts: the cache (a TTL, a background refresh, the last good version when the platform
is unreachable) and compiling locally by the platform's template rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conftest import Recorder, error
from switchboard_client import (
    AsyncSwitchboard,
    InvalidRequestError,
    NotFoundError,
    Prompt,
    PromptCache,
    RetryPolicy,
    Switchboard,
)


def served(version: int, text: str = "Answer {{ customer }}: {{question}}") -> dict[str, Any]:
    model = {
        "provider": "local",
        "model": "local-chat",
        "version": None,
        "parameters": {"temperature": 0.2},
    }
    prompt = {
        "text": text,
        "systemText": "You are concise.",
        "slug": "support-reply",
        "version": version,
        "tag": "production",
        "model": model,
    }
    return {"warning": None, "prompt": prompt}


class Platform:
    """Serves version `version` of the prompt, or fails as `failure` says."""

    def __init__(self) -> None:
        self.version = 1
        self.failure: httpx.Response | Exception | None = None
        self.gate: threading.Event | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            self.gate.wait(5)
        if isinstance(self.failure, Exception):
            raise self.failure
        return self.failure or httpx.Response(200, json=served(self.version))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def platform() -> Platform:
    return Platform()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cached_client(
    make_client: Callable[..., Switchboard],
    platform: Platform,
    clock: Clock,
    background: bool = True,
) -> Switchboard:
    client = make_client(
        platform,
        prompt_background_refresh=background,
        retry=RetryPolicy(max_attempts=2, jitter=lambda: 0.0),
    )
    client.prompts.cache = PromptCache(ttl=60, clock=clock)
    return client


def test_a_fresh_prompt_is_served_from_memory(
    make_client: Callable[..., Switchboard], platform: Platform, clock: Clock, recorder: Recorder
) -> None:
    client = cached_client(make_client, platform, clock)
    first = client.prompts.get("support-reply", tag="production")
    clock.now += 59
    again = client.prompts.get("support-reply", tag="production")
    assert again is first and len(recorder.requests) == 1
    assert recorder.requests[0].url.params["tag"] == "production"
    client.prompts.get("support-reply", version=1)  # another key: asked for
    assert len(recorder.requests) == 2


def test_a_stale_prompt_is_served_at_once_and_refreshed_in_the_background(
    make_client: Callable[..., Switchboard], platform: Platform, clock: Clock, recorder: Recorder
) -> None:
    client = cached_client(make_client, platform, clock)
    assert client.prompts.get("support-reply").version == 1
    platform.version, platform.gate = 2, threading.Event()
    clock.now += 61
    assert client.prompts.get("support-reply").version == 1  # the refresh is held at the gate
    assert client.prompts.get("support-reply").version == 1  # one refresh, not two
    platform.gate.set()
    client.prompts.join_refreshes(5)
    assert client.prompts.get("support-reply").version == 2
    assert len(recorder.requests) == 2


def test_without_background_refresh_a_stale_prompt_is_fetched_first(
    make_client: Callable[..., Switchboard], platform: Platform, clock: Clock
) -> None:
    client = cached_client(make_client, platform, clock, background=False)
    client.prompts.get("support-reply")
    platform.version = 2
    clock.now += 61
    assert client.prompts.get("support-reply").version == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        error(503, "service_unavailable"),
        error(429, "rate_limit_exceeded"),
    ],
    ids=["unreachable", "503", "429"],
)
@pytest.mark.parametrize("background", [True, False], ids=["background", "inline"])
def test_the_last_good_version_is_served_when_the_platform_is_unreachable(
    failure: httpx.Response | Exception,
    background: bool,
    make_client: Callable[..., Switchboard],
    platform: Platform,
    clock: Clock,
) -> None:
    client = cached_client(make_client, platform, clock, background)
    client.prompts.get("support-reply")
    platform.failure = failure
    for _ in range(3):
        clock.now += 61
        assert client.prompts.get("support-reply").version == 1
        client.prompts.join_refreshes(5)
    platform.failure, platform.version = None, 3
    clock.now += 61
    client.prompts.get("support-reply")
    client.prompts.join_refreshes(5)
    assert client.prompts.get("support-reply").version == 3


def test_a_prompt_never_fetched_raises_when_the_platform_is_unreachable(
    make_client: Callable[..., Switchboard], platform: Platform, clock: Clock
) -> None:
    platform.failure = error(503, "service_unavailable")
    client = cached_client(make_client, platform, clock)
    with pytest.raises(Exception, match="service_unavailable"):
        client.prompts.get("support-reply")


def test_a_prompt_gone_on_refresh_is_dropped_not_served(
    make_client: Callable[..., Switchboard], platform: Platform, clock: Clock
) -> None:
    client = cached_client(make_client, platform, clock, background=False)
    client.prompts.get("support-reply")
    platform.failure = error(404, "invalid_request_error", "tag_not_found")
    clock.now += 61
    with pytest.raises(NotFoundError):
        client.prompts.get("support-reply")
    with pytest.raises(NotFoundError):
        client.prompts.get("support-reply")


def test_cache_false_always_asks(
    make_client: Callable[..., Switchboard], platform: Platform, clock: Clock, recorder: Recorder
) -> None:
    client = cached_client(make_client, platform, clock)
    client.prompts.get("support-reply")
    client.prompts.get("support-reply", cache=False)
    assert len(recorder.requests) == 2


def test_compiling_locally_follows_the_platforms_rules() -> None:
    prompt = Prompt.parse(served(4, "Hi {{ name }}, \\{{literal}} {{n}} {{ok}} {single}"))
    compiled = prompt.compile({"name": "Ada", "n": 3, "ok": True, "extra": "x"})
    assert compiled.messages == [
        {"role": "system", "content": "You are concise."},
        {"role": "user", "content": "Hi Ada, {{literal}} 3 true {single}"},
    ]
    assert compiled.unused_variables == ["extra"] and compiled.version == 4
    assert compiled.model is not None and compiled.model.parameters == {"temperature": 0.2}
    assert prompt.variables == ["name", "n", "ok"]


def test_a_missing_variable_is_the_platforms_400() -> None:
    prompt = Prompt.parse(served(1))
    with pytest.raises(InvalidRequestError) as raised:
        prompt.compile({"customer": "Ada"})
    assert raised.value.code == "missing_variable" and raised.value.param == "variables.question"
    assert raised.value.status == 400
    with pytest.raises(InvalidRequestError, match="string, a number or a boolean"):
        prompt.compile({"customer": "Ada", "question": ["a list"]})


def test_compile_on_the_platform_sends_the_selector_and_variables(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    answer = {
        "object": "prompt.compiled",
        "slug": "support-reply",
        "version": 2,
        "tag": None,
        "messages": [{"role": "user", "content": "Hi"}],
        "model": None,
        "unusedVariables": [],
        "warning": None,
    }
    client = make_client(lambda _: httpx.Response(200, json=answer))
    compiled = client.prompts.compile("support-reply", {"name": "Ada"}, version=2)
    assert compiled.messages == [{"role": "user", "content": "Hi"}] and compiled.version == 2
    assert recorder.body(0) == {"variables": {"name": "Ada"}, "version": 2}


@pytest.mark.anyio
async def test_async_a_stale_prompt_is_refreshed_in_the_background_and_survives_outages(
    make_async_client: Callable[..., AsyncSwitchboard], platform: Platform, clock: Clock
) -> None:
    async with make_async_client(platform) as client:
        client.prompts.cache = PromptCache(ttl=60, clock=clock)
        assert (await client.prompts.get("support-reply")).version == 1
        platform.version = 2
        clock.now += 61
        assert (await client.prompts.get("support-reply")).version == 1
        await client.prompts.join_refreshes()
        assert (await client.prompts.get("support-reply")).version == 2
        platform.failure = httpx.ConnectError("refused")
        clock.now += 61
        assert (await client.prompts.get("support-reply")).version == 2
        await client.prompts.join_refreshes()
        assert (await client.prompts.get("support-reply")).version == 2
