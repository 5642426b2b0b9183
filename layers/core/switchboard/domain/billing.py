"""Credit rules: what a request may cost at worst, what a balance affords, what is charged.

A request's cost is ceil((prompt_tokens x input price + completion_tokens x output price)
/ 1,000,000) micro-USD, prices being micro-USD per million tokens (ModelEntry.cost_micro_usd).
Before the upstream call the worst case is reserved; afterwards the actual cost is settled
and the rest released.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from switchboard.domain.catalog import PPM, ModelEntry, ModelType
from switchboard.domain.limits import WindowCounts
from switchboard.domain.money import format_usd
from switchboard.errors import InsufficientCreditsError

# Without max_tokens and without a catalog output limit, this many output tokens are held.
FALLBACK_OUTPUT_TOKENS = 4096
# A payer's requests held at once, at most (each hold is recorded on the payer's account).
MAX_OPEN_HOLDS = 256


@dataclass(frozen=True, slots=True)
class Reservation:
    """Credits held for one request, and the tokens counted for it in a rate window."""

    reservation_id: str
    payer_id: str  # whose balance is held: the caller, or the owner of the app called
    caller_id: str  # whose rate window counts the tokens
    window: str  # that rate window's id (yyyymmddHHMM)
    model: str
    app_id: str | None
    amount_micro_usd: int
    tokens: int
    request_id: str
    created_at: datetime
    release_after: int  # epoch seconds; after it the sweeper releases the reservation
    entry_id: str  # the id of the ledger entry that records the hold

    @property
    def same_payer(self) -> bool:
        """The caller pays (not an app's owner): hold and rate window are one account's."""
        return self.payer_id == self.caller_id


@dataclass(frozen=True, slots=True)
class Charge:
    """What one served request costs, and what its payer is charged for it.

    `cost_micro_usd` is the usage at the catalog's prices; `billed_micro_usd` is the cost
    but never more than the hold (the most the payer agreed to). Whatever lies beyond the
    hold, an upstream ignoring max_tokens or claiming absurd usage, is the platform's loss
    (`unbilled_micro_usd`), and it counts in no rate window either: `counted_tokens`."""

    prompt_tokens: int
    completion_tokens: int
    cost_micro_usd: int
    billed_micro_usd: int
    counted_tokens: int
    description: str | None = None  # what was served, when it is not tokens (a video)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def unbilled_micro_usd(self) -> int:
        return self.cost_micro_usd - self.billed_micro_usd


@dataclass(frozen=True, slots=True)
class Admission:
    """What admitting a request found: the window's counts and the balance after it when
    `admitted`, else what the refusing condition saw (the service judges why)."""

    admitted: bool
    counts: WindowCounts | None  # None: the window is not on this item (another caller's)
    balance: int
    open_holds: int
    held: Reservation | None = None  # refused because a hold of the same id is open: it


class BalanceTooLow(Exception):
    """A balance could not cover an amount; `available` is what it held then."""

    def __init__(self, available: int) -> None:
        super().__init__(available)
        self.available = available


def cost_usd(charges: Iterable[Charge | None]) -> str:
    """What a request's ledger charged, as `usage.cost_usd` shows it: the billed amounts of
    its charges (every round of a tool loop, every priced tool), a six-decimal USD string."""
    return format_usd(sum(charge.billed_micro_usd for charge in charges if charge is not None))


def new_reservation_id() -> str:
    return "rsv_" + secrets.token_hex(12)


def reservation_id_for(work: str) -> str:
    """The one reservation id of a piece of work done at least once (a batch's line): a
    second delivery finds the first one's hold open instead of holding again."""
    return "rsv_" + hashlib.sha256(work.encode("utf-8")).hexdigest()[:24]


def adopted_cap(
    model: ModelEntry, prompt: int, requested: int | None, choices: int, held: Reservation
) -> int | None:
    """The lowered max_tokens an open hold was admitted with (None: the worst case), for a
    delivery that finds the hold of its work already open and carries on with it."""
    full = worst_case(model, prompt, requested, choices)
    if model.type is not ModelType.CHAT or held.tokens >= full.tokens:
        return None
    return max(1, (held.tokens - prompt) // choices)


def charge_for(
    model: ModelEntry, reservation: Reservation, prompt_tokens: int, completion_tokens: int
) -> Charge:
    """The charge for a settled request: its cost, billed up to the hold and never beyond.
    Token counts are the provider's (checked non-negative integers, see completions.py)."""
    cost = model.cost_micro_usd(prompt_tokens, completion_tokens)
    held = reservation.amount_micro_usd
    if cost <= held:
        tokens = prompt_tokens + completion_tokens
        return Charge(prompt_tokens, completion_tokens, cost, cost, tokens)
    return Charge(prompt_tokens, completion_tokens, cost, held, reservation.tokens)


def fixed_charge(reservation: Reservation, cost: int, description: str) -> Charge:
    """The charge of work priced up front (a video job): its cost, never beyond the hold;
    no tokens."""
    return Charge(0, 0, cost, min(cost, reservation.amount_micro_usd), 0, description)


def worst_case_output(model: ModelEntry, requested: int | None) -> int:
    """Output tokens to hold: max_tokens if given, else the model's output limit."""
    if requested is not None:
        return requested
    return model.max_output_tokens or FALLBACK_OUTPUT_TOKENS


@dataclass(frozen=True, slots=True)
class Hold:
    """What to hold for a request: an amount, the tokens it may use, and, when a balance
    only affords less than the model's output limit, the lowered max_tokens (`cap`)."""

    amount_micro_usd: int
    tokens: int
    cap: int | None = None


def worst_case(model: ModelEntry, prompt: int, requested: int | None, choices: int) -> Hold:
    """The worst case: the prompt, and `requested` (or the model's output limit) for each of
    `choices` completions; embeddings are their input alone."""
    per_choice = worst_case_output(model, requested) if model.type is ModelType.CHAT else 0
    output = per_choice * choices
    return Hold(model.cost_micro_usd(prompt, output), prompt + output)


def affordable_hold(
    model: ModelEntry, prompt: int, requested: int | None, choices: int, available: int
) -> Hold:
    """The partial-afford rule, for a balance of `available` that cannot cover the worst
    case: a chat request without max_tokens is served with max_tokens lowered to what the
    balance affords for every choice (at least 1); anything else is refused with the
    402's figures (InsufficientCreditsError)."""
    affordable = _affordable_per_choice(model, prompt, requested, choices, available)
    if model.type is ModelType.CHAT and requested is None and affordable >= 1:
        output = affordable * choices
        return Hold(model.cost_micro_usd(prompt, output), prompt + output, cap=affordable)
    raise unaffordable(model, prompt, requested, choices, available)


def unaffordable(
    model: ModelEntry, prompt: int, requested: int | None, choices: int, available: int
) -> InsufficientCreditsError:
    """The 402 of a request that `available` micro-USD cannot pay for."""
    full = worst_case(model, prompt, requested, choices)
    affordable = _affordable_per_choice(model, prompt, requested, choices, available)
    chat = model.type is ModelType.CHAT
    return insufficient_credits(model, full.amount_micro_usd, available, affordable, output=chat)


def _affordable_per_choice(
    model: ModelEntry, prompt: int, requested: int | None, choices: int, available: int
) -> int:
    """Chat: the largest max_tokens the balance pays for, for every choice (at most the
    worst case's). Embeddings: the input tokens it pays for."""
    if model.type is not ModelType.CHAT:
        return max_affordable_input(model, available)
    per_choice = worst_case_output(model, requested)
    return min(max_affordable_output(model, prompt, available) // choices, per_choice)


def max_affordable_output(model: ModelEntry, prompt_tokens: int, available: int) -> int:
    """The most completion tokens `available` micro-USD pays for after the prompt (>= 0).

    cost(p, n) <= available  <=>  (p x in + n x out) x scale <= available x 1e12 (the
    ceiling is an integer; scale is what a discount leaves of the prices, in parts per
    million); a free output price makes any number affordable, capped by the caller."""
    scale = model.price_scale
    budget = available * 1_000_000 * PPM - prompt_tokens * model.input_micro_usd_per_mtok * scale
    if budget < 0:
        return 0
    if model.output_micro_usd_per_mtok == 0:
        return 10**9
    return budget // (model.output_micro_usd_per_mtok * scale)


def max_affordable_input(model: ModelEntry, available: int) -> int:
    if model.input_micro_usd_per_mtok == 0:
        return 10**9
    budget = max(available, 0) * 1_000_000 * PPM
    return budget // (model.input_micro_usd_per_mtok * model.price_scale)


def insufficient_credits(
    model: ModelEntry, required: int, available: int, affordable_tokens: int, *, output: bool
) -> InsufficientCreditsError:
    what = "completion tokens" if output else "input tokens"
    return InsufficientCreditsError(
        f"Insufficient credits: this request to '{model.id}' may cost up to "
        f"${format_usd(required)} but your available balance is ${format_usd(available)}. "
        + (
            f"It affords at most {affordable_tokens} {what}; lower max_tokens or add credits."
            if output and affordable_tokens > 0
            else "Add credits to continue."
        ),
        required_usd=format_usd(required),
        available_usd=format_usd(available),
        max_affordable_tokens=affordable_tokens,
    )
