"""DynamoVectorStores: vector stores, their files and file batches (keys: table.py; item
shapes: vector_store_items.py; the design: docs/vector-stores.md).

    VSTORE#<vs_id> / STORE            the store, its file counts and usage_bytes
                                      GSI1: USER#<user_id> / VSTORE#<created>#<vs_id>
    VSTORE#<vs_id> / FILE#<file_id>   a file in the store
    VSTORE#<vs_id> / FBATCH#<id>      a file batch and its own counts

Every change of a file's status is one TransactWriteItems over the file item (conditioned
on its current status), the store's counters and, for a file of a batch, the batch's:

    add      put file (if absent) + store and batch: total+1, in_progress+1 (+ usage_bytes)
    finish   file in_progress -> status + store and batch: in_progress-1, status+1
    remove   delete file (its status as read) + store and batch: total-1, status-1
             (+ usage_bytes - its bytes)

Counter updates are conditioned on their item existing, so a write after a store's deletion
never makes a partial item again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws import vector_store_items as items
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    Write,
    conditional_update,
    from_item,
    to_item,
    transact,
    translated_errors,
)
from switchboard.domain.vector_stores import (
    FileBatch,
    FileError,
    FileStatus,
    StoreFile,
    VectorStore,
    store_not_found,
)
from switchboard.errors import ConflictError

_EXISTS = "attribute_exists({0})"
_WRITE_BATCH = 25  # BatchWriteItem's maximum
_REMOVE_TRIES = 5  # a file whose status changes under a removal is read again


class DynamoVectorStores:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- stores -------------------------------------------------------------------

    def put_store(self, store: VectorStore) -> None:
        with translated_errors("A vector store with this id exists."):
            self._client.put_item(
                TableName=self._table, Item=to_item(items.store_item(store)), **items.ABSENT
            )

    def get_store(self, store_id: str) -> VectorStore | None:
        item = self._get(table.vector_store(store_id))
        return items.store_from(item) if item else None

    def list_stores(
        self,
        user_id: str,
        *,
        limit: int,
        after: VectorStore | None = None,
        before: VectorStore | None = None,
        descending: bool = True,
    ) -> tuple[list[VectorStore], bool]:
        """Keyset pages over GSI1. `before` reads backwards from its edge (the page just
        before it), then turns the page round."""
        backwards = before is not None and after is None
        low, high = f"{items.KIND}#", f"{items.KIND}#\uffff"
        if after is not None:  # BETWEEN is inclusive: the edge itself is dropped below
            low, high = (
                (low, items.index_key(after)) if descending else (items.index_key(after), high)
            )
        elif before is not None:
            low, high = (
                (items.index_key(before), high) if descending else (low, items.index_key(before))
            )
        forward = not descending if not backwards else descending
        with translated_errors():
            page = self._client.query(
                TableName=self._table, IndexName=table.OWNER_INDEX,
                KeyConditionExpression="GSI1PK = :pk AND GSI1SK BETWEEN :low AND :high",
                ExpressionAttributeValues={":pk": {"S": table.user_pk(user_id)},
                                           ":low": {"S": low}, ":high": {"S": high}},
                ScanIndexForward=forward, Limit=limit + 2,
            )  # fmt: skip
        edges = {s.store_id for s in (after, before) if s is not None}
        found = [items.store_from(from_item(i)) for i in page.get("Items", [])]
        found = [s for s in found if s.store_id not in edges]
        more = len(found) > limit or ("LastEvaluatedKey" in page and len(found) == limit)
        found = found[:limit]
        return (found[::-1] if backwards else found), more

    def update_store(self, store: VectorStore) -> VectorStore:
        update = Update(table.vector_store(store.store_id)).condition(_EXISTS, "PK")
        update.set("name", store.name).set("metadata", store.metadata)
        update.set("last_active_at", store.last_active_at)
        if store.expires_after is None:
            update.remove("expires_days")
        else:
            update.set("expires_days", store.expires_after.days)
        try:
            stored = conditional_update(self._client, self._table, update, returns="ALL_NEW")
        except ConditionFailed:
            raise store_not_found(store.store_id) from None
        return items.store_from(stored)

    def delete_store(self, store_id: str) -> None:
        """The store item first (so no file can be added meanwhile), then the rest."""
        with translated_errors():
            self._client.delete_item(TableName=self._table, Key=table.vector_store(store_id))
        keys = [
            {"PK": item["PK"], "SK": item["SK"]}
            for item in self._partition(store_id, "", projection="PK, SK")
        ]
        for start in range(0, len(keys), _WRITE_BATCH):
            self._delete_all(keys[start : start + _WRITE_BATCH])

    # --- files --------------------------------------------------------------------

    def add_file(self, file: StoreFile) -> StoreFile:
        file = file.finished(FileStatus.IN_PROGRESS)
        put = {"Put": {"Item": to_item(items.file_item(file))} | items.ABSENT}
        counted = [("total", 1), ("in_progress", 1)]
        store = self._store_counts(file.store_id, counted, file.bytes)
        writes: list[Write] = [put, store.set("last_active_at", file.created_at)]
        if file.batch_id is not None:
            batch = self._batch_counts(file, counted)
            writes.append(batch.condition("{0} = {no}", "batch_cancelled", no=False))
        try:
            transact(self._client, self._table, writes)
        except Cancelled as refused:
            return self._not_added(file, refused)
        return file

    def _not_added(self, file: StoreFile, refused: Cancelled) -> StoreFile:
        if refused.failed(0):  # already in the store: as it is
            existing = self.get_file(file.store_id, file.file_id)
            if existing is not None:
                return existing
            raise ConflictError(f"File '{file.file_id}' is being removed; add it again.")
        if refused.failed(1):
            raise store_not_found(file.store_id)
        raise ConflictError(
            f"File batch '{file.batch_id}' was cancelled.", param="batch_id", code="cancelled"
        )

    def get_file(self, store_id: str, file_id: str) -> StoreFile | None:
        item = self._get(table.store_file(store_id, file_id))
        return items.file_from(item) if item else None

    def list_files(
        self,
        store_id: str,
        *,
        limit: int,
        after: str | None = None,
        before: str | None = None,
        descending: bool = True,
        status: FileStatus | None = None,
        batch_id: str | None = None,
    ) -> tuple[list[StoreFile], bool]:
        """The store's files are read whole (a store's file items, a query page per MB),
        then ordered by creation: file ids sort at random."""
        files = [
            items.file_from(item) for item in self._partition(store_id, table.STORE_FILE_PREFIX)
        ]
        files.sort(key=lambda f: (f.created_at, f.file_id), reverse=descending)
        ids = [f.file_id for f in files]
        if after is not None:
            files = files[ids.index(after) + 1 :] if after in ids else []
        elif before is not None:
            files = files[: ids.index(before)] if before in ids else []
            files = files[-limit - 1 :] if len(files) > limit else files
        files = [f for f in files if (status is None or f.status is status)
                 and (batch_id is None or f.batch_id == batch_id)]  # fmt: skip
        if before is not None and after is None:
            return files[-limit:], len(files) > limit
        return files[:limit], len(files) > limit

    def finish_file(
        self,
        file: StoreFile,
        status: FileStatus,
        *,
        chunks: int = 0,
        last_error: FileError | None = None,
    ) -> bool:
        update = Update(table.store_file(file.store_id, file.file_id))
        update.set("status", status.value).set("chunks", chunks)
        update.condition("{0} = {from_}", "status", from_=FileStatus.IN_PROGRESS.value)
        if last_error is not None:
            update.set("last_error", items.error_text(last_error))
        moved = [("in_progress", -1), (status.value, 1)]
        writes: list[Write] = [update, self._store_counts(file.store_id, moved)]
        if file.batch_id is not None:
            writes.append(self._batch_counts(file, moved))
        try:
            transact(self._client, self._table, writes)
        except Cancelled:
            return False
        return True

    def update_attributes(
        self, store_id: str, file_id: str, attributes: dict[str, Any]
    ) -> StoreFile | None:
        update = Update(table.store_file(store_id, file_id)).condition(_EXISTS, "PK")
        update.set("attributes", json.dumps(attributes))
        try:
            stored = conditional_update(self._client, self._table, update, returns="ALL_NEW")
        except ConditionFailed:
            return None
        return items.file_from(stored)

    def remove_file(self, store_id: str, file_id: str) -> StoreFile | None:
        for _ in range(_REMOVE_TRIES):
            file = self.get_file(store_id, file_id)
            if file is None:
                return None
            try:
                transact(self._client, self._table, self._removal(file))
            except Cancelled as refused:
                if not refused.failed(0):  # the store is gone (being deleted): so is the file
                    return None
                continue  # its status changed meanwhile: read it again
            return file
        raise ConflictError(f"File '{file_id}' keeps changing; try again.")

    def _removal(self, file: StoreFile) -> list[Write]:
        delete = {
            "Key": table.store_file(file.store_id, file.file_id),
            "ConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": {"S": file.status.value}},
        }
        counted = [("total", -1), (file.status.value, -1)]
        writes: list[Write] = [
            {"Delete": delete},
            self._store_counts(file.store_id, counted, -file.bytes),
        ]
        if file.batch_id is not None:
            writes.append(self._batch_counts(file, counted))
        return writes

    # --- file batches -------------------------------------------------------------

    def put_batch(self, batch: FileBatch) -> None:
        with translated_errors("A file batch with this id exists."):
            self._client.put_item(
                TableName=self._table, Item=to_item(items.batch_item(batch)), **items.ABSENT
            )

    def get_batch(self, store_id: str, batch_id: str) -> FileBatch | None:
        item = self._get(table.store_batch(store_id, batch_id))
        return items.batch_from(item) if item else None

    def cancel_batch(self, store_id: str, batch_id: str) -> FileBatch | None:
        update = Update(table.store_batch(store_id, batch_id)).condition(_EXISTS, "PK")
        try:
            conditional_update(self._client, self._table, update.set("batch_cancelled", True))
        except ConditionFailed:
            return None
        waiting, _ = self.list_files(
            store_id, limit=1_000_000, status=FileStatus.IN_PROGRESS, batch_id=batch_id
        )
        for file in waiting:
            self.finish_file(file, FileStatus.CANCELLED)
        return self.get_batch(store_id, batch_id)

    # --- helpers ------------------------------------------------------------------

    def _store_counts(self, store_id: str, counts: list[tuple[str, int]], usage: int = 0) -> Update:
        update = _counts(table.vector_store(store_id), counts)
        return update.add("usage_bytes", usage) if usage else update

    def _batch_counts(self, file: StoreFile, counts: list[tuple[str, int]]) -> Update:
        return _counts(table.store_batch(file.store_id, str(file.batch_id)), counts)

    def _get(self, key: table.Key) -> dict[str, Any] | None:
        with translated_errors():
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get(
                "Item"
            )
        return from_item(item) if item else None

    def _partition(
        self, store_id: str, prefix: str, *, projection: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The store's items whose sort key starts with `prefix`, a query page at a time."""
        values = {":pk": {"S": table.vector_store_pk(store_id)}}
        condition = "PK = :pk"
        if prefix:
            condition, values[":prefix"] = (
                f"{condition} AND begins_with(SK, :prefix)",
                {"S": prefix},
            )
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        if projection:
            request["ProjectionExpression"] = projection
        while True:
            with translated_errors():
                page = self._client.query(**request)
            for item in page.get("Items", []):
                yield item if projection else from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete_all(self, keys: list[dict[str, Any]]) -> None:
        requests = [{"DeleteRequest": {"Key": key}} for key in keys]
        for _ in range(10):  # unprocessed items (throttling) are sent again
            with translated_errors():
                answer = self._client.batch_write_item(RequestItems={self._table: requests})
            requests = answer.get("UnprocessedItems", {}).get(self._table) or []
            if not requests:
                return


def _counts(key: table.Key, counts: list[tuple[str, int]]) -> Update:
    """The counters added to, on an item that must exist."""
    update = Update(key).condition(_EXISTS, "PK")
    for name, amount in counts:
        update.add(name, amount)
    return update
