"""DynamoKeyRepository: API keys, one item each, found by the hash of the secret (keys:
table.py).

    APIKEY#<sha256> / APIKEY     GSI1: USER#<user_id> / APIKEY#<created_at>#<key_id>

A key is created in one transaction with its owner's key count (accounts.counted: at most
the bound, never by racing writers); such a key is marked `counted`, and revoking it takes
it off the count in the same way. Keys copy their owner's role, plan, limits and disabled
state, which `copy_owner` rewrites when an admin changes them.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.accounts import COUNTED, KEY_COUNT, put_counted, uncounted
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    conditional_update,
    from_item,
    to_item,
    transact,
    translated_errors,
)
from switchboard.adapters.aws.owner_pages import owner_page
from switchboard.domain.accounts import User
from switchboard.domain.keys import ApiKey
from switchboard.domain.limits import RateLimits


class DynamoKeyRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=table.api_key(key_hash),
            )
        item = response.get("Item")
        return _from_item(from_item(item)) if item else None

    def list_for_user(self, user_id: str) -> list[ApiKey]:
        """A user's keys, oldest first (revoked ones included: callers filter)."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=table.OWNER_INDEX,
            KeyConditionExpression="GSI1PK = :user AND begins_with(GSI1SK, :keys)",
            ExpressionAttributeValues={
                ":user": {"S": table.user_pk(user_id)},
                ":keys": {"S": "APIKEY#"},
            },
        )
        with translated_errors():
            return [_from_item(from_item(item)) for page in pages for item in page["Items"]]

    def revoke(self, key_hash: str, when: datetime) -> None:
        """Mark a key revoked (kept, for the record); revoking twice keeps the first time."""
        with translated_errors():
            self._client.update_item(
                TableName=self._table,
                Key=table.api_key(key_hash),
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :when)",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":when": {"S": when.isoformat()}},
            )

    def page_for_user(
        self, user_id: str, *, after: str | None, limit: int, now: datetime
    ) -> tuple[list[ApiKey], str | None]:
        """A page of the user's usable keys, oldest first, and the cursor after it (None:
        the last page)."""
        return owner_page(
            self._client, self._table, user_id, "APIKEY", after=after, limit=limit,
            read=_from_item, keep=lambda key: key.is_usable(now),
        )  # fmt: skip

    def create(self, key: ApiKey, owner: User, bound: int) -> None:
        """Store a new key and count it on its owner, if they hold fewer than `bound`:
        LimitReached, UserDisabled, UserChanged or NotFoundError otherwise."""
        put_counted(
            self._client, self._table, _to_item(key), owner.user_id, KEY_COUNT, bound,
            conflict="An API key with this value already exists.", revision=owner.revision,
        )  # fmt: skip

    def revoke_counted(self, key_hash: str, user_id: str, when: datetime) -> None:
        """Revoke a key, taking it off its owner's count if it was counted; revoking twice
        keeps the first time and counts nothing."""
        revoke = Update(table.api_key(key_hash)).set("revoked_at", when.isoformat())
        revoke.condition("attribute_exists(PK) AND attribute_not_exists({0})", "revoked_at")
        revoke.condition("{0} = {yes}", COUNTED, yes=True)
        try:
            transact(self._client, self._table, [revoke, uncounted(user_id, KEY_COUNT)])
        except Cancelled:  # revoked already, or never counted
            self.revoke(key_hash, when)

    def copy_owner(self, key_hash: str, owner: User) -> None:
        """Give a key its owner's current role, plan, limits and disabled state."""
        update = Update(table.api_key(key_hash)).set("role", owner.role.value)
        update.set("plan", owner.plan).set("disabled", owner.disabled)
        update.set("rate_limits", owner.limits.to_dict() if owner.limits else None)
        update.condition("attribute_exists(PK)")
        with contextlib.suppress(ConditionFailed):  # deleted meanwhile: nothing to copy to
            conditional_update(self._client, self._table, update)

    def put(self, key: ApiKey) -> None:
        with translated_errors("An API key with this value already exists."):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_to_item(key)),
                ConditionExpression="attribute_not_exists(PK)",
            )


def _to_item(key: ApiKey) -> dict[str, Any]:
    return {
        **table.plain_key(table.api_key(key.key_hash)),
        **table.owner_index(key.user_id, "APIKEY", key.created_at.isoformat(), key.key_id),
        "type": "apikey",
        "key_id": key.key_id,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "last4": key.last4,
        "scopes": list(key.scopes),
        "role": key.role,
        "plan": key.plan,
        "created_at": key.created_at.isoformat(),
        "expires_at": int(key.expires_at.timestamp()) if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "rate_limits": key.limits.to_dict() if key.limits else None,
        "disabled": key.disabled or None,
    }


def _from_item(values: dict[str, Any]) -> ApiKey:
    expires = values.get("expires_at")
    revoked = values.get("revoked_at")
    return ApiKey(
        key_id=values["key_id"],
        key_hash=values["PK"].removeprefix("APIKEY#"),
        user_id=values["user_id"],
        name=values.get("name", ""),
        prefix=values.get("prefix", ""),
        last4=values.get("last4", ""),
        created_at=datetime.fromisoformat(values["created_at"]),
        scopes=tuple(values.get("scopes", ["*"])),
        role=values.get("role", "user"),
        plan=values.get("plan", "maker"),
        expires_at=datetime.fromtimestamp(expires, tz=UTC) if expires else None,
        revoked_at=datetime.fromisoformat(revoked) if revoked else None,
        limits=RateLimits.from_dict(values["rate_limits"]) if values.get("rate_limits") else None,
        disabled=bool(values.get("disabled")),
    )
