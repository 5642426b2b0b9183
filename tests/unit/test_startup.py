"""api/startup.defer_collection: no garbage collection while a function module loads, then
what it made is frozen and collection is as it was; FirstRequestMiddleware: the same for the
process's first request, until its response starts."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.api.startup import ContainerStart, FirstRequestMiddleware, defer_collection


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was_on = gc.isenabled()
    yield
    gc.unfreeze()
    if was_on:
        gc.enable()


def test_collection_is_off_in_the_block_and_on_again_after() -> None:
    gc.enable()
    with defer_collection():
        assert not gc.isenabled()
        made: list[list[int]] = [[]]
    assert gc.isenabled()
    assert not any(tracked is made for tracked in gc.get_objects())  # frozen: left alone


def test_collection_that_was_off_stays_off() -> None:
    gc.disable()
    with defer_collection():
        pass
    assert not gc.isenabled()


def test_an_error_in_the_block_still_turns_collection_back_on() -> None:
    gc.enable()
    with pytest.raises(ImportError), defer_collection():
        raise ImportError("a module that fails to load")
    assert gc.isenabled()


class Recorded:
    """An ASGI app that notes whether collection was on, before and after its response starts."""

    def __init__(self, fails: bool = False) -> None:
        self.seen: list[tuple[str, bool]] = []
        self.fails = fails

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.seen.append(("before", gc.isenabled()))
        if self.fails:
            raise RuntimeError("an error before any response")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        self.seen.append(("started", gc.isenabled()))
        await send({"type": "http.response.body", "body": b"ok"})


async def served(middleware: FirstRequestMiddleware, scope_type: str = "http") -> list[str]:
    sent: list[str] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await middleware({"type": scope_type}, None, send)
    return sent


@pytest.mark.anyio
async def test_the_first_request_runs_without_collection_until_its_response_starts() -> None:
    gc.enable()
    app = Recorded()
    middleware = FirstRequestMiddleware(app, ContainerStart())
    assert await served(middleware) == ["http.response.start", "http.response.body"]
    assert app.seen == [("before", False), ("started", True)]
    assert await served(middleware) == ["http.response.start", "http.response.body"]
    assert app.seen[2:] == [("before", True), ("started", True)]  # the next ones as they come


@pytest.mark.anyio
async def test_other_scopes_leave_the_first_request_to_come() -> None:
    gc.enable()
    app = Recorded()
    start = ContainerStart()
    await served(FirstRequestMiddleware(app, start), scope_type="lifespan")
    assert app.seen[0] == ("before", True) and start.first_request_pending


@pytest.mark.anyio
async def test_a_first_request_that_fails_turns_collection_back_on() -> None:
    gc.enable()
    middleware = FirstRequestMiddleware(Recorded(fails=True), ContainerStart())
    with pytest.raises(RuntimeError):
        await served(middleware)
    assert gc.isenabled()
