"""The per-user bounds on DynamoDB (moto's server), with real threads: a key (or an app) and
its owner's count are written in one transaction, so racing writers never pass the bound,
and a revocation (or deletion) gives its place back once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from switchboard.adapters.aws import table
from switchboard.bootstrap import Container
from switchboard.domain.account_changes import UserChanges
from switchboard.domain.accounts import LimitReached, User, UserChanged
from switchboard.domain.apps import App, new_app_id
from switchboard.domain.clock import utcnow
from switchboard.domain.key_issuance import issue_key
from switchboard.errors import NotFoundError

BOUND = 5


def profile(services: Container, user_id: str) -> dict[str, Any]:
    item = services.client("dynamodb").get_item(
        TableName=services.settings.TABLE_NAME, Key=table.profile(user_id), ConsistentRead=True
    )["Item"]
    return {name: next(iter(value.values())) for name, value in item.items()}


def test_racing_key_creation_stops_at_the_bound(
    services: Container, new_user: Callable[..., User]
) -> None:
    user, keys = new_user(), services.key_repo

    def create(i: int) -> str:
        record = issue_key(user_id=user.user_id, name=f"k{i}", prefix="sb_", now=utcnow()).record
        try:
            keys.create(record, user, BOUND)
            return "made"
        except LimitReached:
            return "full"
        except Exception as error:  # a transaction conflict: DynamoDB's, surfaced as 503
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(16)))
    stored = [key for key in keys.list_for_user(user.user_id) if key.revoked_at is None]
    assert results.count("made") == len(stored) == BOUND
    assert int(profile(services, user.user_id)["key_count"]) == BOUND


def test_racing_revocations_give_one_place_back(
    services: Container, new_user: Callable[..., User]
) -> None:
    user, keys = new_user(), services.key_repo
    records = [issue_key(user_id=user.user_id, name="k", prefix="sb_", now=utcnow()).record
               for _ in range(2)]  # fmt: skip
    for record in records:
        keys.create(record, user, BOUND)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: keys.revoke_counted(records[0].key_hash, user.user_id,
                                                    utcnow()), range(6)))  # fmt: skip
    assert int(profile(services, user.user_id)["key_count"]) == 1
    assert keys.get_by_hash(records[0].key_hash).revoked_at is not None  # type: ignore[union-attr]


def test_a_key_issued_from_a_stale_user_is_refused(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user()
    services.account_repo.update(user.user_id, UserChanges(plan="builder"), utcnow())
    record = issue_key(user_id=user.user_id, name="k", prefix="sb_", now=utcnow()).record
    with pytest.raises(UserChanged):
        services.key_repo.create(record, user, BOUND)
    fresh = services.account_repo.get(user.user_id)
    assert fresh is not None and fresh.revision == 1 and fresh.plan == "builder"
    services.key_repo.create(record, fresh, BOUND)


def test_racing_app_creation_stops_at_the_bound_and_deletion_gives_back(
    services: Container, new_user: Callable[..., User]
) -> None:
    user, apps = new_user(), services.app_repo

    def create(i: int) -> str:
        app = App(new_app_id(), f"a{i}", user.user_id, utcnow())
        try:
            apps.create_counted(app, BOUND)
            return "made"
        except LimitReached:
            return "full"
        except Exception as error:  # a transaction conflict: DynamoDB's, surfaced as 503
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(16)))
    live, _ = apps.page_for_owner(user.user_id, after=None, limit=100)
    assert results.count("made") == len(live) == BOUND
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: _quietly(apps.delete, live[0], utcnow()), range(4)))
    assert int(profile(services, user.user_id)["app_count"]) == BOUND - 1
    kept = apps.get(live[0].app_id)
    assert kept is not None and kept.deleted_at is not None


def _quietly(call: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(NotFoundError):
        call(*args)
