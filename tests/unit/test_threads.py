"""services/threads.py: a blocking call hops to a worker thread unless its caller is an HTTP
request and the only one being served; other callers always hop."""

from __future__ import annotations

import threading

import anyio
import pytest

from switchboard.services import threads

pytestmark = pytest.mark.anyio


def where() -> int:
    return threading.get_ident()


async def test_a_caller_that_is_no_request_hops() -> None:
    assert await threads.blocking(where) != threading.get_ident()
    assert not threads.alone()


async def test_the_only_request_being_served_calls_in_its_own_thread() -> None:
    with threads.serving():
        assert threads.alone()
        assert await threads.blocking(where) == threading.get_ident()
    assert await threads.blocking(where) != threading.get_ident()


async def test_requests_served_together_hop_and_the_last_one_left_does_not() -> None:
    first_in, second_done = anyio.Event(), anyio.Event()
    seen: dict[str, int] = {}

    async def first() -> None:
        with threads.serving():
            first_in.set()
            await second_done.wait()

    async def second() -> None:
        await first_in.wait()
        with threads.serving():
            seen["together"] = await threads.blocking(where)
            second_done.set()
            await anyio.sleep(0.01)  # the first has ended: this one is alone now
            seen["alone"] = await threads.blocking(where)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(first)
        tasks.start_soon(second)
    assert seen["together"] != threading.get_ident()
    assert seen["alone"] == threading.get_ident()


async def test_a_worker_beside_the_one_request_still_hops() -> None:
    """A queue consumer's call, on the same loop while one request is served, is no
    request's: it hops, so that its other calls keep running meanwhile."""
    inside = anyio.Event()
    done = anyio.Event()
    seen: list[int] = []

    async def request() -> None:
        with threads.serving():
            inside.set()
            await done.wait()

    async def worker() -> None:
        await inside.wait()
        seen.append(await threads.blocking(where))
        done.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(request)
        tasks.start_soon(worker)
    assert seen[0] != threading.get_ident()


async def test_an_error_in_the_call_is_raised_either_way() -> None:
    def fail() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await threads.blocking(fail)
    with threads.serving(), pytest.raises(ValueError, match="no"):
        await threads.blocking(fail)
