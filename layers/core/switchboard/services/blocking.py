"""Repositories and the blob store are blocking; async services call them here, in a worker
thread, so that the event loop serves other requests meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

Result = TypeVar("Result")


async def blocking(function: Callable[..., Result], *args: Any) -> Result:
    """`function(*args)` in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)
