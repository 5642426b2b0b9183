"""DynamoUploads: grants to put a batch file into the bucket (domain/uploads.py).

    UPLOAD#<upload_id> / UPLOAD    owner, key, name, the batch's order, status, batch_id or
                                   error, created_at, url_expires_at, expires_at (TTL)

A grant moves once, from pending to started or rejected, by a conditional write: the same
arrival told twice (S3 notifies at least once) finds it moved already.
"""

from __future__ import annotations

from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import (
    ConditionFailed,
    Update,
    conditional_update,
    from_item,
    to_item,
    translated_errors,
)
from switchboard.domain.batches import BatchOrder, Endpoint
from switchboard.domain.uploads import Upload, UploadStatus


class DynamoUploads:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, upload: Upload) -> None:
        with translated_errors("An upload with this id exists."):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_to_item(upload)),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def get(self, upload_id: str) -> Upload | None:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.upload(upload_id), ConsistentRead=True
            ).get("Item")
        return _from_item(from_item(item)) if item else None

    def settle(
        self,
        upload_id: str,
        status: UploadStatus,
        *,
        batch_id: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Move a pending grant to `status`; False if it was not pending (or is gone)."""
        update = Update(table.upload(upload_id)).set("status", status.value)
        if batch_id is not None:
            update.set("batch_id", batch_id)
        if error is not None:
            update.set("error", error)
        update.condition("{0} = {pending}", "status", pending=UploadStatus.PENDING.value)
        try:
            conditional_update(self._client, self._table, update)
        except ConditionFailed:
            return False
        return True


def _to_item(upload: Upload) -> dict[str, Any]:
    order = upload.order
    return {
        **table.plain_key(table.upload(upload.upload_id)),
        "type": "upload",
        "upload_id": upload.upload_id,
        "user_id": upload.user_id,
        "key": upload.key,
        "filename": upload.filename,
        "endpoint": order.endpoint.value,
        "metadata": order.metadata,
        "output_expires_after": order.output_expires_after,
        "created_at": upload.created_at,
        "url_expires_at": upload.url_expires_at,
        "expires_at": upload.expires_at,
        "granted_by": upload.granted_by,
        "status": upload.status.value,
    }


def _from_item(values: dict[str, Any]) -> Upload:
    expiry = values.get("output_expires_after")
    order = BatchOrder(
        Endpoint(values["endpoint"]),
        values.get("metadata") or None,
        int(expiry) if expiry is not None else None,
    )
    return Upload(
        upload_id=values["upload_id"],
        user_id=values["user_id"],
        key=values["key"],
        filename=values["filename"],
        order=order,
        created_at=int(values["created_at"]),
        url_expires_at=int(values["url_expires_at"]),
        expires_at=int(values["expires_at"]),
        granted_by=values["granted_by"],
        status=UploadStatus(values["status"]),
        batch_id=values.get("batch_id"),
        error=values.get("error"),
    )
