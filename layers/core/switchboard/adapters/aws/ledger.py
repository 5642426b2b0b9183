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

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from switchboard.adapters.aws import ledger_items as build
from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
from switchboard.domain.accounts import LedgerEntry, new_entry_id
from switchboard.domain.billing import Charge, Reservation

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
                TableName=self._table, Key=build.balance_key(user_id), ConsistentRead=True
            ).get("Item")
        values = from_item(item) if item else {}
        return int(values.get("balance_micro_usd", 0)), int(values.get("entry_count", 0))

    def entries(self, user_id: str) -> list[LedgerEntry]:
        return [build.entry_from(user_id, values) for values in self._query_ledger(user_id)]

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
        for shard in range(build.RESERVATION_SHARDS):
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
            found.extend(build.reservation_from(from_item(i)) for i in response.get("Items", []))
        return found

    # --- writes ------------------------------------------------------------------------

    def credit(self, user_id: str, amount: int, *, kind: str, reason: str, now: datetime) -> None:
        """A top-up (positive) or adjustment (either sign). A debit may not go below zero."""
        entry = LedgerEntry(new_entry_id(now), user_id, kind, amount, now, reason)
        try:
            self._transact([build.balance_update(user_id, amount), build.ledger_put(entry, {})])
        except _Cancelled as cancelled:
            raise BalanceTooLow(cancelled.balance()) from None

    def reserve(self, reservation: Reservation) -> None:
        """Hold the amount (BalanceTooLow if the balance cannot cover it) and count the
        reserved tokens in the caller's rate window, in one transaction."""
        r = reservation
        entry = LedgerEntry(
            new_entry_id(r.created_at), r.payer_id, "reserve", -r.amount_micro_usd,
            r.created_at, f"hold for {r.model}", r.request_id,
        )  # fmt: skip
        items = [
            build.balance_update(r.payer_id, -r.amount_micro_usd),
            build.ledger_put(entry, {"reservation_id": r.reservation_id, "model": r.model}),
            {"Put": {"TableName": self._table, "Item": to_item(build.reservation_item(r)),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ]  # fmt: skip
        if r.tokens:
            items.append(build.rate_tokens(r.caller_id, r.window, r.tokens))
        try:
            self._transact(items)
        except _Cancelled as cancelled:
            raise BalanceTooLow(cancelled.balance()) from None

    def settle(self, reservation: Reservation, charge: Charge, now: datetime) -> bool:
        """Bill the charge, give back the rest of the hold, count usage. False if the
        reservation was already settled or released."""
        try:
            self._transact(self._settle_items(reservation, charge, now))
        except _Cancelled as cancelled:
            if cancelled.failed(0):
                return False
            raise
        return True

    def release(self, reservation: Reservation, now: datetime, reason: str) -> bool:
        """Give the whole hold back (a failed call, or the sweeper). False if already done."""
        r = reservation
        entry = LedgerEntry(
            new_entry_id(now), r.payer_id, "release", r.amount_micro_usd, now, reason,
            r.request_id,
        )  # fmt: skip
        items = [
            self._reservation_delete(r),
            build.balance_update(r.payer_id, r.amount_micro_usd),
            build.ledger_put(entry, {"reservation_id": r.reservation_id, "model": r.model}),
        ]
        if r.tokens:
            items.append(build.rate_tokens(r.caller_id, r.window, -r.tokens))
        try:
            self._transact(items)
        except _Cancelled as cancelled:
            if cancelled.failed(0):
                return False
            raise
        return True

    # --- internals ---------------------------------------------------------------------

    def _settle_items(self, r: Reservation, charge: Charge, now: datetime) -> list[dict[str, Any]]:
        refund = r.amount_micro_usd - charge.billed_micro_usd
        entry = LedgerEntry(
            new_entry_id(now), r.payer_id, "settle", refund, now,
            f"{charge.prompt_tokens} prompt + {charge.completion_tokens} completion tokens "
            f"of {r.model}", r.request_id,
        )  # fmt: skip
        details = {
            "reservation_id": r.reservation_id,
            "model": r.model,
            "app_id": r.app_id,
            "reserved_micro_usd": r.amount_micro_usd,
            "cost_micro_usd": charge.cost_micro_usd,
            "unbilled_micro_usd": charge.unbilled_micro_usd or None,
            "prompt_tokens": charge.prompt_tokens,
            "completion_tokens": charge.completion_tokens,
        }
        items = [
            self._reservation_delete(r),
            build.balance_update(r.payer_id, refund),
            build.ledger_put(entry, details),
        ]
        if charge.counted_tokens != r.tokens:
            items.append(build.rate_tokens(r.caller_id, r.window, charge.counted_tokens - r.tokens))
        if r.app_id:
            items.append(build.usage_add(r.app_id, now, r.model, charge))
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
        items = [build.with_table(item, self._table) for item in items]
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
