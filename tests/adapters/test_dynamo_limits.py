"""Rate windows on DynamoDB (moto's server): atomic counts across threads, a new window
starting from zero, and what a refused count saw."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from switchboard.adapters.aws import table
from switchboard.adapters.aws.limits import DynamoRateWindows
from switchboard.bootstrap import Container
from switchboard.domain.limits import UNCHECKED, WindowLimits


@pytest.fixture
def windows(services: Container) -> DynamoRateWindows:
    return DynamoRateWindows(services.client("dynamodb"), services.settings.TABLE_NAME)


def test_requests_are_counted_until_the_limit(windows: DynamoRateWindows) -> None:
    user = uuid.uuid4().hex
    writes = [windows.count_user(user, "w1", WindowLimits(3)) for _ in range(5)]
    assert [w.counts.requests for w in writes] == [1, 2, 3, 3, 3]
    assert [w.counted for w in writes] == [True, True, True, False, False]
    fresh = windows.count_user(user, "w2", WindowLimits(3))
    assert (fresh.counts.requests, fresh.counted) == (1, True)


def test_a_full_token_budget_refuses_and_says_what_it_saw(
    windows: DynamoRateWindows, services: Container
) -> None:
    user = uuid.uuid4().hex
    assert windows.count_user(user, "w", WindowLimits(10, 100)).counted
    assert windows.add_tokens(user, "w", 100) is not None
    refused = windows.count_user(user, "w", WindowLimits(10, 100))
    assert not refused.counted
    assert (refused.counts.requests, refused.counts.tokens) == (1, 100)
    counted_anyway = windows.count_user(user, "w", UNCHECKED)
    assert (counted_anyway.counts.requests, counted_anyway.counts.tokens) == (2, 100)
    assert windows.add_tokens(user, "an older window", 5) is None  # owes it nothing


def test_a_subject_without_an_account_has_a_window_that_expires(
    windows: DynamoRateWindows, services: Container
) -> None:
    subject = f"login:{uuid.uuid4().hex}@example.com"
    assert windows.count_subject(subject, "w", 1_000, WindowLimits(1)).counted
    assert not windows.count_subject(subject, "w", 1_000, WindowLimits(1)).counted
    item = services.client("dynamodb").get_item(
        TableName=services.settings.TABLE_NAME, Key=table.rate_window(subject)
    )["Item"]
    assert item["expires_at"] == {"N": str(1_000 + 3600)}


def test_concurrent_requests_never_exceed_the_limit(windows: DynamoRateWindows) -> None:
    user = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=16) as pool:
        writes = list(
            pool.map(lambda _: windows.count_user(user, "w", WindowLimits(10)), range(40))
        )
    assert sum(w.counted for w in writes) == 10
    assert sorted(w.counts.requests for w in writes if w.counted) == list(range(1, 11))


def test_concurrent_first_requests_of_a_window_start_it_once(windows: DynamoRateWindows) -> None:
    """Every thread expects the old window and finds a new one, or the other way round."""
    user = uuid.uuid4().hex
    windows.count_user(user, "old", WindowLimits(100))
    with ThreadPoolExecutor(max_workers=16) as pool:
        writes = list(
            pool.map(lambda _: windows.count_user(user, "new", WindowLimits(100)), range(30))
        )
    assert sorted(w.counts.requests for w in writes) == list(range(1, 31))
