"""Reserve, settle, release: every metered request holds its worst case before the upstream
call and pays its actual cost after it, exactly once, whatever happens in between.

    meter = billing.meter(payer_id=..., caller_id=..., window=..., request_id=...)
    cap = await meter.hold(model, prompt_tokens, requested_output)   # may raise 402
    ...call the upstream...
    await meter.settle(model, usage)      # or: await meter.release("why")

A request without max_tokens holds the model's output limit; when the balance cannot cover
that, it is served with max_tokens lowered to what the balance affords (`cap`), and refused
(402) only when that is nothing. Settling and releasing are shielded from cancellation: a
client that disconnects mid-stream is still billed for what the upstream produced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import anyio
import anyio.to_thread

from switchboard.adapters.aws.ledger import BalanceTooLow, DynamoLedgerRepository
from switchboard.domain.billing import (
    Reservation,
    charge_for,
    insufficient_credits,
    max_affordable_input,
    max_affordable_output,
    new_reservation_id,
    worst_case_output,
)
from switchboard.domain.catalog import ModelEntry, ModelType
from switchboard.domain.keys import utcnow

logger = logging.getLogger("switchboard.billing")


class Billing:
    def __init__(
        self,
        ledger: DynamoLedgerRepository,
        *,
        reservation_ttl_seconds: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ledger = ledger
        self._ttl = reservation_ttl_seconds
        self._now = now

    def meter(
        self,
        *,
        payer_id: str,
        caller_id: str,
        window: str,
        request_id: str,
        app_id: str | None = None,
        on_hold: Callable[[int], None] | None = None,
    ) -> Meter:
        """`on_hold(tokens)` is told the tokens a hold counted in the caller's rate window."""
        return Meter(self, payer_id, caller_id, window, request_id, app_id, on_hold)

    def sweep(self, limit: int = 100) -> int:
        """Release reservations older than RESERVATION_TTL_SECONDS (a crashed container's)."""
        released = 0
        now = self._now()
        for reservation in self.ledger.expired(int(now.timestamp()), limit):
            if self.ledger.release(reservation, now, "expired hold released by the sweeper"):
                logger.warning(
                    "released an expired reservation",
                    extra={"reservation_id": reservation.reservation_id,
                           "request_id": reservation.request_id},
                )  # fmt: skip
                released += 1
        return released

    def _reservation(
        self, meter: Meter, model: ModelEntry, amount: int, tokens: int
    ) -> Reservation:
        now = self._now()
        return Reservation(
            reservation_id=new_reservation_id(),
            payer_id=meter.payer_id,
            caller_id=meter.caller_id,
            window=meter.window,
            model=model.id,
            app_id=meter.app_id,
            amount_micro_usd=amount,
            tokens=tokens,
            request_id=meter.request_id,
            created_at=now,
            release_after=int(now.timestamp()) + self._ttl,
        )


class Meter:
    """One request's credit flow. Settle and release are idempotent."""

    def __init__(
        self,
        billing: Billing,
        payer_id: str,
        caller_id: str,
        window: str,
        request_id: str,
        app_id: str | None,
        on_hold: Callable[[int], None] | None = None,
    ) -> None:
        self._billing = billing
        self._on_hold = on_hold
        self.payer_id = payer_id
        self.caller_id = caller_id
        self.window = window
        self.request_id = request_id
        self.app_id = app_id
        self.reservation: Reservation | None = None
        self._done = False

    async def hold(
        self, model: ModelEntry, prompt_tokens: int, requested: int | None, choices: int = 1
    ) -> int | None:
        """Reserve the worst case: the prompt, and `requested` (or the model's output limit)
        for each of `choices` completions. Returns a lowered max_tokens when the balance only
        affords that (requests without max_tokens), else None. Raises 402 when it cannot."""
        cap = await anyio.to_thread.run_sync(self._hold, model, prompt_tokens, requested, choices)
        if self.reservation is not None and self._on_hold is not None:
            self._on_hold(self.reservation.tokens)
        return cap

    def _hold(
        self, model: ModelEntry, prompt: int, requested: int | None, choices: int
    ) -> int | None:
        chat = model.type is ModelType.CHAT
        per_choice = worst_case_output(model, requested) if chat else 0
        amount = model.cost_micro_usd(prompt, per_choice * choices)
        try:
            self._reserve(model, amount, prompt + per_choice * choices)
            return None
        except BalanceTooLow as low:
            available = low.available
        if not chat:
            affordable = max_affordable_input(model, available)
            raise insufficient_credits(model, amount, available, affordable, output=False)
        affordable = self._affordable_per_choice(model, prompt, available, per_choice, choices)
        if requested is None and affordable >= 1:
            try:
                total = affordable * choices
                self._reserve(model, model.cost_micro_usd(prompt, total), prompt + total)
                return affordable
            except BalanceTooLow as again:
                available = again.available
                affordable = self._affordable_per_choice(
                    model, prompt, available, per_choice, choices
                )
        raise insufficient_credits(model, amount, available, affordable, output=True)

    @staticmethod
    def _affordable_per_choice(
        model: ModelEntry, prompt: int, available: int, per_choice: int, choices: int
    ) -> int:
        """The largest max_tokens the balance pays for, for every choice (at most the hold's)."""
        return min(max_affordable_output(model, prompt, available) // choices, per_choice)

    def _reserve(self, model: ModelEntry, amount: int, tokens: int) -> None:
        reservation = self._billing._reservation(self, model, amount, tokens)
        self._billing.ledger.reserve(reservation)
        self.reservation = reservation

    async def settle(self, model: ModelEntry, prompt_tokens: int, completion_tokens: int) -> None:
        """Charge the actual cost and give back the rest (shielded from cancellation)."""
        if self.reservation is None or self._done:
            return
        self._done = True
        reservation = self.reservation
        charge = charge_for(model, reservation, prompt_tokens, completion_tokens)
        if charge.unbilled_micro_usd:
            logger.warning(
                "usage beyond the hold: the excess is not billed",
                extra={"request_id": reservation.request_id, "model": model.id,
                       "reserved_micro_usd": reservation.amount_micro_usd,
                       "cost_micro_usd": charge.cost_micro_usd,
                       "unbilled_micro_usd": charge.unbilled_micro_usd},
            )  # fmt: skip
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(
                    self._billing.ledger.settle, reservation, charge, self._billing._now()
                )
            except Exception:  # the answer is already out: keep the hold for the sweeper
                logger.exception(
                    "settlement failed; the sweeper will release the hold",
                    extra={"reservation_id": reservation.reservation_id},
                )

    async def release(self, reason: str) -> None:
        """Give the whole hold back (the upstream call failed). Shielded from cancellation."""
        if self.reservation is None or self._done:
            return
        self._done = True
        reservation = self.reservation
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(
                    self._billing.ledger.release, reservation, self._billing._now(), reason
                )
            except Exception:
                logger.exception(
                    "release failed; the sweeper will release the hold",
                    extra={"reservation_id": reservation.reservation_id},
                )
