"""Rate limits: requests and tokens per user per fixed minute, counted in DynamoDB so that
every instance sees the same counts.

`admit` counts the request (one conditional UpdateItem) and returns the window's state for
the X-RateLimit headers; `RateState.check()` raises the 429 when the window is full.
Inference routes also need tokens left in the window; their tokens are added by the credit
reservation, in the same transaction (services/billing.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import anyio.to_thread

from switchboard.adapters.aws.rates import DynamoRateRepository
from switchboard.domain.plans import DEFAULT_PLAN, WINDOW_SECONDS, RateLimits, window_of
from switchboard.domain.principals import Principal
from switchboard.errors import RateLimitedError


@dataclass(frozen=True, slots=True)
class RateState:
    window: str
    limits: RateLimits
    requests: int
    tokens: int
    admitted: bool
    tokens_checked: bool
    retry_after: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limits.requests_per_minute),
            "X-RateLimit-Remaining": str(max(self.limits.requests_per_minute - self.requests, 0)),
            "X-RateLimit-Window": f"{WINDOW_SECONDS}s",
            "X-RateLimit-Reset": str(self.retry_after),
        }
        if self.tokens_checked:
            headers["X-RateLimit-Limit-Tokens"] = str(self.limits.tokens_per_minute)
            headers["X-RateLimit-Remaining-Tokens"] = str(
                max(self.limits.tokens_per_minute - self.tokens, 0)
            )
        return headers

    def with_tokens(self, tokens: int) -> RateState:
        """The window after a credit hold counted `tokens` more in it."""
        return replace(self, tokens=self.tokens + tokens)

    def check(self) -> None:
        if self.admitted:
            return
        if self.requests >= self.limits.requests_per_minute:
            raise RateLimitedError(
                f"Rate limit reached: {self.limits.requests_per_minute} requests per minute. "
                f"Try again in {self.retry_after} s.",
                retry_after=self.retry_after,
            )
        raise RateLimitedError(
            f"Rate limit reached: {self.limits.tokens_per_minute} tokens per minute. "
            f"Try again in {self.retry_after} s.",
            retry_after=self.retry_after,
            code="tokens_rate_limit_exceeded",
        )


class RateLimiter:
    def __init__(
        self,
        windows: DynamoRateRepository,
        plans: dict[str, RateLimits],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._windows = windows
        self._plans = plans
        self._clock = clock

    def limits_for(self, principal: Principal) -> RateLimits:
        if principal.limits is not None:
            return principal.limits
        return self._plans.get(principal.plan) or self._plans[DEFAULT_PLAN]

    async def admit(self, principal: Principal, *, tokens: bool) -> RateState:
        """Count a principal's request against their own or their plan's limits."""
        return await self.count(principal.user_id, self.limits_for(principal), tokens=tokens)

    async def count(self, subject: str, limits: RateLimits, *, tokens: bool) -> RateState:
        """Count one request of `subject` (a user id, or e.g. `login:<email>`)."""
        now = self._clock()
        window, end = window_of(now)
        counts = await anyio.to_thread.run_sync(
            lambda: self._windows.count(
                subject,
                window,
                end,
                max_requests=limits.requests_per_minute,
                max_tokens=limits.tokens_per_minute if tokens else None,
            )
        )
        return RateState(
            window=window,
            limits=limits,
            requests=counts.requests,
            tokens=counts.tokens,
            admitted=counts.admitted,
            tokens_checked=tokens,
            retry_after=max(1, math.ceil(end - now)),
        )
