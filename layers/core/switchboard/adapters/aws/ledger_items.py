"""The items behind DynamoLedgerRepository (ledger.py): keys, and the writes that a
reservation, a settlement or a release puts in its transaction. Plain dicts in DynamoDB's
attribute format; attribute names that are DynamoDB reserved words are aliased."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from switchboard.adapters.aws.dynamo import to_attr, to_item
from switchboard.domain.accounts import LedgerEntry
from switchboard.domain.billing import Charge, Reservation

RESERVATION_SHARDS = 16  # spreads the sweeper's index over partitions


def with_table(item: dict[str, Any], table: str) -> dict[str, Any]:
    ((operation, body),) = item.items()
    return {operation: {"TableName": table, **body}}


def balance_key(user_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "BALANCE"}}


def balance_update(user_id: str, amount: int) -> dict[str, Any]:
    update: dict[str, Any] = {
        "Key": balance_key(user_id),
        "UpdateExpression": "ADD balance_micro_usd :amount, entry_count :one",
        "ExpressionAttributeValues": {":amount": to_attr(amount), ":one": to_attr(1)},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if amount < 0:  # a debit: only from a balance that covers it
        update["ConditionExpression"] = "balance_micro_usd >= :needed"
        update["ExpressionAttributeValues"][":needed"] = to_attr(-amount)
    return {"Update": update}


def ledger_put(entry: LedgerEntry, details: dict[str, Any]) -> dict[str, Any]:
    item = ledger_item(entry) | details
    return {"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}}


def ledger_item(entry: LedgerEntry) -> dict[str, Any]:
    """A ledger entry as stored (plain values); settlements add their details."""
    return {
        "PK": f"USER#{entry.user_id}",
        "SK": f"LEDGER#{entry.entry_id}",
        "type": "ledger",
        "kind": entry.kind,
        "amount_micro_usd": entry.amount_micro_usd,
        "reason": entry.reason,
        "request_id": entry.request_id or None,
        "created_at": entry.created_at.isoformat(),
    }


def rate_tokens(user_id: str, window: str, tokens: int) -> dict[str, Any]:
    return {
        "Update": {
            "Key": {"PK": {"S": f"RATE#{user_id}"}, "SK": {"S": f"MINUTE#{window}"}},
            "UpdateExpression": "ADD #tokens :tokens",
            "ExpressionAttributeNames": {"#tokens": "tokens"},
            "ExpressionAttributeValues": {":tokens": to_attr(tokens)},
        }
    }


def usage_add(app_id: str, now: datetime, model: str, charge: Charge) -> dict[str, Any]:
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
                ":tokens": to_attr(charge.counted_tokens),
                ":cost": to_attr(charge.billed_micro_usd),
                ":one": to_attr(1),
                ":day": to_attr(day),
                ":model": to_attr(model),
            },
        }
    }


def reservation_item(r: Reservation) -> dict[str, Any]:
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


def reservation_from(values: dict[str, Any]) -> Reservation:
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


def entry_from(user_id: str, values: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        entry_id=values["SK"].removeprefix("LEDGER#"),
        user_id=user_id,
        kind=values["kind"],
        amount_micro_usd=int(values["amount_micro_usd"]),
        created_at=datetime.fromisoformat(values["created_at"]),
        reason=values.get("reason", ""),
        request_id=values.get("request_id", ""),
    )
