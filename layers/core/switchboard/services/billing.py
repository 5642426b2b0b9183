"""Admit, settle, release: every metered request holds its worst case before the upstream
call and pays its actual cost after it, exactly once, whatever happens in between.

    meter = billing.meter(payer_id=..., caller_id=..., limits=..., request_id=...)
    cap = await meter.admit(model, prompt_tokens, requested)    # may raise 402 or 429
    ...call the upstream...
    await meter.settle(model, prompt_tokens, completion_tokens)  # or: await meter.release("why")

Admission is one write (the Ledger port's `admit`): it counts the request in the caller's
rate window, checks the window's requests and tokens, and holds the worst case. When the
caller is not the payer (an admin calling someone's app), the caller's window is counted
first, on its own account. A refused admission is judged here by domain/limits.py (429)
and domain/billing.py (402, or a lowered max_tokens for a request without one), and counted
where the policy says refused requests count. `meter.rate` is the caller's window after
it all, for the X-RateLimit headers. Settling and releasing are shielded from
cancellation: a client that disconnects mid-stream is still billed for what was produced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from switchboard.domain.accounts import new_entry_id
from switchboard.domain.billing import (
    Hold,
    Reservation,
    new_reservation_id,
)
from switchboard.domain.catalog import ModelEntry
from switchboard.domain.clock import utcnow
from switchboard.domain.limits import (
    RateLimits,
)
from switchboard.services.limits import RateLimiter
from switchboard.services.meter import Meter

if TYPE_CHECKING:  # annotations only: the ports stay off the cold start
    from switchboard.ports import Ledger
    from switchboard.services.tracing import Tracing

logger = logging.getLogger("switchboard.billing")
SWEEP_ROUNDS = 20  # each round releases up to 100 holds per index shard


class Billing:
    def __init__(
        self,
        ledger: Ledger,
        limiter: RateLimiter,
        *,
        reservation_ttl_seconds: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ledger = ledger
        self.limiter = limiter
        self._ttl = reservation_ttl_seconds
        self._now = now
        self.tracing: Tracing | None = None  # workers start their calls' traces with it

    def meter(
        self,
        *,
        payer_id: str,
        caller_id: str,
        limits: RateLimits,
        request_id: str,
        app_id: str | None = None,
        hold_seconds: int | None = None,
        reservation_id: str | None = None,
    ) -> Meter:
        """`limits` are the caller's (their window counts the request and its tokens).
        `hold_seconds`: how long the hold may stay open before the sweeper releases it, when
        a worker settles it later than any request lasts (RESERVATION_TTL_SECONDS).
        `reservation_id`: the hold's id, for work that may be delivered twice (a batch's
        line, domain/billing.reservation_id_for): a delivery that finds the hold of that id
        open carries on with it instead of holding again (see Meter.admit)."""
        meter = Meter(self, payer_id, caller_id, limits, request_id, app_id, hold_seconds)
        meter.reservation_id = reservation_id
        return meter

    def meter_of(self, reservation: Reservation) -> Meter:
        """The meter of a hold admitted elsewhere (a queued request's, settled by a worker):
        it settles or releases; it admits nothing more."""
        closed = RateLimits(0, 0)  # no admission through this meter
        meter = Meter(
            self, reservation.payer_id, reservation.caller_id, closed,
            reservation.request_id, reservation.app_id, None,
        )  # fmt: skip
        meter.reservation = reservation
        return meter

    def sweep(self, time_left_ms: Callable[[], int], safety_ms: int = 10_000) -> int:
        """Release the holds a crashed container left behind (older than their release
        time), round after round while there are some and time is left."""
        released = 0
        for _ in range(SWEEP_ROUNDS):
            count = self.sweep_once()
            released += count
            if count == 0 or time_left_ms() < safety_ms:
                break
        return released

    def sweep_once(self, limit: int = 100) -> int:
        now = self._now()
        moment = int(now.timestamp())
        released = 0
        for user_id in self.ledger.accounts_due(moment, limit):
            still_open = []
            for hold in self.ledger.holds(user_id):
                if hold.release_after > moment:
                    still_open.append(hold)
                elif self.ledger.release(hold, now, "expired hold released by the sweeper"):
                    logger.warning(
                        "released an expired hold",
                        extra={"reservation_id": hold.reservation_id,
                               "request_id": hold.request_id},
                    )  # fmt: skip
                    released += 1
            self.ledger.retrack(user_id, still_open)
        return released

    def reservation(self, meter: Meter, model: ModelEntry, hold: Hold) -> Reservation:
        now = self._now()
        return Reservation(
            reservation_id=meter.reservation_id or new_reservation_id(),
            payer_id=meter.payer_id,
            caller_id=meter.caller_id,
            window=meter.window_at(now),
            model=model.id,
            app_id=meter.app_id,
            amount_micro_usd=hold.amount_micro_usd,
            tokens=hold.tokens,
            request_id=meter.request_id,
            created_at=now,
            release_after=int(now.timestamp()) + (meter.hold_seconds or self._ttl),
            entry_id=new_entry_id(now),
        )
