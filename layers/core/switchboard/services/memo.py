"""A per-container memory of values read from DynamoDB: each kept for a fixed time, the
oldest dropped beyond a size bound. Keys, session checks and apps are remembered this way,
so that a hot path reads the table once per `seconds`, not once per request."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")
MAX_ITEMS = 10_000


class Memo(Generic[V]):
    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._max_items = max_items
        self._items: OrderedDict[str, tuple[V, float]] = OrderedDict()

    def get(self, key: str) -> V | None:
        """The value remembered for `key`, if it has not expired."""
        hit = self._items.get(key)
        return hit[0] if hit is not None and hit[1] > self._clock() else None

    def put(self, key: str, value: V) -> None:
        self._items[key] = (value, self._clock() + self._seconds)
        self._items.move_to_end(key)
        while len(self._items) > self._max_items:
            self._items.popitem(last=False)

    def forget(self, key: str) -> None:
        self._items.pop(key, None)
