"""The per-container memory behind the key, session and app caches."""

from __future__ import annotations

from switchboard.services.memo import Memo
from tests.support.clock import Clock


def test_values_expire_after_their_time() -> None:
    clock = Clock()
    memo: Memo[str] = Memo(30, clock=clock)
    memo.put("k", "v")
    clock.now += 29.9
    assert memo.get("k") == "v"
    clock.now += 0.2
    assert memo.get("k") is None


def test_zero_seconds_remembers_nothing() -> None:
    memo: Memo[str] = Memo(0, clock=Clock())
    memo.put("k", "v")
    assert memo.get("k") is None


def test_the_oldest_written_go_first_beyond_the_bound() -> None:
    memo: Memo[int] = Memo(30, clock=Clock(), max_items=2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("a", 3)  # written again: now the newest
    memo.put("c", 4)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (3, None, 4)
    memo.forget("a")
    assert memo.get("a") is None
