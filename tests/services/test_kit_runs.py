"""Kit runs over upstreams that misbehave, on the emulator: untrusted usage is estimated and
billed at the kit's price, a failed call releases the hold, a full window is a 429."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.kit_runs import KitRunRequest
from switchboard.domain.kits import parse_kit_catalog
from switchboard.domain.limits import RateLimits
from switchboard.domain.tokens import count_tokens
from switchboard.errors import RateLimitedError, SwitchboardError
from switchboard.services.kits import KitService
from switchboard.services.meter import Meter
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio


def kits_over(services: Container, model: str) -> KitService:
    spec = {
        "id": "probe",
        "description": "a kit over a test upstream",
        "model": model,
        "system_prompt": "Be brief.",
        "max_tokens": 100,
        "price_per_1k_tokens": "0.0004",
    }
    return KitService(parse_kit_catalog({"kits": [spec]}), services.catalog, services.providers)


def meter_of(services: Container, user: User, limits: RateLimits | None = None) -> Meter:
    return services.billing.meter(
        payer_id=user.user_id,
        caller_id=user.user_id,
        limits=limits or RateLimits(1000, 1_000_000),
        request_id="req_kit_test",
    )


RUN = KitRunRequest.model_validate({"kit": "probe", "input": {"prompt": "Hello there"}})


@pytest.mark.parametrize("model", ["usage-negative", "usage-missing", "usage-garbage"])
async def test_untrusted_usage_is_estimated_and_billed_at_the_kit_price(
    model: str, services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    kits = kits_over(services, model)
    body = await kits.run(RUN, meter_of(services, user))
    usage = body["usage"]
    assert usage["output_tokens"] == count_tokens(body["output"]["text"])
    assert usage["input_tokens"] == kits.prepare(RUN).chat.prompt_tokens
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert balance == 1_000_000 - -(-usage["total_tokens"] * 400 // 1000)
    assert kinds == ["top_up", "reserve", "settle"]


async def test_a_failed_upstream_call_releases_the_hold(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    with pytest.raises(SwitchboardError):
        await kits_over(services, "fail-500").run(RUN, meter_of(services, user))
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000,
        ["top_up", "reserve", "release"],
    )


async def test_a_full_window_is_a_429(services: Container, new_user: Callable[..., User]) -> None:
    user = new_user(balance_usd=1)
    kits = kits_over(services, "local-chat")
    limits = RateLimits(1, 1_000_000)
    await kits.run(RUN, meter_of(services, user, limits))
    with pytest.raises(RateLimitedError):
        await kits.run(RUN, meter_of(services, user, limits))
