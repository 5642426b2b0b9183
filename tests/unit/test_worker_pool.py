"""WorkerPool: a bound on the threads, a queue behind it, and cancelled jobs that never run."""

from __future__ import annotations

import threading
from collections.abc import Callable

import anyio
import pytest

from switchboard.adapters.providers.pool import WorkerPool

pytestmark = pytest.mark.anyio


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(10_000):
        if condition():
            return
        await anyio.sleep(0.001)
    raise AssertionError("the pool never got there")


async def test_at_most_size_jobs_run_at_once_and_the_rest_queue() -> None:
    pool = WorkerPool(2)
    gate, lock = threading.Event(), threading.Lock()
    inside: list[int] = []  # the jobs in a thread now, as the jobs themselves see it
    results: list[int] = []

    def job(number: int) -> int:
        with lock:
            inside.append(number)
        gate.wait()
        with lock:
            inside.remove(number)
        return number

    async def submit(number: int) -> None:
        results.append(await pool.run(job, number))

    async with anyio.create_task_group() as tasks:
        for number in range(5):
            tasks.start_soon(submit, number)
        try:
            await until(lambda: pool.running >= 2)
            # Two jobs block on the gate: a third could only start in a third thread.
            assert (pool.running, pool.queued, len(inside)) == (2, 3, 2)
        finally:
            gate.set()
    assert sorted(results) == [0, 1, 2, 3, 4]
    assert (pool.running, pool.queued) == (0, 0)
    pool.close()


async def test_a_job_cancelled_while_queued_never_runs() -> None:
    pool = WorkerPool(1)
    gate = threading.Event()
    ran: list[str] = []
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(pool.run, gate.wait)
        try:
            await until(lambda: pool.running == 1)
            with anyio.CancelScope() as scope:
                scope.cancel()
                await pool.run(ran.append, "cancelled")
        finally:
            gate.set()
    # One thread, first come first served: had the cancelled job stayed queued, it would
    # have run before this one.
    assert await pool.run(list, ran) == []
    assert (pool.running, pool.queued) == (0, 0)
    pool.close()


async def test_a_closed_pool_takes_no_more_jobs() -> None:
    pool = WorkerPool(1)
    pool.close()
    with pytest.raises(RuntimeError):
        await pool.run(len, "text")
    assert pool.queued == 0
    with pytest.raises(ValueError, match="at least one thread"):
        WorkerPool(0)
