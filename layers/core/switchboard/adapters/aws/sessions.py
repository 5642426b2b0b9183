"""DynamoSessionRepository: revoked login sessions, one item each, until the token expires.

PK = SESSION#<jti>   SK = REVOKED   expires_at (epoch seconds: the token's exp, and the TTL)

A session is valid unless revoked: only logouts are written. DynamoDB's TTL removes the
item some time after the token could no longer be used anyway.
"""

from __future__ import annotations

from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import to_item, translated_errors


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


def _to_item(jti: str, expires_at: int) -> dict[str, Any]:
    return {
        **table.plain_key(table.session(jti)),
        "type": "session_revocation",
        "expires_at": expires_at,
    }
