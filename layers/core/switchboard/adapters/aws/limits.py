"""Rate windows in DynamoDB: a subject's current one-minute window, kept as three attributes
of one item, checked and counted by one conditional UpdateItem whose result gives the
X-RateLimit headers their exact figures.

    rate_window    the window's id (yyyymmddHHMM, UTC)
    rate_requests  requests counted in it
    rate_tokens    tokens counted in it (holds at once, corrected at settlement)

A user's window lives on their account item (table.account), beside the balance, so that
one write can count a request and hold its credits (adapters/aws/ledger.py). A subject
with no account (`login:<email>`) has an item of its own (table.rate_window), which TTL
removes an hour after its window.

DynamoDB cannot branch inside one update, and a new window must start from zero rather
than add to the last one: `window_update` writes the request for the window the caller
expects (the same as the stored one, or a new one) under a condition that it is so, and
`counted` retries with the other form when the stored window was not the expected one.
That costs a second write once per subject per minute, at most.
"""

from __future__ import annotations

from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import ConditionFailed, Update, conditional_update
from switchboard.adapters.aws.table import Key
from switchboard.domain.limits import UNCHECKED, WindowCounts, WindowLimits, WindowWrite

WINDOW, REQUESTS, TOKENS = "rate_window", "rate_requests", "rate_tokens"
WINDOW_KEEP_SECONDS = 3600  # TTL of a subject's own window item, after the window's end


def window_update(
    update: Update, window: str, tokens: int, limits: WindowLimits, *, fresh: bool
) -> Update:
    """Count one request and `tokens` in `window`, if the window has room. `fresh`: the item's
    stored window is expected to be an older one (or none), so this one starts from zero."""
    if fresh:
        update.set(WINDOW, window).set(REQUESTS, 1).set(TOKENS, tokens)
        return update.condition("attribute_not_exists({0}) OR {0} <> {w}", WINDOW, w=window)
    update.add(REQUESTS, 1)
    if tokens:
        update.add(TOKENS, tokens)
    update.condition("{0} = {w}", WINDOW, w=window)
    if limits.max_requests is not None:
        update.condition("{0} < {max}", REQUESTS, max=limits.max_requests)
    if limits.max_tokens is not None:
        update.condition("{0} < {max}", TOKENS, max=limits.max_tokens)
    return update


def counts_of(values: dict[str, Any], window: str | None = None) -> WindowCounts:
    """The window counts in an item, or in UpdateItem's UPDATED_NEW, which lacks the window
    when it was not written (`window` fills it in)."""
    return WindowCounts(
        values.get(WINDOW, window), int(values.get(REQUESTS, 0)), int(values.get(TOKENS, 0))
    )


def counted(values: dict[str, Any], window: str, tokens: int, *, fresh: bool) -> WindowCounts:
    """The counts after `window_update` wrote. UPDATED_NEW leaves out what a write did not
    change (a new window's 1 request where the last one also ended at 1): a new window's
    counts are known without it."""
    return WindowCounts(window, 1, tokens) if fresh else counts_of(values, window)


def expected_fresh(seen: WindowCounts, window: str) -> bool:
    return seen.window != window


class DynamoRateWindows:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def count_user(self, user_id: str, window: str, limits: WindowLimits) -> WindowWrite:
        """Count a request in a user's window, on their account item."""
        return self.count(table.account(user_id), window, limits)

    def count_subject(
        self, subject: str, window: str, window_end: int, limits: WindowLimits
    ) -> WindowWrite:
        """Count a request of a subject with no account (`login:<email>`) on its own item."""
        key = table.rate_window(subject)
        return self.count(key, window, limits, expires_at=window_end + WINDOW_KEEP_SECONDS)

    def add_tokens(self, user_id: str, window: str, tokens: int) -> WindowCounts | None:
        """Add tokens to the user's window while it is `window`; the counts after, or None
        once another window has begun (which owes this one nothing)."""
        update = Update(table.account(user_id)).add(TOKENS, tokens)
        update.condition("{0} = {w}", WINDOW, w=window)
        try:
            return counts_of(conditional_update(self._client, self._table, update), window)
        except ConditionFailed:
            return None

    def count(
        self,
        key: Key,
        window: str,
        limits: WindowLimits,
        *,
        expires_at: int | None = None,
    ) -> WindowWrite:
        """Count one request in the subject's `window` if it has room (one write; two at the
        first request of a minute). `expires_at`: a TTL for an item of the window's own."""
        fresh = False
        # The tokens are returned only when written: a refused request counted all the same
        # (UNCHECKED) reads the whole item, to show them; that is off the common path.
        returns = "ALL_NEW" if limits == UNCHECKED else "UPDATED_NEW"
        for _ in range(3):  # expected same, found it new; expected new, found it started
            update = window_update(Update(key), window, 0, limits, fresh=fresh)
            if expires_at is not None:
                update.set("expires_at", expires_at)
            try:
                values = conditional_update(self._client, self._table, update, returns=returns)
                if returns == "ALL_NEW":
                    return WindowWrite(counts_of(values, window), True)
                return WindowWrite(counted(values, window, 0, fresh=fresh), True)
            except ConditionFailed as refused:
                seen = counts_of(refused.old)
                if expected_fresh(seen, window) == fresh:
                    return WindowWrite(seen, False)  # the window is as expected, and full
                fresh = not fresh
        raise RuntimeError("the rate window changed under three writes in a row")
