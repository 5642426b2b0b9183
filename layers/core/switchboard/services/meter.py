"""Meter: one metered request's credit flow (services/billing.py says how admission,
settlement and release work; Billing makes meters). Settle and release are idempotent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio

from switchboard.domain.billing import (
    MAX_OPEN_HOLDS,
    Admission,
    Charge,
    Hold,
    Reservation,
    adopted_cap,
    affordable_hold,
    charge_for,
    fixed_charge,
    unaffordable,
    worst_case,
)
from switchboard.domain.catalog import ModelEntry
from switchboard.domain.limits import (
    RateLimits,
    RateState,
    Refusal,
    WindowLimits,
    refusal,
    window_of,
)
from switchboard.domain.traces import Usage as TraceUsage
from switchboard.errors import InsufficientCreditsError
from switchboard.services import threads

if TYPE_CHECKING:
    from switchboard.domain.traces import TraceContext
    from switchboard.services.billing import Billing
    from switchboard.services.tracing import Tracing

logger = logging.getLogger("switchboard.billing")
ADMISSION_ATTEMPTS = 3  # the worst case, then what the balance affords, once more if it moved


class Meter:
    """One request's credit flow. Settle and release are idempotent."""

    def __init__(
        self,
        billing: Billing,
        payer_id: str,
        caller_id: str,
        limits: RateLimits,
        request_id: str,
        app_id: str | None,
        hold_seconds: int | None,
    ) -> None:
        self._billing = billing
        self.hold_seconds = hold_seconds
        self.payer_id = payer_id
        self.caller_id = caller_id
        self.limits = limits
        self.request_id = request_id
        self.app_id = app_id
        self.reservation: Reservation | None = None
        self.rate: RateState | None = None  # the caller's window, once this request counted
        self.charge: Charge | None = None  # what was billed, once settled
        self.reservation_id: str | None = None  # a fixed id for the hold (Billing.meter)
        self._done = False
        # The span this meter's call records (its writes ride on the settlement), if traced.
        self.trace: TraceContext | None = None
        self.tracing: Tracing | None = None

    def traced(self, tracing: Tracing | None, trace: TraceContext | None) -> Meter:
        """Record this meter's call as `trace`'s span, in its settlement's transaction."""
        self.tracing, self.trace = tracing, trace
        return self

    def start_trace(self, name: str, span_type: str, **fields: Any) -> Meter:
        """Trace this meter's call as a new trace's request span (workers: a queued
        request, a batch line, a video job), if the platform traces."""
        tracing = self._billing.tracing
        if tracing is not None:
            fields.setdefault("app_id", self.app_id)
            trace = tracing.start(name=name, span_type=span_type, user_id=self.caller_id,
                                  payer_id=self.payer_id, **fields)  # fmt: skip
            self.traced(tracing, trace)
        return self

    async def store_bodies(self) -> None:
        """Write the trace's large bodies to S3 (a worker's, once its work is recorded)."""
        if self.trace is not None and self.tracing is not None and self.trace.bodies:
            await self.tracing.store_bodies(self.trace.bodies)

    def another(
        self, name: str = "call", span_type: str = "llm", *, continues: bool = False
    ) -> Meter:
        """A fresh meter for the same request's next metered call (a tool loop's next round,
        a priced tool): the same payer, caller, limits, app and request id; traced as a
        child span `name` of this meter's trace (`continues`: a later round of the
        request's own call, whose end the request's counted latency moves to)."""
        meter = Meter(
            self._billing, self.payer_id, self.caller_id, self.limits,
            self.request_id, self.app_id, self.hold_seconds,
        )  # fmt: skip
        if self.trace is not None and self.tracing is not None:
            child = self.tracing.child(self.trace, name, span_type, continues=continues)
            meter.traced(self.tracing, child)
        return meter

    def capture(self, input: Any = None, output: Any = None) -> None:
        """What the trace keeps as this call's input and output (unless capture is off)."""
        if self.trace is not None:
            self.trace.record(input, output)

    def first_token(self) -> None:
        if self.trace is not None and self.tracing is not None:
            self.trace.first_token(self.tracing.now())

    def quote(self, model: ModelEntry, prompt_tokens: int, completion_tokens: int) -> Charge | None:
        """What `settle` with these counts will charge (None without an open hold), known
        before the settlement so that the answer can say it (usage.cost_usd)."""
        if self.reservation is None or self._done:
            return None
        return charge_for(model, self.reservation, prompt_tokens, completion_tokens)

    @staticmethod
    def window_at(now: datetime) -> str:
        return window_of(now.timestamp())[0]

    async def admit(
        self, model: ModelEntry, prompt_tokens: int, requested: int | None, choices: int = 1
    ) -> int | None:
        """Count the request and hold its worst case: the prompt, and `requested` (or the
        model's output limit) for each of `choices` completions. Returns a lowered max_tokens
        when the balance only affords that (requests without max_tokens), else None. Raises
        429 when the window is full and 402 when the balance cannot pay. With a fixed
        reservation id whose hold is open already (an earlier delivery of the same work),
        that hold is this request's: nothing more is held or counted."""
        return await threads.blocking(self._admit, model, prompt_tokens, requested, choices)

    def _admit(
        self, model: ModelEntry, prompt: int, requested: int | None, choices: int
    ) -> int | None:
        hold = worst_case(model, prompt, requested, choices)
        for attempt in range(ADMISSION_ATTEMPTS):
            reservation = self._billing.reservation(self, model, hold)
            admission = self._admit_once(reservation)
            if admission.admitted:
                self.reservation = reservation
                self._traced_model(model)
                return hold.cap
            if admission.held is not None:  # this work's hold, taken by an earlier delivery
                self.reservation = admission.held
                self._traced_model(model)
                return adopted_cap(model, prompt, requested, choices, admission.held)
            reason = self._refusal(admission, reservation.window)
            if reason is not None:
                self._refuse(admission, reason)
            if attempt + 1 < ADMISSION_ATTEMPTS:  # the balance refused: what does it afford?
                try:
                    hold = affordable_hold(model, prompt, requested, choices, admission.balance)
                    continue
                except InsufficientCreditsError:
                    self._count_unpaid()
                    raise
        self._count_unpaid()
        raise unaffordable(model, prompt, requested, choices, admission.balance)

    async def hold(
        self, model: ModelEntry, amount_micro_usd: int, refused: Callable[[int], Exception]
    ) -> None:
        """Count the request and hold a fixed price (work priced up front: a video job).
        429 when the window is full; `refused(balance)` is raised when the balance cannot
        pay it (a price is not lowered to what the balance affords)."""
        await threads.blocking(self._hold, model, amount_micro_usd, refused)

    def _hold(self, model: ModelEntry, amount: int, refused: Callable[[int], Exception]) -> None:
        reservation = self._billing.reservation(self, model, Hold(amount, 0))
        admission = self._admit_once(reservation)
        if admission.admitted or admission.held is not None:
            self.reservation = admission.held or reservation
            self._traced_model(model)
            return
        reason = self._refusal(admission, reservation.window)
        if reason is not None:
            self._refuse(admission, reason)
        self._count_unpaid()
        raise refused(admission.balance)

    def _traced_model(self, model: ModelEntry) -> None:
        if self.trace is not None:
            self.trace.provider = model.provider.name

    def _admit_once(self, r: Reservation) -> Admission:
        ledger, limiter = self._billing.ledger, self._billing.limiter
        if r.same_payer:
            admission = ledger.admit(r, WindowLimits.of(self.limits, tokens=True))
            if admission.admitted and admission.counts is not None:
                moment = r.created_at.timestamp()
                self.rate = RateState.of(admission.counts, self.limits, now=moment, tokens=True)
            return admission
        if self.rate is None:  # the caller's own window, once, before the payer's hold
            self.rate = limiter.count_user(r.caller_id, self.limits, tokens=True)
            self.rate.check()
        admission = ledger.admit(r, None)
        if admission.admitted:
            self.rate = limiter.add_tokens(self.rate, r.caller_id, r.tokens)
        return admission

    def _refusal(self, admission: Admission, window: str) -> Refusal | None:
        """Why the window or the payer's holds refused the request; None: the balance."""
        if admission.counts is not None:
            reason = refusal(admission.counts.of(window), self.limits, tokens=True)
            if reason is not None:
                return reason
        if admission.open_holds >= MAX_OPEN_HOLDS:
            return Refusal.IN_FLIGHT
        return None

    def _refuse(self, admission: Admission, reason: Refusal) -> None:
        """Raise the 429 of a request the window or the payer's holds refused, counted
        where the policy says a refused request counts."""
        if admission.counts is not None:  # the caller pays: the refusing item was theirs
            limiter = self._billing.limiter
            self.rate = limiter.refused(self.caller_id, self.limits, admission.counts, reason)
        elif self.rate is not None:  # the caller's window was counted on its own already
            self.rate = replace(self.rate, refused=reason)
        if self.rate is not None:
            self.rate.check()

    def _count_unpaid(self) -> None:
        """Count a request the balance refused (402), unless it already counted: a full
        window found now wins, and is the 429."""
        if self.rate is None:
            self.rate = self._billing.limiter.count_user(self.caller_id, self.limits, tokens=True)
        self.rate.check()

    async def settle(
        self,
        model: ModelEntry,
        prompt_tokens: int,
        completion_tokens: int,
        also: Sequence[Any] = (),
    ) -> Charge | None:
        """Charge the actual cost (never beyond the hold) and give back the rest, writing
        `also` in the same transaction (Ledger.settle); shielded from cancellation. The
        charge, or None if there was no open hold to settle."""
        if self.reservation is None or self._done:
            return None
        charge = charge_for(model, self.reservation, prompt_tokens, completion_tokens)
        if charge.unbilled_micro_usd:
            logger.warning(
                "usage beyond the hold: the excess is not billed",
                extra={"request_id": self.reservation.request_id, "model": model.id,
                       "reserved_micro_usd": self.reservation.amount_micro_usd,
                       "cost_micro_usd": charge.cost_micro_usd,
                       "unbilled_micro_usd": charge.unbilled_micro_usd},
            )  # fmt: skip
        return await self._settle(charge, also)

    async def settle_fixed(
        self, cost_micro_usd: int, description: str, also: Sequence[Any] = ()
    ) -> Charge | None:
        """Settle work priced up front (a video job, held by `hold`): charge `cost` (never
        beyond the hold), give back the rest, write `also` in the same transaction."""
        if self.reservation is None or self._done:
            return None
        return await self._settle(fixed_charge(self.reservation, cost_micro_usd, description), also)

    async def _settle(self, charge: Charge, also: Sequence[Any]) -> Charge | None:
        assert self.reservation is not None
        self._done = True
        reservation = self.reservation
        ledger, now = self._billing.ledger, self._billing._now()
        usage = TraceUsage(charge.prompt_tokens, charge.completion_tokens)

        def traced() -> list[Any]:
            return self._trace_writes(usage, charge.billed_micro_usd, None)

        with anyio.CancelScope(shield=True):
            try:
                settled = await threads.blocking(
                    lambda: self._with_trace(
                        traced, lambda t: ledger.settle(reservation, charge, now, [*also, *t])
                    )
                )
            except Exception:  # the answer is already out: keep the hold for the sweeper
                logger.exception(
                    "settlement failed; the sweeper will release the hold",
                    extra={"reservation_id": reservation.reservation_id},
                )
                return None
        self.charge = charge if settled else None
        return self.charge

    async def release(self, reason: str, also: Sequence[Any] = ()) -> bool:
        """Give the whole hold back (the upstream call failed), writing `also` in the same
        transaction. Shielded from cancellation. Whether this release closed the hold (and
        wrote `also`): False when it was closed already, or the write failed."""
        if self.reservation is None or self._done:
            return False
        self._done = True
        reservation = self.reservation
        ledger, now = self._billing.ledger, self._billing._now()
        released = False
        error = {"type": "released", "message": reason}

        def traced() -> list[Any]:
            return self._trace_writes(None, 0, error)

        with anyio.CancelScope(shield=True):
            try:
                released = await threads.blocking(
                    lambda: self._with_trace(
                        traced, lambda t: ledger.release(reservation, now, reason, [*also, *t])
                    )
                )
            except Exception:
                logger.exception(
                    "release failed; the sweeper will release the hold",
                    extra={"reservation_id": reservation.reservation_id},
                )
        return released

    def _trace_writes(
        self, usage: TraceUsage | None, cost: int, error: dict[str, str] | None
    ) -> list[Any]:
        """This call's span writes for the closing transaction ([] untraced, or if they
        cannot be built: a trace never fails a settlement)."""
        if self.trace is None or self.tracing is None or self.reservation is None:
            return []
        try:
            return self.tracing.writes(self.trace, model=self.reservation.model, usage=usage,
                                       cost_micro_usd=cost, error=error)  # fmt: skip
        except Exception:
            logger.exception("trace writes could not be built")
            return []

    def _with_trace(
        self, traced: Callable[[], list[Any]], close: Callable[[list[Any]], bool]
    ) -> bool:
        """Close the hold with the trace's writes. If that transaction fails: when they were
        the trace's first (its summary put whole, on the condition that none is there), once
        more with them made again (a span of the same trace came in meanwhile: the summary
        is updated now); else without them (the money matters more than the trace: the
        loss is logged)."""
        trace = self.trace
        if trace is None:
            return close(traced())
        counted, again = trace.counted[:], not trace.written
        while writes := traced():
            try:
                return close(writes)
            except Exception:
                # The span moved no counted latency, and its body has no item to mark.
                trace.counted[:] = counted
                trace.bodies[:] = [b for b in trace.bodies if b.span_id != trace.span_id]
                if again:
                    again = False
                    continue
                logger.exception("closing with the trace failed; closing without it",
                                 extra={"request_id": self.request_id})  # fmt: skip
                break
        return close([])
