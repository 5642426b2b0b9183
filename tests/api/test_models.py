"""The catalog routes: OpenAI's model list and model, and the public price list."""

from __future__ import annotations

import httpx
import pytest

from switchboard.bootstrap import Container
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio


async def test_list_models_is_openai_list_with_display_names(
    client: httpx.AsyncClient, services: Container
) -> None:
    body = (await client.get("/v1/models")).json()
    assert_matches_spec(body, "ListModelsResponse")
    assert [m["id"] for m in body["data"]] == [m.id for m in services.catalog.models]
    assert all(m["object"] == "model" and m["display_name"] for m in body["data"])


async def test_retrieve_model(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/models/gpt-4o-mini")).json()
    assert_matches_spec(body, "Model")
    assert body["id"] == "gpt-4o-mini" and body["owned_by"] == "openai"


async def test_unknown_model_is_404_model_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/models/no-such-model")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert_matches_spec(response.json(), "ErrorResponse")


async def test_public_models_need_no_key_and_show_prices(platform: object) -> None:
    transport = httpx.ASGITransport(app=platform.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as anonymous:
        assert (await anonymous.get("/v1/models")).status_code == 401
        body = (await anonymous.get("/v1/public/models")).json()
    by_id = {m["id"]: m for m in body["data"]}
    assert by_id["gpt-4o-mini"] == {
        "id": "gpt-4o-mini",
        "name": "GPT-4o mini",
        "type": "chat",
        "inputPricePerMTokens": 0.15,
        "outputPricePerMTokens": 0.6,
        "batchDiscount": 0.0,
        "contextWindow": 128000,
    }
    assert by_id["local-chat"]["batchDiscount"] == 0.5
    assert by_id["local-embed"]["type"] == "embedding"
    assert by_id["local-video"]["type"] == "video" and by_id["local-video"]["contextWindow"] is None
