"""DynamoQueuedRequests: queued requests (/v1/ai) and their idempotency keys (keys: table.py).

    REQUEST#<request_id> / REQUEST     the request, its hold, then its answer or error
                                       GSI1: USER#<user_id> / REQUEST#<created>#<id>
    IDEMPOTENCY#<user>#<sha256> / IDEMPOTENCY    body_hash, request_id

A request and its idempotency key are written in one transaction, both only if absent. Its
answer is written by `completed` (or `failed`): a write that the worker's settlement carries
in its own transaction (Ledger.settle(also=...)), under the condition that the request is
still queued, so an answer is stored once and paid for once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from switchboard.adapters.aws import ledger_items, table
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
from switchboard.domain.billing import Reservation
from switchboard.domain.queue import (
    DuplicateSubmission,
    IdempotencyKey,
    QueuedInput,
    QueuedRequest,
    Status,
)


class DynamoQueuedRequests:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, request_id: str) -> QueuedRequest | None:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.queued_request(request_id), ConsistentRead=True
            ).get("Item")
        return _from_item(from_item(item)) if item else None

    def page_for_user(
        self, user_id: str, *, after: str | None, limit: int, keep: Callable[[QueuedRequest], bool]
    ) -> tuple[list[QueuedRequest], str | None]:
        """A page of the user's queued requests, oldest first, that `keep` keeps."""
        return owner_page(
            self._client, self._table, user_id, "REQUEST", after=after, limit=limit,
            read=_from_item, keep=keep,
        )  # fmt: skip

    def idempotent(self, key: IdempotencyKey) -> tuple[str, str] | None:
        """The (body hash, request id) an idempotency key was first used for, if any."""
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table,
                Key=table.idempotency_key(key.user_id, key.key_hash),
                ConsistentRead=True,
            ).get("Item")
        if not item:
            return None
        values = from_item(item)
        return str(values["body_hash"]), str(values["request_id"])

    def create(self, request: QueuedRequest, key: IdempotencyKey | None, expires_at: int) -> None:
        """Store a new request (and its key); DuplicateSubmission if the key was taken by
        another submission meanwhile (nothing is written then)."""
        items: list[Any] = [_put(_to_item(request, expires_at))]
        if key is not None:
            items.append(_put(_key_item(key, request.request_id, expires_at)))
        try:
            transact(self._client, self._table, items)
        except Cancelled as cancelled:
            if key is not None and cancelled.failed(1):
                raise DuplicateSubmission(str(cancelled.old(1)["request_id"])) from None
            raise

    def completed(
        self,
        request_id: str,
        *,
        response: str | None,
        response_key: str | None,
        usage: dict[str, Any],
        now: datetime,
    ) -> Update:
        """The write that stores an answer: for the settlement's transaction."""
        update = self._finished(request_id, Status.COMPLETED, now).set("usage", usage)
        if response_key is not None:
            return update.set("response_key", response_key)
        return update.set("response", response)

    def failed(self, request_id: str, error: dict[str, Any], now: datetime) -> Update:
        """The write that stores a failure: for the release's transaction."""
        return self._finished(request_id, Status.FAILED, now).set("error", error)

    def fail(self, request_id: str, error: dict[str, Any], now: datetime) -> bool:
        """Store a failure on its own (a request without an open hold); False if it was no
        longer queued."""
        try:
            conditional_update(self._client, self._table, self.failed(request_id, error, now))
        except ConditionFailed:
            return False
        return True

    def _finished(self, request_id: str, status: Status, now: datetime) -> Update:
        update = Update(table.queued_request(request_id))
        update.set("status", status.value).set("completed_at", now.isoformat())
        return update.condition("{0} = {queued}", "status", queued=Status.QUEUED.value)


def _put(values: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"Item": to_item(values), "ConditionExpression": "attribute_not_exists(PK)"}}


def _to_item(request: QueuedRequest, expires_at: int) -> dict[str, Any]:
    created = request.created_at.isoformat()
    hold = request.hold
    return {
        **table.plain_key(table.queued_request(request.request_id)),
        **table.owner_index(request.user_id, "REQUEST", created, request.request_id),
        "type": "queued_request",
        "request_id": request.request_id,
        "user_id": request.user_id,
        "model": request.model,
        "input": {
            "prompt": request.input.prompt,
            "system": request.input.system,
            "max_tokens": request.input.max_tokens,
            "temperature": _text(request.input.temperature),
            **({} if request.input.capture else {"capture": False}),
        },
        "status": request.status.value,
        "hold": _hold(hold) if hold else None,
        "created_at": created,
        "expires_at": expires_at,
    }


def _key_item(key: IdempotencyKey, request_id: str, expires_at: int) -> dict[str, Any]:
    return {
        **table.plain_key(table.idempotency_key(key.user_id, key.key_hash)),
        "type": "idempotency_key",
        "body_hash": key.body_hash,
        "request_id": request_id,
        "expires_at": expires_at,
    }


def _from_item(values: dict[str, Any]) -> QueuedRequest:
    given = values.get("input", {})
    temperature = given.get("temperature")
    hold = values.get("hold")
    completed = values.get("completed_at")
    return QueuedRequest(
        request_id=values["request_id"],
        user_id=values["user_id"],
        model=values["model"],
        input=QueuedInput(
            prompt=given.get("prompt", ""),
            system=given.get("system"),
            max_tokens=given.get("max_tokens"),
            temperature=float(temperature) if temperature is not None else None,
            capture=given.get("capture", True) is not False,
        ),
        created_at=datetime.fromisoformat(values["created_at"]),
        status=Status(values.get("status", Status.QUEUED.value)),
        hold=ledger_items.reservation_from(
            hold["payer"], table.hold_attribute(hold["reservation_id"]), hold
        ) if hold else None,
        response=values.get("response"),
        response_key=values.get("response_key"),
        usage=values.get("usage"),
        error=values.get("error"),
        completed_at=datetime.fromisoformat(completed) if completed else None,
    )  # fmt: skip


def _hold(hold: Reservation) -> dict[str, Any]:
    """The hold taken at submit, as the worker needs it to settle."""
    ids = {"payer": hold.payer_id, "reservation_id": hold.reservation_id}
    return ids | ledger_items.hold_record(hold)


def _text(value: float | None) -> str | None:
    """A float kept exactly as it was given (to_attr stores integers and text, not floats)."""
    return None if value is None else repr(value)
