"""The items and attributes behind DynamoLedgerRepository (ledger.py): ledger entries, the
record of an open hold on its payer's account item, and app usage counters. Plain values,
converted to DynamoDB's attribute format by dynamo.to_item; keys from table.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import Update, to_item
from switchboard.domain.accounts import LedgerEntry
from switchboard.domain.billing import Charge, Reservation

BALANCE, ENTRY_COUNT, OPEN_HOLDS = "balance_micro_usd", "entry_count", "open_holds"
HOLDS_PK, HOLDS_SK = "GSI2PK", "GSI2SK"  # the sweeper's index: accounts with open holds


def ledger_put(entry: LedgerEntry, details: dict[str, Any]) -> dict[str, Any]:
    item = ledger_item(entry) | details
    return {"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}}


def ledger_item(entry: LedgerEntry) -> dict[str, Any]:
    """A ledger entry as stored (plain values); settlements add their details."""
    return {
        **table.plain_key(table.ledger_entry(entry.user_id, entry.entry_id)),
        "type": "ledger",
        "kind": entry.kind,
        "amount_micro_usd": entry.amount_micro_usd,
        "reason": entry.reason,
        "request_id": entry.request_id or None,
        "created_at": entry.created_at.isoformat(),
    }


def reserve_entry(r: Reservation) -> LedgerEntry:
    """The entry that records a hold: kept on the account item while the hold is open,
    written as an item of its own when the hold is settled or released."""
    return LedgerEntry(
        r.entry_id, r.payer_id, "reserve", -r.amount_micro_usd, r.created_at,
        f"hold for {r.model}", r.request_id,
    )  # fmt: skip


def hold_record(r: Reservation) -> dict[str, Any]:
    """An open hold, as an attribute of its payer's account item (short names: the item
    holds every open hold of its payer, and each write is billed by the item's size)."""
    return {
        "amount": r.amount_micro_usd,
        "tokens": r.tokens,
        "caller": r.caller_id,
        "window": r.window,
        "model": r.model,
        "app": r.app_id,
        "request": r.request_id,
        "created": r.created_at.isoformat(),
        "entry": r.entry_id,
        "release_after": r.release_after,
    }


def reservation_from(payer_id: str, attribute: str, record: dict[str, Any]) -> Reservation:
    return Reservation(
        reservation_id=attribute.removeprefix(table.HOLD_PREFIX),
        payer_id=payer_id,
        caller_id=record["caller"],
        window=record["window"],
        model=record["model"],
        app_id=record.get("app"),
        amount_micro_usd=int(record["amount"]),
        tokens=int(record.get("tokens", 0)),
        request_id=record.get("request", ""),
        created_at=datetime.fromisoformat(record["created"]),
        release_after=int(record["release_after"]),
        entry_id=record["entry"],
    )


def open_holds(payer_id: str, values: dict[str, Any]) -> list[Reservation]:
    """The holds recorded on an account item, oldest first."""
    holds = [
        reservation_from(payer_id, name, record)
        for name, record in values.items()
        if name.startswith(table.HOLD_PREFIX)
    ]
    return sorted(holds, key=lambda r: r.entry_id)


def hold_added(update: Update, r: Reservation) -> Update:
    """Hold the amount on the payer's account (if the balance covers it) and record it;
    the sweeper's index finds the account from the first open hold's release time on."""
    attribute = table.hold_attribute(r.reservation_id)
    update.add(BALANCE, -r.amount_micro_usd).add(ENTRY_COUNT, 1).add(OPEN_HOLDS, 1)
    update.set(attribute, hold_record(r))
    update.set(HOLDS_PK, table.holds_shard(r.payer_id), if_absent=True)
    update.set(HOLDS_SK, table.epoch_key(r.release_after), if_absent=True)
    update.condition("attribute_not_exists({0})", attribute)
    return update.condition("{0} >= {needed}", BALANCE, needed=r.amount_micro_usd)


def hold_closed(update: Update, r: Reservation, refund: int) -> Update:
    """Close an open hold (only once: the record must still be there), giving `refund` of
    it back, and counting the one ledger entry that closes it."""
    attribute = table.hold_attribute(r.reservation_id)
    update.remove(attribute).add(BALANCE, refund).add(ENTRY_COUNT, 1).add(OPEN_HOLDS, -1)
    return update.condition("attribute_exists({0})", attribute)


def usage_add(app_id: str, now: datetime, model: str, charge: Charge) -> Update:
    day = now.astimezone(UTC).strftime("%Y-%m-%d")
    update = Update(table.app_usage(app_id, day, model))
    update.add("tokens", charge.counted_tokens).add("cost_micro_usd", charge.billed_micro_usd)
    return update.add("requests", 1).set("day", day).set("model", model)


def user_usage_add(r: Reservation, now: datetime, charge: Charge) -> Update:
    """The payer's counter of this day, app and model (GET /v1/usage reads them)."""
    day = now.astimezone(UTC).strftime("%Y-%m-%d")
    update = Update(table.user_usage(r.payer_id, day, r.app_id, r.model))
    update.add("tokens", charge.counted_tokens).add("cost_micro_usd", charge.billed_micro_usd)
    update.add("prompt_tokens", charge.prompt_tokens)
    update.add("completion_tokens", charge.completion_tokens).add("requests", 1)
    return update.set("day", day).set("model", r.model).set("app_id", r.app_id or table.NO_APP)


def entry_from(user_id: str, values: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        entry_id=values["SK"].removeprefix(table.LEDGER_PREFIX),
        user_id=user_id,
        kind=values["kind"],
        amount_micro_usd=int(values["amount_micro_usd"]),
        created_at=datetime.fromisoformat(values["created_at"]),
        reason=values.get("reason", ""),
        request_id=values.get("request_id", ""),
    )
