"""DynamoKeyRepository: API keys, one item each, found by the hash of the secret (keys:
table.py).

    APIKEY#<sha256> / APIKEY     GSI1: USER#<user_id> / APIKEY#<created_at>#<key_id>
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
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
    )
