"""When to ask again, and how long to wait first.

Retried: 429 and every 5xx, and a request that never reached the platform (no connection).
Never retried: any other 4xx. A request that is not idempotent (most POSTs) is retried
only when it was refused before anything happened (429, or no connection), unless the call
says it is safe (a queue submit carries an Idempotency-Key; a prompt compile changes
nothing). The wait is exponential with full jitter, or the answer's `Retry-After` (seconds
or an HTTP date) when it gives one, within `max_retry_after`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try (1: never retry)."""

    max_attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before try `attempt + 1` (`attempt` tries made so far)."""
        told = retry_after(response) if response is not None else None
        if told is not None:
            return min(told, self.max_retry_after)
        ceiling = min(self.max_delay, self.initial_delay * 2.0 ** (attempt - 1))
        return ceiling * self.jitter()

    def should_retry(self, attempt: int, status: int | None, safe: bool) -> bool:
        """Whether to try again after `attempt` tries that ended with `status` (None: no
        answer). `safe`: the request may have had an effect and asking again does no harm."""
        if attempt >= self.max_attempts:
            return False
        if status == 429:
            return True
        return safe and (status is None or status >= 500)


def is_safe(method: str, idempotent: bool) -> bool:
    """Whether a 5xx may be retried: the method is idempotent, or the call says so."""
    return idempotent or method.upper() in IDEMPOTENT_METHODS


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (from seconds or an HTTP date), None if absent or unreadable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
