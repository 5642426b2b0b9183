"""DynamoLedgerRepository: balances, their append-only ledger, and credit reservations.

    PK = USER#<user_id>         SK = BALANCE             balance_micro_usd, entry_count
    PK = USER#<user_id>         SK = LEDGER#<entry_id>   kind, amount_micro_usd (signed), ...
    PK = RESERVATION#<id>       SK = RESERVATION         GSI1PK = RESERVATIONS#<shard>
                                                         GSI1SK = <release_after>#<id>
    PK = RATE#<user_id>         SK = MINUTE#<window>     tokens (the reservation's share)
    PK = APP#<app_id>           SK = USAGE#<date>#<model> tokens, cost_micro_usd, requests

Every balance change is one TransactWriteItems with its ledger entry, so the ledger always
sums to the balance. Balances move by `ADD` under a condition (never read-modify-write), so
concurrent requests never wait on each other and never overspend. Settling or releasing
deletes the reservation under `attribute_exists`: a retry, or the sweeper racing a slow
request, cannot settle twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from switchboard.adapters.aws.dynamo import from_item, to_attr, to_item, translated_errors
from switchboard.domain.accounts import LedgerEntry, new_entry_id
from switchboard.domain.billing import Charge, Reservation

RESERVATION_SHARDS = 16  # spreads the sweeper's index over partitions
RATE_WINDOW_TTL = 3600


class BalanceTooLow(Exception):
    """The balance could not cover an amount; `available` is what it held then."""

    def __init__(self, available: int) -> None:
        super().__init__(available)
        self.available = available


class DynamoLedgerRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- reads -------------------------------------------------------------------------

    def balance(self, user_id: str) -> int:
        return self.balance_and_count(user_id)[0]

    def balance_and_count(self, user_id: str) -> tuple[int, int]:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=_balance_key(user_id), ConsistentRead=True
            ).get("Item")
        values = from_item(item) if item else {}
        return int(values.get("balance_micro_usd", 0)), int(values.get("entry_count", 0))

    def entries(self, user_id: str) -> list[LedgerEntry]:
        return [_entry_from(user_id, values) for values in self._query_ledger(user_id)]

    def user_ids(self) -> Iterator[str]:
        """Every user with a balance (for `switchboard ledger check`): a filtered scan."""
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="SK = :balance",
            ExpressionAttributeValues={":balance": {"S": "BALANCE"}},
            ProjectionExpression="PK",
            ConsistentRead=True,
        )
        with translated_errors():
            for page in pages:
                for item in page.get("Items", []):
                    yield item["PK"]["S"].removeprefix("USER#")

    def expired(self, now: int, limit: int = 100) -> list[Reservation]:
        """Reservations whose release_after has passed, oldest first, from every shard."""
        found: list[Reservation] = []
        for shard in range(RESERVATION_SHARDS):
            with translated_errors():
                response = self._client.query(
                    TableName=self._table,
                    IndexName="GSI1",
                    KeyConditionExpression="GSI1PK = :shard AND GSI1SK < :now",
                    ExpressionAttributeValues={
                        ":shard": {"S": f"RESERVATIONS#{shard:02d}"},
                        ":now": {"S": f"{now:012d}"},
                    },
                    Limit=limit,
                )
            found.extend(_reservation_from(from_item(i)) for i in response.get("Items", []))
        return found

    # --- writes ------------------------------------------------------------------------

    def credit(self, user_id: str, amount: int, *, kind: str, reason: str, now: datetime) -> None:
        """A top-up (positive) or adjustment (either sign). A debit may not go below zero."""
        entry = LedgerEntry(new_entry_id(now), user_id, kind, amount, None, now, reason)
        try:
            self._transact([_balance_update(user_id, amount), _ledger_put(entry, {})])
        except _Cancelled as cancelled:
            raise BalanceTooLow(cancelled.balance()) from None

    def reserve(self, reservation: Reservation) -> None:
        """Hold the amount (BalanceTooLow if the balance cannot cover it) and count the
        reserved tokens in the caller's rate window, in one transaction."""
        r = reservation
        entry = LedgerEntry(
            new_entry_id(r.created_at), r.payer_id, "reserve", -r.amount_micro_usd, None,
            r.created_at, f"hold for {r.model}", r.request_id,
        )  # fmt: skip
        items = [
            _balance_update(r.payer_id, -r.amount_micro_usd),
            _ledger_put(entry, {"reservation_id": r.reservation_id, "model": r.model}),
            {"Put": {"TableName": self._table, "Item": to_item(_reservation_item(r)),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ]  # fmt: skip
        if r.tokens:
            items.append(_rate_tokens(r.caller_id, r.window, r.tokens))
        try:
            self._transact(items)
        except _Cancelled as cancelled:
            raise BalanceTooLow(cancelled.balance()) from None

    def settle(self, reservation: Reservation, charge: Charge, now: datetime) -> bool:
        """Charge the actual cost, give back the rest, count usage. False if the reservation
        was already settled or released. A cost above the hold (an upstream counting more
        prompt tokens than estimated) is charged as far as the balance goes, never below 0."""
        try:
            self._transact(self._settle_items(reservation, charge, now, charge.cost_micro_usd))
        except _Cancelled as cancelled:
            if cancelled.failed(0):
                return False
            extra = cancelled.balance()
            capped = reservation.amount_micro_usd + max(extra, 0)
            try:
                self._transact(self._settle_items(reservation, charge, now, capped))
            except _Cancelled as again:
                if again.failed(0):
                    return False
                raise
        return True

    def release(self, reservation: Reservation, now: datetime, reason: str) -> bool:
        """Give the whole hold back (a failed call, or the sweeper). False if already done."""
        r = reservation
        entry = LedgerEntry(
            new_entry_id(now), r.payer_id, "release", r.amount_micro_usd, None, now, reason,
            r.request_id,
        )  # fmt: skip
        items = [
            self._reservation_delete(r),
            _balance_update(r.payer_id, r.amount_micro_usd),
            _ledger_put(entry, {"reservation_id": r.reservation_id, "model": r.model}),
        ]
        if r.tokens:
            items.append(_rate_tokens(r.caller_id, r.window, -r.tokens))
        try:
            self._transact(items)
        except _Cancelled as cancelled:
            if cancelled.failed(0):
                return False
            raise
        return True

    # --- internals ---------------------------------------------------------------------

    def _settle_items(
        self, r: Reservation, charge: Charge, now: datetime, billed: int
    ) -> list[dict[str, Any]]:
        refund = r.amount_micro_usd - billed
        entry = LedgerEntry(
            new_entry_id(now), r.payer_id, "settle", refund, None, now,
            f"{charge.prompt_tokens} prompt + {charge.completion_tokens} completion tokens "
            f"of {r.model}", r.request_id,
        )  # fmt: skip
        details = {
            "reservation_id": r.reservation_id,
            "model": r.model,
            "app_id": r.app_id,
            "reserved_micro_usd": r.amount_micro_usd,
            "cost_micro_usd": charge.cost_micro_usd,
            "unbilled_micro_usd": charge.cost_micro_usd - billed or None,
            "prompt_tokens": charge.prompt_tokens,
            "completion_tokens": charge.completion_tokens,
        }
        items = [
            self._reservation_delete(r),
            _balance_update(r.payer_id, refund),
            _ledger_put(entry, details),
        ]
        if charge.tokens != r.tokens:
            items.append(_rate_tokens(r.caller_id, r.window, charge.tokens - r.tokens))
        if r.app_id:
            items.append(_usage_add(r.app_id, now, r.model, charge, billed))
        return items

    def _reservation_delete(self, r: Reservation) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": {"PK": {"S": f"RESERVATION#{r.reservation_id}"}, "SK": {"S": "RESERVATION"}},
                "ConditionExpression": "attribute_exists(PK)",
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> None:
        """One all-or-nothing write; a failed condition is _Cancelled (with the reasons)."""
        items = [_with_table(item, self._table) for item in items]
        with translated_errors():
            try:
                self._client.transact_write_items(TransactItems=items)
            except ClientError as exc:
                reasons: list[dict[str, Any]] = [
                    dict(r) for r in exc.response.get("CancellationReasons", [])
                ]
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise _Cancelled(reasons) from exc
                raise

    def _query_ledger(self, user_id: str) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :ledger)",
            ExpressionAttributeValues={
                ":pk": {"S": f"USER#{user_id}"},
                ":ledger": {"S": "LEDGER#"},
            },
            ConsistentRead=True,
        )
        with translated_errors():
            for page in pages:
                yield from (from_item(item) for item in page.get("Items", []))


class _Cancelled(Exception):
    """A transaction refused by a condition; which items failed, and the balance seen."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return (
            index < len(self.reasons)
            and self.reasons[index].get("Code") == "ConditionalCheckFailed"
        )

    def balance(self) -> int:
        for reason in self.reasons:
            item = reason.get("Item")
            if (
                reason.get("Code") == "ConditionalCheckFailed"
                and item
                and item.get("SK", {}).get("S") == "BALANCE"
            ):
                return int(item.get("balance_micro_usd", {}).get("N", "0"))
        return 0


def _with_table(item: dict[str, Any], table: str) -> dict[str, Any]:
    ((operation, body),) = item.items()
    return {operation: {"TableName": table, **body}}


def _balance_key(user_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "BALANCE"}}


def _balance_update(user_id: str, amount: int) -> dict[str, Any]:
    update: dict[str, Any] = {
        "Key": _balance_key(user_id),
        "UpdateExpression": "ADD balance_micro_usd :amount, entry_count :one",
        "ExpressionAttributeValues": {":amount": to_attr(amount), ":one": to_attr(1)},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if amount < 0:  # a debit: only from a balance that covers it
        update["ConditionExpression"] = "balance_micro_usd >= :needed"
        update["ExpressionAttributeValues"][":needed"] = to_attr(-amount)
    return {"Update": update}


def _ledger_put(entry: LedgerEntry, details: dict[str, Any]) -> dict[str, Any]:
    item = {
        "PK": f"USER#{entry.user_id}",
        "SK": f"LEDGER#{entry.entry_id}",
        "type": "ledger",
        "kind": entry.kind,
        "amount_micro_usd": entry.amount_micro_usd,
        "reason": entry.reason,
        "request_id": entry.request_id or None,
        "created_at": entry.created_at.isoformat(),
        **details,
    }
    return {"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}}


def _rate_tokens(user_id: str, window: str, tokens: int) -> dict[str, Any]:
    return {
        "Update": {
            "Key": {"PK": {"S": f"RATE#{user_id}"}, "SK": {"S": f"MINUTE#{window}"}},
            "UpdateExpression": "ADD #tokens :tokens",
            "ExpressionAttributeNames": {"#tokens": "tokens"},
            "ExpressionAttributeValues": {":tokens": to_attr(tokens)},
        }
    }


def _usage_add(
    app_id: str, now: datetime, model: str, charge: Charge, billed: int
) -> dict[str, Any]:
    day = now.astimezone(UTC).strftime("%Y-%m-%d")
    return {
        "Update": {
            "Key": {"PK": {"S": f"APP#{app_id}"}, "SK": {"S": f"USAGE#{day}#{model}"}},
            "UpdateExpression": "ADD #tokens :tokens, cost_micro_usd :cost, #requests :one "
            "SET #day = :day, #model = :model",
            "ExpressionAttributeNames": {
                "#tokens": "tokens",
                "#requests": "requests",
                "#day": "day",
                "#model": "model",
            },
            "ExpressionAttributeValues": {
                ":tokens": to_attr(charge.tokens),
                ":cost": to_attr(billed),
                ":one": to_attr(1),
                ":day": to_attr(day),
                ":model": to_attr(model),
            },
        }
    }


def _reservation_item(r: Reservation) -> dict[str, Any]:
    shard = zlib.crc32(r.reservation_id.encode()) % RESERVATION_SHARDS
    return {
        "PK": f"RESERVATION#{r.reservation_id}",
        "SK": "RESERVATION",
        "GSI1PK": f"RESERVATIONS#{shard:02d}",
        "GSI1SK": f"{r.release_after:012d}#{r.reservation_id}",
        "type": "reservation",
        "reservation_id": r.reservation_id,
        "payer_id": r.payer_id,
        "caller_id": r.caller_id,
        "window": r.window,
        "model": r.model,
        "app_id": r.app_id,
        "amount_micro_usd": r.amount_micro_usd,
        "tokens": r.tokens,
        "request_id": r.request_id,
        "created_at": r.created_at.isoformat(),
        # Not `expires_at`: DynamoDB TTL must never delete a hold before it is released.
        "release_after": r.release_after,
    }


def _reservation_from(values: dict[str, Any]) -> Reservation:
    return Reservation(
        reservation_id=values["reservation_id"],
        payer_id=values["payer_id"],
        caller_id=values["caller_id"],
        window=values["window"],
        model=values["model"],
        app_id=values.get("app_id"),
        amount_micro_usd=int(values["amount_micro_usd"]),
        tokens=int(values.get("tokens", 0)),
        request_id=values.get("request_id", ""),
        created_at=datetime.fromisoformat(values["created_at"]),
        release_after=int(values["release_after"]),
    )


def _entry_from(user_id: str, values: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        entry_id=values["SK"].removeprefix("LEDGER#"),
        user_id=user_id,
        kind=values["kind"],
        amount_micro_usd=int(values["amount_micro_usd"]),
        balance_after_micro_usd=values.get("balance_after_micro_usd"),
        created_at=datetime.fromisoformat(values["created_at"]),
        reason=values.get("reason", ""),
        request_id=values.get("request_id", ""),
    )
