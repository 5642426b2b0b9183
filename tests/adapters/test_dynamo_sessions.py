"""Session revocations on DynamoDB (moto's server), and SessionService across two containers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from switchboard.adapters.aws.sessions import DynamoSessionRepository
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.errors import AuthenticationError
from switchboard.services.sessions import SessionService
from tests.support.clock import Clock
from tests.unit.test_sessions import MemorySessionStore

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["dynamo", "memory"])
def store(request: pytest.FixtureRequest, services: Container) -> Any:
    """The repository and the unit tests' in-memory stand-in keep the same contract."""
    if request.param == "memory":
        return MemorySessionStore()
    return services.session_repo


def test_revocation_contract(store: Any) -> None:
    jti = uuid.uuid4().hex
    assert not store.is_revoked(jti)
    store.revoke(jti, int(time.time()) + 60)
    store.revoke(jti, int(time.time()) + 60)  # twice is harmless
    assert store.is_revoked(jti)
    assert not store.is_revoked(uuid.uuid4().hex)


def test_the_item_expires_with_the_token(services: Container) -> None:
    jti, expires_at = uuid.uuid4().hex, int(time.time()) + 900
    services.session_repo.revoke(jti, expires_at)
    item = services.client("dynamodb").get_item(
        TableName=services.settings.TABLE_NAME,
        Key={"PK": {"S": f"SESSION#{jti}"}, "SK": {"S": "REVOKED"}},
    )["Item"]
    assert item["expires_at"] == {"N": str(expires_at)}  # the table's TTL attribute


def test_revocations_are_read_consistently(
    services: Container, get_item_calls: list[dict[str, Any]]
) -> None:
    repository = DynamoSessionRepository(services.client("dynamodb"), services.settings.TABLE_NAME)
    repository.is_revoked("x")
    assert [call.get("ConsistentRead") for call in get_item_calls] == [True]


async def test_a_logout_reaches_other_containers_within_the_cache_bound(
    services: Container, new_user: Callable[..., User]
) -> None:
    def container_sessions(clock: Clock) -> SessionService:
        return SessionService(
            services.account_repo,
            services.session_repo,
            services.session_secret,
            ttl_seconds=900,
            cache_seconds=30,
            clock=clock,
        )

    clock = Clock()
    here, elsewhere = container_sessions(Clock()), container_sessions(clock)
    now = int(time.time())
    claims = {"sub": new_user().user_id, "jti": uuid.uuid4().hex, "iat": now, "exp": now + 900}
    token = jwt.encode(claims | {"role": "user", "plan": "maker"}, services.session_secret.get())
    await elsewhere.principal(token)
    await here.logout(token)
    with pytest.raises(AuthenticationError):
        await here.principal(token)  # at once, here
    await elsewhere.principal(token)  # still cached there
    clock.now += 31
    with pytest.raises(AuthenticationError):
        await elsewhere.principal(token)
