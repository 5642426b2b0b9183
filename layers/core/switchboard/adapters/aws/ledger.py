"""DynamoLedgerRepository: balances, their append-only ledger, and credit holds.

    USER#<user_id> / ACCOUNT        balance_micro_usd, entry_count, open_holds,
                                    hold_<reservation_id> (one map per open hold),
                                    rate_window, rate_requests, rate_tokens (limits.py),
                                    GSI2PK = HOLDS#<shard>, GSI2SK = <release time>
    USER#<user_id> / LEDGER#<id>    an entry: top_up, reserve, settle, release, adjustment
    APP#<app_id> / USAGE#<day>#<m>  usage counters, added at settlement
    USER#<user_id> / USAGE#<day>#<app>#<m>  the payer's usage counters, added at settlement

Two writes per metered request (docs/data-model.md says why this shape):
- `admit` is ONE UpdateItem on the payer's account item: it counts the request in the
  caller's rate window (same item when the caller pays), checks the window's requests and
  tokens, holds the worst case (`balance >= hold`), and appends the reserve ledger entry
  as the hold's record on the item itself; the item's new counts come back for the
  X-RateLimit headers. `entry_count` counts that record as an entry, so the ledger (entry
  items plus open holds) sums to the balance at every moment.
- `settle` (or `release`) is ONE TransactWriteItems: the hold's record removed (only if
  still there, so nothing settles twice), the rest of the hold given back, the reserve
  entry written as an item of its own with the settle (or release) entry, the window's
  tokens corrected (while it is still that window), and usage counted (the app's and
  the payer's).
Balances move by `ADD` under conditions, never read-modify-write: concurrent requests
neither wait on each other nor overspend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from switchboard.adapters.aws import ledger_items as build
from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    Write,
    conditional_update,
    from_item,
    keys_due,
    transact,
    translated_errors,
)
from switchboard.adapters.aws.limits import (
    TOKENS,
    WINDOW,
    counted,
    counts_of,
    expected_fresh,
    window_update,
)
from switchboard.domain.accounts import LedgerEntry, new_entry_id
from switchboard.domain.billing import (
    MAX_OPEN_HOLDS,
    Admission,
    BalanceTooLow,
    Charge,
    Reservation,
)
from switchboard.domain.limits import WindowCounts, WindowLimits


class DynamoLedgerRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- reads -------------------------------------------------------------------------

    def balance(self, user_id: str) -> int:
        return self.statement(user_id)[0]

    def balance_and_count(self, user_id: str) -> tuple[int, int]:
        balance, count, _ = self.statement(user_id)
        return balance, count

    def entries(self, user_id: str) -> list[LedgerEntry]:
        return self.statement(user_id)[2]

    def statement(self, user_id: str) -> tuple[int, int, list[LedgerEntry]]:
        """The balance, its entry count and the entries (written ones, and open holds'): the
        account item read first, then the entry items. Two reads: a hold settled between
        them shows once (its written entry), beside a balance from before; a reader that
        needs them to agree reads again (services/audit.py)."""
        values = self._account(user_id)
        written = [build.entry_from(user_id, item) for item in self._query_ledger(user_id)]
        ids = {entry.entry_id for entry in written}
        held = [build.reserve_entry(r) for r in build.open_holds(user_id, values)]
        fresh = [entry for entry in held if entry.entry_id not in ids]
        entries = sorted(written + fresh, key=lambda entry: entry.entry_id)
        return int(values.get(build.BALANCE, 0)), int(values.get(build.ENTRY_COUNT, 0)), entries

    def user_ids(self) -> Iterator[str]:
        """Every user with an account (for `switchboard ledger check`): a filtered scan."""
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="SK = :account",
            ExpressionAttributeValues={":account": {"S": "ACCOUNT"}},
            ProjectionExpression="PK",
            ConsistentRead=True,
        )
        with translated_errors():
            for page in pages:
                for item in page.get("Items", []):
                    yield table.user_id_of(item["PK"])

    def accounts_due(self, now: int, limit: int = 100) -> list[str]:
        """Users whose account may hold an expired hold: the sweeper's index, every shard."""
        found: list[str] = []
        for shard in range(table.HOLD_SHARDS):
            items = keys_due(self._client, self._table, table.HOLDS_INDEX, f"HOLDS#{shard:02d}",
                             table.epoch_key(now), limit=limit, inclusive=False)  # fmt: skip
            found += [table.user_id_of(item["PK"]) for item in items]
        return found

    def holds(self, user_id: str) -> list[Reservation]:
        """The user's open holds, oldest first."""
        return build.open_holds(user_id, self._account(user_id))

    # --- writes ------------------------------------------------------------------------

    def credit(self, user_id: str, amount: int, *, kind: str, reason: str, now: datetime) -> None:
        """A top-up (positive) or adjustment (either sign). A debit may not go below zero."""
        entry = LedgerEntry(new_entry_id(now), user_id, kind, amount, now, reason)
        update = Update(table.account(user_id)).add(build.BALANCE, amount)
        update.add(build.ENTRY_COUNT, 1)
        if amount < 0:
            update.condition("{0} >= {needed}", build.BALANCE, needed=-amount)
        try:
            transact(
                self._client,
                self._table,
                [{"Update": update.request()}, build.ledger_put(entry, {})],
            )
        except Cancelled as cancelled:
            raise BalanceTooLow(int(cancelled.old(0).get(build.BALANCE, 0))) from None

    def admit(self, r: Reservation, limits: WindowLimits | None) -> Admission:
        """Hold `r` on its payer's account and, with `limits` (the caller pays), count the
        request and its tokens in the same item's rate window, if it has room: one write
        (two at the first request of a minute, when the window starts afresh)."""
        fresh = False
        for _ in range(3):  # expected the same window, found a new one; or the other way
            update = build.hold_added(Update(table.account(r.payer_id)), r)
            update.condition("attribute_not_exists({0}) OR {0} < {max}", build.OPEN_HOLDS,
                             max=MAX_OPEN_HOLDS)  # fmt: skip
            if limits is not None:
                window_update(update, r.window, r.tokens, limits, fresh=fresh)
            try:
                values = conditional_update(self._client, self._table, update)
            except ConditionFailed as refused:
                seen = _admission(
                    refused.old, counts_of(refused.old) if limits is not None else None
                )
                if table.hold_attribute(r.reservation_id) in refused.old:  # held already
                    return replace(seen, held=_held(r, refused.old))
                if seen.counts is None or expected_fresh(seen.counts, r.window) == fresh:
                    return seen
                fresh = not fresh
                continue
            counts = (
                counted(values, r.window, r.tokens, fresh=fresh) if limits is not None else None
            )
            return _admission(values, counts, admitted=True)
        raise RuntimeError("the rate window changed under three writes in a row")

    def settle(
        self, r: Reservation, charge: Charge, now: datetime, also: Sequence[Write] = ()
    ) -> bool:
        """Bill the charge, give back the rest of the hold, count usage, and write `also`
        (other items of this table: a job's answer, a batch's counters) in the same
        transaction. False if the hold was already settled or released."""
        refund = r.amount_micro_usd - charge.billed_micro_usd
        entry = LedgerEntry(
            new_entry_id(now), r.payer_id, "settle", refund, now,
            charge.description or f"{charge.prompt_tokens} prompt + "
            f"{charge.completion_tokens} completion tokens of {r.model}", r.request_id,
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
        usage = [build.usage_add(r.app_id, now, r.model, charge)] if r.app_id else []
        usage.append(build.user_usage_add(r, now, charge))  # the payer's: GET /v1/usage
        tokens = charge.counted_tokens - r.tokens
        return self._close(r, refund, entry, details, tokens, [*usage, *also])

    def release(
        self, reservation: Reservation, now: datetime, reason: str, also: Sequence[Write] = ()
    ) -> bool:
        """Give the whole hold back (a failed call, or the sweeper), writing `also` in the
        same transaction. False if already done."""
        r = reservation
        entry = LedgerEntry(
            new_entry_id(now), r.payer_id, "release", r.amount_micro_usd, now, reason,
            r.request_id,
        )  # fmt: skip
        details = {"reservation_id": r.reservation_id, "model": r.model}
        return self._close(r, r.amount_micro_usd, entry, details, -r.tokens, list(also))

    def retrack(self, user_id: str, holds: list[Reservation]) -> None:
        """After a sweep: the sweeper's index points at the earliest of `holds` (the ones
        still open), or leaves the account once it has none. A hold opened meanwhile is
        never missed: its release time is later than any seen, and removal is conditional."""
        update = Update(table.account(user_id))
        if holds:
            earliest = min(r.release_after for r in holds)
            update.set(build.HOLDS_SK, table.epoch_key(earliest))
            update.condition("attribute_exists({0})", build.HOLDS_PK)
        else:
            update.remove(build.HOLDS_PK).remove(build.HOLDS_SK)
            update.condition("attribute_not_exists({0}) OR {0} = {none}", build.OPEN_HOLDS,
                             none=0)  # fmt: skip
        with contextlib.suppress(ConditionFailed):  # a hold opened or closed meanwhile:
            conditional_update(self._client, self._table, update)  # the next sweep looks again

    # --- internals ---------------------------------------------------------------------

    def _close(
        self,
        r: Reservation,
        refund: int,
        entry: LedgerEntry,
        details: dict[str, Any],
        token_change: int,
        also: list[Write],
    ) -> bool:
        """Close the hold in one transaction; the window's tokens are corrected only while
        the caller's window is still the hold's (a later window owes it nothing)."""
        for correct_window in (bool(token_change), False):
            account = build.hold_closed(Update(table.account(r.payer_id)), r, refund)
            items: list[Update | dict[str, Any]] = [
                account,
                build.ledger_put(build.reserve_entry(r), {"reservation_id": r.reservation_id,
                                                          "model": r.model}),
                build.ledger_put(entry, details),
            ]  # fmt: skip
            if correct_window:
                window = account if r.same_payer else Update(table.account(r.caller_id))
                window.add(TOKENS, token_change).condition("{0} = {w}", WINDOW, w=r.window)
                if not r.same_payer:
                    items.append(window)
            items += also
            try:
                transact(self._client, self._table, items)
                return True
            except Cancelled as cancelled:
                hold = table.hold_attribute(r.reservation_id)
                if cancelled.failed(0) and hold not in cancelled.old(0):
                    return False  # settled or released already
                if not correct_window:
                    raise
        return False  # pragma: no cover (the loop returns or raises)

    def _account(self, user_id: str) -> dict[str, Any]:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.account(user_id), ConsistentRead=True
            ).get("Item")
        return from_item(item) if item else {}

    def _query_ledger(self, user_id: str) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :ledger)",
            ExpressionAttributeValues={
                ":pk": {"S": table.user_pk(user_id)},
                ":ledger": {"S": table.LEDGER_PREFIX},
            },
            ConsistentRead=True,
        )
        with translated_errors():
            for page in pages:
                yield from (from_item(item) for item in page.get("Items", []))


def _held(r: Reservation, values: dict[str, Any]) -> Reservation:
    """The open hold of `r`'s id, as its account item records it."""
    attribute = table.hold_attribute(r.reservation_id)
    return build.reservation_from(r.payer_id, attribute, values[attribute])


def _admission(
    values: dict[str, Any], counts: WindowCounts | None, *, admitted: bool = False
) -> Admission:
    return Admission(
        admitted, counts, int(values.get(build.BALANCE, 0)), int(values.get(build.OPEN_HOLDS, 0))
    )
