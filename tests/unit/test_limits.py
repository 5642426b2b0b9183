"""The rate-limit policy without sockets: which limit refuses, which refused requests
count, and what the headers say."""

from __future__ import annotations

import pytest

from switchboard.api.limits import headers
from switchboard.domain.limits import (
    RateLimits,
    RateState,
    Refusal,
    WindowCounts,
    counts_when_refused,
    refusal,
    window_of,
)
from switchboard.errors import RateLimitedError

LIMITS = RateLimits(requests_per_minute=10, tokens_per_minute=1_000)
NOW = 1_764_460_815.5  # 15.5 s into its minute


@pytest.mark.parametrize(
    ("requests", "tokens", "metered", "expected"),
    [
        (9, 999, True, None),
        (10, 0, False, Refusal.REQUESTS),
        (10, 5_000, True, Refusal.REQUESTS),  # the request limit is judged first
        (3, 1_000, True, Refusal.TOKENS),
        (3, 1_000, False, None),  # tokens limit only metered requests
    ],
)
def test_which_limit_refuses(
    requests: int, tokens: int, metered: bool, expected: Refusal | None
) -> None:
    assert refusal(WindowCounts("w", requests, tokens), LIMITS, tokens=metered) == expected


def test_a_request_the_request_limit_refused_is_not_counted_any_other_is() -> None:
    assert not counts_when_refused(Refusal.REQUESTS)
    assert counts_when_refused(Refusal.TOKENS) and counts_when_refused(Refusal.IN_FLIGHT)


def test_counts_of_another_window_are_none() -> None:
    window, _ = window_of(NOW)
    assert WindowCounts("202001010000", 9, 9).of(window) == WindowCounts(window)
    assert WindowCounts(window, 9, 9).of(window) == WindowCounts(window, 9, 9)


def test_the_headers_are_the_windows_counts() -> None:
    window, _ = window_of(NOW)
    state = RateState.of(WindowCounts(window, 4, 300), LIMITS, now=NOW, tokens=True)
    assert dict(headers(state)) == {
        b"x-ratelimit-limit": b"10",
        b"x-ratelimit-remaining": b"6",
        b"x-ratelimit-window": b"60s",
        b"x-ratelimit-reset": b"45",
        b"x-ratelimit-limit-tokens": b"1000",
        b"x-ratelimit-remaining-tokens": b"700",
    }
    plain = RateState.of(WindowCounts(window, 4, 300), LIMITS, now=NOW, tokens=False)
    assert b"x-ratelimit-limit-tokens" not in dict(headers(plain))


@pytest.mark.parametrize(
    ("reason", "code", "retry_after"),
    [
        (Refusal.REQUESTS, "rate_limit_exceeded", 45),
        (Refusal.TOKENS, "tokens_rate_limit_exceeded", 45),
        (Refusal.IN_FLIGHT, "too_many_requests_in_flight", 1),
    ],
)
def test_a_refused_state_raises_its_429(reason: Refusal, code: str, retry_after: int) -> None:
    window, _ = window_of(NOW)
    state = RateState.of(WindowCounts(window, 10, 0), LIMITS, now=NOW, tokens=True, refused=reason)
    with pytest.raises(RateLimitedError) as refused:
        state.check()
    assert (refused.value.code, refused.value.retry_after) == (code, retry_after)
    RateState.of(WindowCounts(window, 1, 0), LIMITS, now=NOW, tokens=True).check()  # no raise
