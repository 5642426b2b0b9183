"""Following a job to its end: polls spaced by a growing interval, within a timeout."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from switchboard_client._errors import WaitTimeoutError

T = TypeVar("T")


@dataclass(frozen=True)
class PollSchedule:
    """The first poll after `interval` seconds, each next one `factor` times later, at most
    `max_interval` apart; `timeout` (seconds, None: no limit) bounds the whole wait."""

    interval: float = 0.5
    factor: float = 1.5
    max_interval: float = 5.0
    timeout: float | None = 600.0

    def within(self, max_wait: float | None) -> PollSchedule:
        """This schedule with `max_wait` as its timeout, if given."""
        if max_wait is None:
            return self
        return PollSchedule(self.interval, self.factor, self.max_interval, max_wait)

    def next(self, previous: float | None) -> float:
        if previous is None:
            return self.interval
        return min(self.max_interval, previous * self.factor)


def _check(schedule: PollSchedule, started: float, now: float, what: str) -> None:
    if schedule.timeout is not None and now - started >= schedule.timeout:
        raise WaitTimeoutError(f"{what} did not end within {schedule.timeout:g} seconds.")


def wait_sync(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    schedule: PollSchedule,
    sleep: Callable[[float], None],
    what: str,
    on_update: Callable[[T], None] | None = None,
) -> T:
    """Poll `fetch` until `done`; `on_update` sees every state polled, the last included."""
    started, delay = time.monotonic(), None
    while True:
        current = fetch()
        if on_update is not None:
            on_update(current)
        if done(current):
            return current
        _check(schedule, started, time.monotonic(), what)
        delay = schedule.next(delay)
        sleep(delay)


async def wait_async(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    schedule: PollSchedule,
    sleep: Callable[[float], Awaitable[None]],
    what: str,
    on_update: Callable[[T], None] | None = None,
) -> T:
    started, delay = time.monotonic(), None
    while True:
        current = await fetch()
        if on_update is not None:
            on_update(current)
        if done(current):
            return current
        _check(schedule, started, time.monotonic(), what)
        delay = schedule.next(delay)
        await sleep(delay)
