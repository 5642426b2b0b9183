"""DynamoSessionRepository: revoked login sessions, one item each, until the token expires.

PK = SESSION#<jti>   SK = REVOKED   expires_at (epoch seconds: the token's exp, and the TTL)

A session is valid unless revoked: only logouts are written. DynamoDB's TTL removes the
item some time after the token could no longer be used anyway. `check` reads the revocation
and the session's user (USER#<id>/PROFILE: role, plan, limits, disabled) in one
BatchGetItem, so that an admin's change reaches sessions as it reaches keys.
"""

from __future__ import annotations

from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.accounts import user_from
from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
from switchboard.domain.accounts import User


class DynamoSessionRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def revoke(self, jti: str, expires_at: int) -> None:
        """Record a logout; revoking twice is harmless (the item is simply written again)."""
        with translated_errors():
            self._client.put_item(TableName=self._table, Item=to_item(_to_item(jti, expires_at)))

    def is_revoked(self, jti: str) -> bool:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table, Key=table.session(jti), ConsistentRead=True
            )
        return "Item" in response

    def check(self, jti: str, user_id: str) -> tuple[bool, User | None]:
        """Whether the session is revoked, and its user as stored now (None: gone)."""
        keys = [table.session(jti), table.profile(user_id)]
        request = {self._table: {"Keys": keys, "ConsistentRead": True}}
        found: list[dict[str, Any]] = []
        with translated_errors():
            for _ in range(5):  # unprocessed keys (throttling) are asked again
                response = self._client.batch_get_item(RequestItems=request)
                found += response.get("Responses", {}).get(self._table, [])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        items = [from_item(item) for item in found]
        revoked = any(item["SK"] == "REVOKED" for item in items)
        user = next((user_from(item) for item in items if item["SK"] == "PROFILE"), None)
        return revoked, user


def _to_item(jti: str, expires_at: int) -> dict[str, Any]:
    return {
        **table.plain_key(table.session(jti)),
        "type": "session_revocation",
        "expires_at": expires_at,
    }
