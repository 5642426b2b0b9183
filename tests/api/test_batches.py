"""The Batch API through the platform's ASGI app (no workers run here: the state machine
waits on its first step): create from an uploaded file, retrieve, list (newest first, a
cursor page), cancel; the errors this API documents; each user sees only their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.files import file_key
from tests.api.test_files import jsonl, upload
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio


async def new_batch(http: httpx.AsyncClient, **changes: Any) -> httpx.Response:
    file_id = (await upload(http, jsonl(2))).json()["id"]
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions",
            "completion_window": "24h"} | changes  # fmt: skip
    return await http.post("/v1/batches", json=body)


def assert_batch_shape(body: dict[str, Any]) -> None:
    """OpenAI's batch object (its spec has no nulls: unset fields are left out to check)."""
    assert_matches_spec({k: v for k, v in body.items() if v is not None}, "Batch")
    stamps = {"created_at", "expires_at", "in_progress_at", "finalizing_at", "completed_at",
              "failed_at", "expired_at", "cancelling_at", "cancelled_at"}  # fmt: skip
    assert stamps <= set(body) and {"usage", "request_counts", "cost_usd", "errors"} <= set(body)


async def test_a_batch_starts_validating_with_openais_fields(
    services: Container, client: httpx.AsyncClient
) -> None:
    response = await new_batch(client, metadata={"team": "search"})
    assert response.status_code == 200, response.text
    batch = response.json()
    assert_batch_shape(batch)
    assert batch["id"].startswith("batch_") and batch["object"] == "batch"
    assert (batch["status"], batch["endpoint"], batch["completion_window"]) == (
        "validating", "/v1/chat/completions", "24h",
    )  # fmt: skip
    window = services.settings.BATCH_COMPLETION_WINDOW_SECONDS
    assert batch["expires_at"] == batch["created_at"] + window
    assert batch["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert (batch["usage"]["total_tokens"], batch["cost_usd"]) == (0, "0.000000")
    assert batch["metadata"] == {"team": "search"} and batch["errors"] is None
    assert (await client.get(f"/v1/batches/{batch['id']}")).json() == batch


@pytest.mark.parametrize(
    ("changes", "param", "code"),
    [
        ({"endpoint": "/v1/completions"}, "endpoint", "invalid_value"),
        ({"completion_window": "48h"}, "completion_window", "invalid_value"),
        ({"input_file_id": "file-nope"}, "input_file_id", "invalid_input_file"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "invalid_value"),
        ({"metadata": {"k": "v" * 513}}, "metadata", "invalid_value"),
        ({"output_expires_after": {"anchor": "created_at", "seconds": 60}},
         "output_expires_after.seconds", "invalid_value"),
        ({"priority": "high"}, "priority", "unknown_parameter"),
    ],
)  # fmt: skip
async def test_bad_batches_are_400(
    client: httpx.AsyncClient, changes: dict[str, Any], param: str, code: str
) -> None:
    response = await new_batch(client, **changes)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


async def test_a_batch_needs_its_owners_batch_file(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    owner, stranger = new_user(), new_user()
    output = services.files.record_output(
        owner.user_id, "file-output0", key=file_key(owner.user_id, "file-output0"),
        filename="out.jsonl", size=10, lines=1, expires_at=2**40,
    )  # fmt: skip
    async with connect(owner) as mine, connect(stranger) as theirs:
        file_id = (await upload(mine, jsonl(1))).json()["id"]
        for http, input_file_id in ((theirs, file_id), (mine, output.file_id)):
            body = {"input_file_id": input_file_id, "endpoint": "/v1/chat/completions",
                    "completion_window": "24h"}  # fmt: skip
            response = await http.post("/v1/batches", json=body)
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "invalid_input_file"


async def test_batches_are_their_owners_alone_and_listed_newest_first(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as owner, connect(new_user()) as stranger:
        ids = [(await new_batch(owner)).json()["id"] for _ in range(3)]
        for answer in (
            await stranger.get(f"/v1/batches/{ids[0]}"),
            await stranger.post(f"/v1/batches/{ids[0]}/cancel"),
            await owner.get("/v1/batches/batch_unknown"),
            await owner.post("/v1/batches/nothing-like-an-id/cancel"),
        ):
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "batch_not_found"
        assert (await stranger.get("/v1/batches")).json()["data"] == []
        everything = (await owner.get("/v1/batches")).json()
        for batch in everything["data"]:
            assert_batch_shape(batch)
        assert_matches_spec(everything | {"data": []}, "ListBatchesResponse")
        listed = [b["id"] for b in everything["data"]]
        assert sorted(listed) == sorted(ids) and everything["has_more"] is False
        first = (await owner.get("/v1/batches", params={"limit": 2})).json()
        assert [b["id"] for b in first["data"]] == listed[:2] and first["has_more"] is True
        rest = (await owner.get("/v1/batches", params={"after": first["last_id"]})).json()
        assert [b["id"] for b in rest["data"]] == listed[2:] and rest["has_more"] is False
        assert (await owner.get("/v1/batches", params={"limit": 101})).status_code == 400


async def test_cancelling_a_running_batch_and_again(client: httpx.AsyncClient) -> None:
    batch = (await new_batch(client)).json()
    cancelled = await client.post(f"/v1/batches/{batch['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelling" and body["cancelling_at"] >= batch["created_at"]
    again = (await client.post(f"/v1/batches/{batch['id']}/cancel")).json()
    assert again == body  # a batch past running is returned unchanged
