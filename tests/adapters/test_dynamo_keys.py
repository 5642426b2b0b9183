"""Keys and accounts on DynamoDB (moto's server), and the authenticator's cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.account_changes import NewUser
from switchboard.domain.accounts import Role, User
from switchboard.domain.clock import utcnow
from switchboard.domain.keys import hash_key
from switchboard.errors import AuthenticationError, ConflictError
from switchboard.services.accounts import AccountService
from switchboard.services.auth import Authenticator
from tests.support.clock import Clock

pytestmark = pytest.mark.anyio


@pytest.fixture
def user(new_user: Callable[..., User]) -> User:
    return new_user(role=Role.ADMIN, plan="builder", balance_usd=5)


def test_key_round_trip(services: Container, accounts: AccountService, user: User) -> None:
    issued = accounts.issue_key(user, "laptop", scopes=("ai:gateway",))
    stored = services.key_repo.get_by_hash(hash_key(issued.secret))
    assert stored == issued.record
    assert services.key_repo.get_by_hash(hash_key("sb_unknown")) is None
    with pytest.raises(ConflictError):
        services.key_repo.put(issued.record)


def test_user_balance_and_duplicate_email(
    services: Container, accounts: AccountService, user: User
) -> None:
    assert services.account_repo.get(user.user_id) == user
    assert services.ledger_repo.balance(user.user_id) == 5_000_000
    with pytest.raises(ConflictError, match="already taken"):
        accounts.create_user(NewUser(user.email, "x", "y"))


async def test_one_read_then_cached_until_the_bound(
    services: Container, accounts: AccountService, user: User, get_item_calls: list[Any]
) -> None:
    clock = Clock()
    auth = Authenticator(services.key_repo, cache_seconds=30, clock=clock)
    issued = accounts.issue_key(user, "k")
    header = f"Bearer {issued.secret}"
    for _ in range(5):
        principal = await auth.authenticate(header)
    assert len(get_item_calls) == 1
    assert (principal.user_id, principal.role, principal.plan) == (user.user_id, "admin", "builder")

    services.key_repo._client.update_item(  # revoked elsewhere, behind this container's back
        TableName=services.settings.TABLE_NAME,
        Key={"PK": {"S": f"APIKEY#{issued.record.key_hash}"}, "SK": {"S": "APIKEY"}},
        UpdateExpression="SET revoked_at = :now",
        ExpressionAttributeValues={":now": {"S": utcnow().isoformat()}},
    )
    await auth.authenticate(header)  # still cached: within the stated bound
    clock.now += 31
    with pytest.raises(AuthenticationError):
        await auth.authenticate(header)
    assert len(get_item_calls) == 2


async def test_cached_key_is_rejudged_on_expiry(
    services: Container, accounts: AccountService, user: User
) -> None:
    from datetime import timedelta

    issued = accounts.issue_key(user, "short")
    expires = utcnow() + timedelta(seconds=5)
    services.key_repo.put(replace(issued.record, key_hash=hash_key("sb_short"), expires_at=expires))
    moments = [utcnow(), expires + timedelta(seconds=1)]
    auth = Authenticator(services.key_repo, cache_seconds=300, now=lambda: moments[0])
    await auth.authenticate("Bearer sb_short")
    moments[0] = moments[1]
    with pytest.raises(AuthenticationError):
        await auth.authenticate("Bearer sb_short")


async def test_unknown_keys_are_not_cached(services: Container, get_item_calls: list[Any]) -> None:
    auth = Authenticator(services.key_repo, cache_seconds=30)
    for _ in range(2):
        with pytest.raises(AuthenticationError, match=r"sb_\*\*\*"):
            await auth.authenticate("Bearer sb_not_a_real_key_at_all")
    assert len(get_item_calls) == 2


async def test_concurrent_first_requests_share_one_read(
    services: Container, accounts: AccountService, user: User, get_item_calls: list[Any]
) -> None:
    import asyncio

    auth = Authenticator(services.key_repo, cache_seconds=30)
    issued = accounts.issue_key(user, "burst")
    principals = await asyncio.gather(
        *(auth.authenticate(f"Bearer {issued.secret}") for _ in range(16))
    )
    assert {p.key_id for p in principals} == {issued.record.key_id}
    assert len(get_item_calls) == 1
