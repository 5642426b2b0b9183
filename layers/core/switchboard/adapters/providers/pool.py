"""WorkerPool: a few threads for the local models' CPU-bound work, so that the event loop
goes on serving other requests while they compute.

    pool = WorkerPool(2)
    vectors = await pool.run(embed_all, texts, 384)

The bound is the number of threads: at most `size` jobs run at once. Later jobs wait in the
pool's queue, first come first served, holding no thread while they wait, so a flood of big
requests queues instead of starting a thread each. A caller cancelled while its job waits
takes the job out of the queue; a job already running finishes (a thread cannot be
interrupted) and keeps its place in the bound until it does. `running` and `queued` say
where the jobs are.

The pool belongs to no event loop: uvicorn's loop, Mangum's loop per invocation and a test's
loop can share it. Its threads start with the first job, not before.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerPool:
    def __init__(self, size: int, name: str = "switchboard-worker") -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one thread, not {size}")
        self.size = size
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._running = 0
        self._queued = 0

    @property
    def running(self) -> int:
        """Jobs in a thread now: never more than `size`."""
        return self._running

    @property
    def queued(self) -> int:
        """Jobs waiting for a thread."""
        return self._queued

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """`func(*args)` in one of the pool's threads, once one is free."""
        with self._lock:
            self._queued += 1
        try:
            future = self._executor.submit(self._call, func, args)
        except RuntimeError:  # the pool was closed
            self._forget(None)
            raise
        future.add_done_callback(self._forget)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Drop the queued jobs; running ones finish in the background."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _call(self, func: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._lock:
            self._queued -= 1
            self._running += 1
        try:
            return func(*args)
        finally:
            with self._lock:
                self._running -= 1

    def _forget(self, future: Future[Any] | None) -> None:
        """A job that will never run (cancelled while queued, or never accepted)."""
        if future is None or future.cancelled():
            with self._lock:
                self._queued -= 1
