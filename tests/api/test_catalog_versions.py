"""Two containers, two catalogs: data stored by a container whose catalog knows a model
(usage counters, ledger entries, an app's rules) read by a container whose older catalog
does not. Every read answers; a request that needs the unknown model is a 404, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from switchboard.bootstrap import reset_container
from switchboard.domain.accounts import User
from switchboard.domain.catalog import DEFAULT_CATALOG, load_catalog

pytestmark = pytest.mark.anyio
TODAY = datetime.now(UTC).date().isoformat()
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
def older_catalog(services: Any) -> Iterator[Callable[[], None]]:
    """`switch()`: from now on requests meet a container built with the catalog in the
    core (no fake-* models); the test's own container comes back afterwards."""
    settings = services.settings

    def switch() -> None:
        reset_container(replace(settings, MODEL_CATALOG=str(DEFAULT_CATALOG)))

    yield switch
    reset_container(settings)


async def test_an_older_catalog_reads_what_a_newer_one_stored(
    new_user: Callable[..., User], connect: Any, older_catalog: Callable[[], None]
) -> None:
    assert "fake-chat" not in {entry.id for entry in load_catalog(DEFAULT_CATALOG).models}
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        app_id = (await http.post("/apps", json={"name": "catalogs"})).json()["id"]
        rules = {"defaultModel": "fake-chat", "allowedModels": ["fake-chat"]}
        assert (await http.put(f"/v1/{app_id}/ai/config", json=rules)).status_code == 200
        served = await http.post(f"/v1/{app_id}/chat/completions", json={"messages": HELLO})
        assert served.status_code == 200, served.text

        older_catalog()
        day = f"startDate={TODAY}&endDate={TODAY}"
        answers = {
            path: await http.get(path)
            for path in ["/v1/models", "/v1/public/models", f"/v1/{app_id}/ai/config",
                         f"/v1/{app_id}/ai/models", f"/v1/{app_id}/ai/usage?{day}",
                         f"/v1/usage?{day}&groupBy=model", "/v1/usage/entries", "/apps",
                         f"/apps/{app_id}"]
        }  # fmt: skip
        unknown = await http.get("/v1/models/fake-chat")
        by_default = await http.post(f"/v1/{app_id}/chat/completions", json={"messages": HELLO})
    assert {path: response.status_code for path, response in answers.items()} == {
        path: 200 for path in answers
    }
    listed = {model["id"] for model in answers["/v1/models"].json()["data"]}
    assert listed and "fake-chat" not in listed
    assert answers[f"/v1/{app_id}/ai/config"].json()["allowedModels"] == ["fake-chat"]
    assert answers[f"/v1/{app_id}/ai/models"].json()["data"] == []
    assert list(answers[f"/v1/{app_id}/ai/usage?{day}"].json()["byModel"]) == ["fake-chat"]
    rows = answers[f"/v1/usage?{day}&groupBy=model"].json()["data"]
    assert [row["model"] for row in rows] == ["fake-chat"]
    assert answers["/v1/usage/entries"].json()["data"][0]["model"] == "fake-chat"
    assert unknown.status_code == 404
    assert by_default.status_code == 404, by_default.text
    assert by_default.json()["error"]["param"] == "model"
