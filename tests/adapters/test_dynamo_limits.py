"""Rate windows on DynamoDB (moto's server): atomic counts across threads."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from switchboard.adapters.aws.rates import DynamoRateRepository
from switchboard.bootstrap import Container


@pytest.fixture
def windows(services: Container) -> DynamoRateRepository:
    return DynamoRateRepository(services.client("dynamodb"), services.settings.TABLE_NAME)


def test_requests_are_counted_until_the_limit(windows: DynamoRateRepository) -> None:
    user = uuid.uuid4().hex
    counts = [windows.count(user, "w1", 60, max_requests=3, max_tokens=None) for _ in range(5)]
    assert [c.requests for c in counts] == [1, 2, 3, 3, 3]
    assert [c.admitted for c in counts] == [True, True, True, False, False]
    fresh = windows.count(user, "w2", 120, max_requests=3, max_tokens=None)
    assert (fresh.requests, fresh.admitted) == (1, True)


def test_a_full_token_budget_refuses_but_still_counts_the_request(
    windows: DynamoRateRepository, services: Container
) -> None:
    user = uuid.uuid4().hex
    services.client("dynamodb").put_item(
        TableName=services.settings.TABLE_NAME,
        Item={"PK": {"S": f"RATE#{user}"}, "SK": {"S": "MINUTE#w"}, "tokens": {"N": "100"}},
    )
    refused = windows.count(user, "w", 60, max_requests=10, max_tokens=100)
    assert (refused.admitted, refused.requests, refused.tokens) == (False, 1, 100)
    other_route = windows.count(user, "w", 60, max_requests=10, max_tokens=None)
    assert (other_route.admitted, other_route.requests) == (True, 2)


def test_concurrent_requests_never_exceed_the_limit(windows: DynamoRateRepository) -> None:
    user = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = list(
            pool.map(
                lambda _: windows.count(user, "w", 60, max_requests=10, max_tokens=None),
                range(40),
            )
        )
    assert sum(c.admitted for c in counts) == 10
    assert sorted(c.requests for c in counts if c.admitted) == list(range(1, 11))
