"""Rate limits, the one home of their policy: requests and tokens per fixed one-minute UTC
window, per user, and what a window's counts mean for a request.

The limits are configuration (the PLAN_LIMITS setting, from the template's PlanLimits
parameter); a user may carry limits of their own (enterprise), which win over the plan's.

    every authenticated request counts in its caller's window, refused ones too;
    a request is refused (429) while the window holds `requests_per_minute` requests, and
    a metered one (chat, embeddings ...) also while it holds `tokens_per_minute` tokens;
    a request refused by the request limit is not counted (the window is full already),
    one refused by the token limit is;
    a metered request's hold counts its worst-case tokens at once, corrected to the actual
    tokens when it settles.

Where the counts are kept and how one write checks and counts them is storage's business
(adapters/aws/limits.py); the X-RateLimit headers are the API's (api/limits.py).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from switchboard.errors import RateLimitedError

WINDOW_SECONDS = 60
DEFAULT_PLAN = "maker"


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Requests and tokens allowed per minute: a plan's, or a user's own."""

    requests_per_minute: int
    tokens_per_minute: int

    def to_dict(self) -> dict[str, int]:
        return {
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
        }

    @classmethod
    def from_dict(cls, values: Any, where: str = "limits") -> RateLimits:
        if not isinstance(values, dict):
            raise ValueError(f"{where} must be an object")
        try:
            limits = cls(int(values["requests_per_minute"]), int(values["tokens_per_minute"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{where} needs integer requests_per_minute and tokens_per_minute"
            ) from exc
        if limits.requests_per_minute < 1 or limits.tokens_per_minute < 1:
            raise ValueError(f"{where}: limits must be at least 1")
        return limits


DEFAULT_PLANS: dict[str, RateLimits] = {
    "maker": RateLimits(30, 15_000),
    "builder": RateLimits(120, 100_000),
    "enterprise": RateLimits(600, 1_000_000),
}


def load_plans(text: str) -> dict[str, RateLimits]:
    """PLAN_LIMITS as JSON; empty means the defaults. Malformed is an error at first use."""
    if not text.strip():
        return dict(DEFAULT_PLANS)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"PLAN_LIMITS is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or not raw:
        raise ValueError("PLAN_LIMITS must be a non-empty JSON object of plans")
    plans = {str(name): RateLimits.from_dict(v, f"PLAN_LIMITS.{name}") for name, v in raw.items()}
    if DEFAULT_PLAN not in plans:
        raise ValueError(f"PLAN_LIMITS must define the default plan {DEFAULT_PLAN!r}")
    return plans


def window_of(epoch_seconds: float) -> tuple[str, int]:
    """The fixed window a moment falls in: its id (yyyymmddHHMM, UTC) and its end (epoch s)."""
    start = int(epoch_seconds) // WINDOW_SECONDS * WINDOW_SECONDS
    return time.strftime("%Y%m%d%H%M", time.gmtime(start)), start + WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class WindowLimits:
    """What a window must still have room for to admit a request (None: not checked)."""

    max_requests: int | None = None
    max_tokens: int | None = None

    @classmethod
    def of(cls, limits: RateLimits, *, tokens: bool) -> WindowLimits:
        return cls(limits.requests_per_minute, limits.tokens_per_minute if tokens else None)


UNCHECKED = WindowLimits()  # a refused request, counted all the same


class Refusal(StrEnum):
    REQUESTS = "requests"
    TOKENS = "tokens"
    IN_FLIGHT = "in_flight"  # too many of the payer's requests are held at once


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What a subject's window held, as storage reports it."""

    window: str | None  # None: no window was ever counted
    requests: int = 0
    tokens: int = 0

    def of(self, window: str) -> WindowCounts:
        """These counts as they stand in `window` (another window's are none)."""
        return self if self.window == window else WindowCounts(window)


@dataclass(frozen=True, slots=True)
class WindowWrite:
    """The outcome of counting: the counts after it, or, refused, the counts it found."""

    counts: WindowCounts
    counted: bool


def refusal(seen: WindowCounts, limits: RateLimits, *, tokens: bool) -> Refusal | None:
    """Why a request must be refused in the window `seen` (already `of` its window)."""
    if seen.requests >= limits.requests_per_minute:
        return Refusal.REQUESTS
    if tokens and seen.tokens >= limits.tokens_per_minute:
        return Refusal.TOKENS
    return None


def counts_when_refused(reason: Refusal) -> bool:
    """A request refused by the request limit is not counted: the window is full already."""
    return reason is not Refusal.REQUESTS


@dataclass(frozen=True, slots=True)
class RateState:
    """A request's window after it was counted (or refused): what the headers show."""

    window: str
    limits: RateLimits
    requests: int
    tokens: int
    tokens_checked: bool  # a metered request: the token limit applies and is shown
    retry_after: int  # seconds until the window ends
    refused: Refusal | None = None

    @classmethod
    def of(
        cls,
        counts: WindowCounts,
        limits: RateLimits,
        *,
        now: float,
        tokens: bool,
        refused: Refusal | None = None,
    ) -> RateState:
        window, end = window_of(now)
        seen = counts.of(window)
        return cls(
            window,
            limits,
            seen.requests,
            seen.tokens,
            tokens,
            max(1, math.ceil(end - now)),
            refused,
        )

    @property
    def remaining_requests(self) -> int:
        return max(self.limits.requests_per_minute - self.requests, 0)

    @property
    def remaining_tokens(self) -> int:
        return max(self.limits.tokens_per_minute - self.tokens, 0)

    def with_tokens(self, tokens: int) -> RateState:
        return replace(self, tokens=self.tokens + tokens)

    def check(self) -> None:
        """Raise the 429 of a refused request."""
        if self.refused is Refusal.REQUESTS:
            raise RateLimitedError(
                f"Rate limit reached: {self.limits.requests_per_minute} requests per minute. "
                f"Try again in {self.retry_after} s.",
                retry_after=self.retry_after,
            )
        if self.refused is Refusal.IN_FLIGHT:
            raise RateLimitedError(
                "Too many requests of this account are in flight at once; wait for some to finish.",
                retry_after=1,
                code="too_many_requests_in_flight",
            )
        if self.refused is Refusal.TOKENS:
            raise RateLimitedError(
                f"Rate limit reached: {self.limits.tokens_per_minute} tokens per minute. "
                f"Try again in {self.retry_after} s.",
                retry_after=self.retry_after,
                code="tokens_rate_limit_exceeded",
            )
