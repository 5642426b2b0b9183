"""Rate limiting as a use case: count a caller's request in their window, through the
RateWindows port, and judge it by the policy of domain/limits.py.

A request that is not metered (models, keys, apps ...) is counted by `admit`: one write.
A metered one (chat, embeddings ...) is counted by the write that holds its credits
(services/billing.py), and by `count_user` only when it fails before that write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio.to_thread

from switchboard.domain.limits import (
    DEFAULT_PLAN,
    UNCHECKED,
    RateLimits,
    RateState,
    Refusal,
    WindowCounts,
    WindowLimits,
    counts_when_refused,
    refusal,
    window_of,
)
from switchboard.domain.principals import Principal

if TYPE_CHECKING:  # annotations only: the ports stay off the cold start
    from switchboard.ports import RateWindows


class RateLimiter:
    def __init__(
        self,
        windows: RateWindows,
        plans: dict[str, RateLimits],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._windows = windows
        self._plans = plans
        self._clock = clock

    def limits_for(self, principal: Principal) -> RateLimits:
        return self.limits_of(principal.plan, principal.limits)

    def limits_of(self, plan: str, own: RateLimits | None) -> RateLimits:
        """A user's limits: their own if they have some, else their plan's."""
        if own is not None:
            return own
        return self._plans.get(plan) or self._plans[DEFAULT_PLAN]

    async def admit(self, principal: Principal) -> RateState:
        """Count a request that is not metered; its state says whether it was refused."""
        limits = self.limits_for(principal)
        return await anyio.to_thread.run_sync(
            lambda: self.count_user(principal.user_id, limits, tokens=False)
        )

    def count_user(self, user_id: str, limits: RateLimits, *, tokens: bool) -> RateState:
        """Count one request of a user if the window has room (`tokens`: a metered request,
        which needs tokens left too). Blocking."""
        now = self._clock()
        window, _ = window_of(now)
        room = WindowLimits.of(limits, tokens=tokens)
        write = self._windows.count_user(user_id, window, room)
        if write.counted:
            return RateState.of(write.counts, limits, now=now, tokens=tokens)
        reason = refusal(write.counts.of(window), limits, tokens=tokens) or Refusal.REQUESTS
        if counts_when_refused(reason):
            write = self._windows.count_user(user_id, window, UNCHECKED)
        return RateState.of(write.counts, limits, now=now, tokens=tokens, refused=reason)

    def refused(
        self, user_id: str, limits: RateLimits, seen: WindowCounts, reason: Refusal
    ) -> RateState:
        """The state of a metered request that its hold's write refused for `reason`, having
        seen `seen`: counted by a second write where the policy says a refused one counts.
        Blocking."""
        now = self._clock()
        if counts_when_refused(reason):
            window, _ = window_of(now)
            seen = self._windows.count_user(user_id, window, UNCHECKED).counts
        return RateState.of(seen, limits, now=now, tokens=True, refused=reason)

    def add_tokens(self, state: RateState, user_id: str, tokens: int) -> RateState:
        """Count a hold's tokens in a caller's window that is not on the payer's account."""
        counts = self._windows.add_tokens(user_id, state.window, tokens)
        if counts is None:  # the window has turned meanwhile: the new one owes nothing
            return state
        return RateState.of(counts, state.limits, now=self._clock(), tokens=True)

    async def count(self, subject: str, limits: RateLimits) -> RateState:
        """Count one request of a subject with no account (`login:<email>`)."""
        now = self._clock()
        window, end = window_of(now)
        room = WindowLimits.of(limits, tokens=False)
        write = await anyio.to_thread.run_sync(
            lambda: self._windows.count_subject(subject, window, end, room)
        )
        reason = None if write.counted else Refusal.REQUESTS
        return RateState.of(write.counts, limits, now=now, tokens=False, refused=reason)
