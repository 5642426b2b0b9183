"""App-scoped inference through the ASGI app: billed to the owner, the app's rules applied,
usage counted at settlement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import Role, User

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]


async def new_app(http: httpx.AsyncClient, config: dict[str, Any] | None = None) -> str:
    created = await http.post("/apps", json={"name": "inference test"})
    app_id = str(created.json()["id"])
    if config is not None:
        response = await http.put(f"/v1/{app_id}/ai/config", json=config)
        assert response.status_code == 200, response.text
    return app_id


async def test_an_admin_calling_an_app_bills_its_owner_and_counts_usage(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    owner, admin = new_user(balance_usd=1), new_user(role=Role.ADMIN, balance_usd=1)
    async with connect(owner) as mine:
        app_id = await new_app(
            mine, {"defaultModel": "fake-chat", "allowedModels": ["fake-chat", "fake-embed"]}
        )
    async with connect(admin) as theirs:
        chat = await theirs.post(f"/v1/{app_id}/chat/completions", json={"messages": HELLO})
        embed = await theirs.post(
            f"/v1/{app_id}/embeddings", json={"model": "fake-embed", "input": "hi"}
        )
    assert chat.status_code == 200 and chat.json()["model"] == "fake-chat"
    assert embed.status_code == 200
    assert services.ledger_repo.balance(admin.user_id) == 1_000_000
    usage = chat.json()["usage"]
    chat_cost = -(
        -(usage["prompt_tokens"] * 1_500_000 + usage["completion_tokens"] * 2_000_000) // 1_000_000
    )
    embed_cost = -(-(embed.json()["usage"]["prompt_tokens"] * 20_000) // 1_000_000)
    assert services.ledger_repo.balance(owner.user_id) == 1_000_000 - chat_cost - embed_cost
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    async with connect(owner) as mine:
        report = await mine.get(
            f"/v1/{app_id}/ai/usage", params={"startDate": today, "endDate": today}
        )
    body = report.json()
    assert body["byModel"]["fake-chat"] == {
        "tokens": usage["total_tokens"], "cost": f"0.{chat_cost:06d}", "requests": 1,
    }  # fmt: skip
    assert body["totalCost"] == f"0.{chat_cost + embed_cost:06d}"


async def test_the_apps_rules_refuse_and_cap(
    new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        app_id = await new_app(http, {"allowedModels": ["fake-chat"], "maxTokensPerRequest": 5})
        other = await http.post(
            f"/v1/{app_id}/chat/completions", json={"model": "local-chat", "messages": HELLO}
        )
        too_many = await http.post(
            f"/v1/{app_id}/chat/completions",
            json={"model": "fake-chat", "messages": HELLO, "max_tokens": 6},
        )
        capped = await http.post(
            f"/v1/{app_id}/chat/completions",
            json={"model": "fake-chat", "messages": HELLO, "user": "cap-test"},
        )
        no_model = await http.post(f"/v1/{app_id}/chat/completions", json={"messages": HELLO})
    assert (other.status_code, other.json()["error"]["code"]) == (403, "model_not_allowed")
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (400, "max_tokens_exceeded")
    assert capped.status_code == 200
    assert capped.json()["usage"]["completion_tokens"] == 5
    sent = next(
        r.body
        for r in reversed(upstream.state.received)
        if (r.body or {}).get("user") == "cap-test"
    )
    assert sent["max_tokens"] == 5
    assert (no_model.status_code, no_model.json()["error"]["code"]) == (400, "model_required")


async def test_a_cap_above_the_models_own_limit_is_not_an_error(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        app_id = await new_app(http, {"maxTokensPerRequest": 100_000})
        response = await http.post(
            f"/v1/{app_id}/chat/completions", json={"model": "fake-chat", "messages": HELLO}
        )
    assert response.status_code == 200, response.text


async def test_someone_elses_app_is_not_found(new_user: Callable[..., User], connect: Any) -> None:
    async with connect(new_user()) as owner:
        app_id = await new_app(owner)
    async with connect(new_user()) as stranger:
        chat = await stranger.post(
            f"/v1/{app_id}/chat/completions", json={"model": "fake-chat", "messages": HELLO}
        )
        models = await stranger.get(f"/v1/{app_id}/ai/models")
    assert chat.status_code == models.status_code == 404
    assert chat.json()["error"]["code"] == "app_not_found"


async def test_app_models_list_what_the_app_accepts(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as http:
        app_id = await new_app(http, {"allowedModels": ["fake-chat", "local-chat"]})
        listed = await http.get(f"/v1/{app_id}/ai/models")
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()["data"]] == ["local-chat", "fake-chat"]


async def test_a_gateway_key_may_not_use_app_routes(
    new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        app_id = await new_app(http)
    async with connect(user, scopes=("ai:gateway",)) as gateway:
        refused = await gateway.post(
            f"/v1/{app_id}/chat/completions", json={"model": "fake-chat", "messages": HELLO}
        )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "insufficient_scope")
