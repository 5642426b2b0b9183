"""Threads: where a service's blocking call (a DynamoDB write, a read) runs.

    with threads.serving():                      # the API's middleware, around each request
        ...
    value = await threads.blocking(fn, *args)    # a service, from async code

In one of anyio's worker threads, so that the event loop serves other work meanwhile; except
when the caller is an HTTP request and the only one this process is serving, which it then
runs in its own thread. A hop to a worker thread and back costs a request at concurrency 1
about 0.2 ms of latency each way plus the thread's wake-up (0.4 to 0.9 ms a metered request,
which makes two: benchmarks/RESULTS.md), and buys nothing when nothing else waits to run: a
Lambda container serves one request at a time, always; `make serve` when one client calls.
A request that comes in meanwhile waits for that call, a millisecond or two, and from then
on both hop. Callers other than HTTP requests (queue consumers and batch line workers, several
of whose calls run at once on one loop) always hop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")

_in_request: ContextVar[bool] = ContextVar("switchboard_in_request", default=False)
_lock = threading.Lock()
_serving = [0]  # HTTP requests this process is serving now


@contextmanager
def serving() -> Iterator[None]:
    """Count the block as an HTTP request being served, and mark its context as one."""
    with _lock:
        _serving[0] += 1
    token = _in_request.set(True)
    try:
        yield
    finally:
        _in_request.reset(token)
        with _lock:
            _serving[0] -= 1


def alone() -> bool:
    """Whether the caller is an HTTP request and the only one being served."""
    return _in_request.get() and _serving[0] == 1


async def blocking(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)`, in a worker thread unless the caller is alone (above)."""
    if alone():
        return fn(*args)
    return await anyio.to_thread.run_sync(fn, *args)
