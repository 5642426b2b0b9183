"""DynamoFiles: the items that describe files (/v1/files); their bytes are in S3 (blobs.py).

    FILE#<file_id> / FILE    owner, size, name, purpose, lines, content_type, key, created_at,
                             expires_at
                             GSI1: USER#<user_id> / FILE#<created, 12 digits>#<id>

`expires_at` is both the file's OpenAI field and the table's TTL: the item goes when the
bucket's retention rule takes the bytes. Reads check it themselves (TTL lags).
"""

from __future__ import annotations

from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
from switchboard.domain.files import Purpose, StoredFile

KIND = "FILE"


class DynamoFiles:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, stored: StoredFile, *, replace: bool = False) -> None:
        """Store a file's item; a new id only, unless `replace` (a batch's output file, made
        again when a batch is finalized again)."""
        condition = {} if replace else {"ConditionExpression": "attribute_not_exists(PK)"}
        with translated_errors("A file with this id exists."):
            self._client.put_item(
                TableName=self._table, Item=to_item(_to_item(stored)), **condition
            )

    def get(self, file_id: str) -> StoredFile | None:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.file(file_id), ConsistentRead=True
            ).get("Item")
        return _from_item(from_item(item)) if item else None

    def delete(self, file_id: str) -> None:
        with translated_errors():
            self._client.delete_item(TableName=self._table, Key=table.file(file_id))

    def list_for_user(
        self,
        user_id: str,
        *,
        after: StoredFile | None,
        limit: int,
        descending: bool,
        purpose: str | None,
        now: int,
    ) -> list[StoredFile]:
        """Up to `limit` of a user's files that have not expired, newest first when
        `descending`, after the file `after` in that order, of one purpose if given."""
        query = _page_query(self._table, user_id, after, descending, purpose, now)
        found: list[StoredFile] = []
        while len(found) < limit:
            with translated_errors():
                page = self._client.query(**query, Limit=limit - len(found))
            found += [_from_item(from_item(item)) for item in page.get("Items", [])]
            found = [f for f in found if after is None or f.file_id != after.file_id]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]


def _page_query(
    table_name: str,
    user_id: str,
    after: StoredFile | None,
    descending: bool,
    purpose: str | None,
    now: int,
) -> dict[str, Any]:
    values: dict[str, Any] = {":pk": {"S": table.user_pk(user_id)}, ":now": {"N": str(now)}}
    if after is None:
        sort = "begins_with(GSI1SK, :prefix)"
        values[":prefix"] = {"S": f"{KIND}#"}
    else:  # BETWEEN is inclusive: `after` itself is dropped from the page
        sort = "GSI1SK BETWEEN :low AND :high"
        edge = _index_key(after)
        low, high = (f"{KIND}#", edge) if descending else (edge, f"{KIND}#\uffff")
        values |= {":low": {"S": low}, ":high": {"S": high}}
    filters = ["expires_at > :now"]
    if purpose is not None:
        filters.append("purpose = :purpose")
        values[":purpose"] = {"S": purpose}
    return {
        "TableName": table_name,
        "IndexName": table.OWNER_INDEX,
        "KeyConditionExpression": f"GSI1PK = :pk AND {sort}",
        "FilterExpression": " AND ".join(filters),
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not descending,
    }


def _index_key(stored: StoredFile) -> str:
    return table.owner_index(
        stored.user_id, KIND, table.epoch_key(stored.created_at), stored.file_id
    )["GSI1SK"]


def _to_item(stored: StoredFile) -> dict[str, Any]:
    return {
        **table.plain_key(table.file(stored.file_id)),
        **table.owner_index(
            stored.user_id, KIND, table.epoch_key(stored.created_at), stored.file_id
        ),
        "type": "file",
        "file_id": stored.file_id,
        "user_id": stored.user_id,
        "filename": stored.filename,
        "purpose": stored.purpose.value,
        "bytes": stored.bytes,
        "lines": stored.lines,
        "content_type": stored.content_type,
        "key": stored.key,
        "created_at": stored.created_at,
        "expires_at": stored.expires_at,
    }


def _from_item(values: dict[str, Any]) -> StoredFile:
    lines = values.get("lines")
    return StoredFile(
        file_id=values["file_id"],
        user_id=values["user_id"],
        filename=values["filename"],
        purpose=Purpose(values["purpose"]),
        bytes=int(values["bytes"]),
        created_at=int(values["created_at"]),
        expires_at=int(values["expires_at"]),
        key=values["key"],
        lines=int(lines) if lines is not None else None,
        content_type=values.get("content_type"),
    )
