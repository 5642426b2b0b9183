"""Batch uploads through the platform's ASGI app: POST /v1/batches/uploads answers 201 with
the upload object and its presigned POST, for the caller's own prefix (an admin may name a
user); GET /v1/batches/uploads/{id}; the errors, in OpenAI's envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.domain.accounts import Role, User
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
ORDER = {"endpoint": "/v1/chat/completions", "filename": "big.jsonl"}


def assert_error(response: httpx.Response, status: int, code: str, param: str | None) -> None:
    assert response.status_code == status, response.text
    assert_matches_spec(response.json(), "ErrorResponse")
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)


async def test_an_upload_is_a_presigned_post_under_the_callers_prefix(
    new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        response = await http.post("/v1/batches/uploads", json=ORDER | {"metadata": {"a": "b"}})
        assert response.status_code == 201, response.text
        made = response.json()
        seen = await http.get(f"/v1/batches/uploads/{made['id']}")
    assert made["object"] == "batch.upload" and made["id"].startswith("upload_")
    assert made["key"] == f"batch-input/{user.user_id}/{made['id']}/big.jsonl"
    assert made["fields"]["key"] == made["key"] and made["url"].startswith("http")
    assert (made["status"], made["error"], made["metadata"]) == ("pending", None, {"a": "b"})
    assert made["batch_id"] == "batch_" + made["id"].removeprefix("upload_")
    assert made["url_expires_at"] > made["created_at"] and made["max_bytes"] == 200 * 1024**2
    assert seen.status_code == 200
    assert seen.json() == {k: v for k, v in made.items() if k not in ("url", "fields")}


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"endpoint": "/v1/completions"}, "invalid_value", "endpoint"),
        (ORDER | {"completion_window": "1h"}, "invalid_value", "completion_window"),
        (ORDER | {"filename": ""}, "invalid_value", "filename"),
        (ORDER | {"surprise": 1}, "unknown_parameter", "surprise"),
        ({"filename": "x.jsonl"}, "missing_required_parameter", "endpoint"),
    ],
)
async def test_bad_orders_are_400(
    client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
) -> None:
    response = await client.post("/v1/batches/uploads", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["code"] == code


async def test_only_an_admin_may_upload_for_another_user(
    new_user: Callable[..., User], connect: Any
) -> None:
    owner, other, admin = new_user(), new_user(), new_user(role=Role.ADMIN)
    body = ORDER | {"user_id": owner.user_id}
    async with connect(other) as http:
        assert_error(await http.post("/v1/batches/uploads", json=body), 403, "admin_required", None)
    async with connect(admin) as http:
        made = await http.post("/v1/batches/uploads", json=body)
        assert made.status_code == 201 and made.json()["user_id"] == owner.user_id
        unknown = await http.post("/v1/batches/uploads", json=ORDER | {"user_id": "usr_x"})
        assert_error(unknown, 404, "user_not_found", "user_id")
    async with connect(owner) as http:  # the owner sees it; anyone else is told there is none
        assert (await http.get(f"/v1/batches/uploads/{made.json()['id']}")).status_code == 200
    async with connect(other) as http:
        hidden = await http.get(f"/v1/batches/uploads/{made.json()['id']}")
        assert_error(hidden, 404, "upload_not_found", "upload_id")


async def test_a_gateway_key_has_no_right_to_batch(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user(), scopes=("ai:gateway",)) as gateway:
        refused = await gateway.post("/v1/batches/uploads", json=ORDER)
    assert_error(refused, 403, "insufficient_scope", None)


async def test_unknown_uploads_are_404(client: httpx.AsyncClient) -> None:
    for upload_id in ("upload_0123456789abcdef01234567", "nonsense", "x" * 300):
        assert_error(
            await client.get(f"/v1/batches/uploads/{upload_id}"), 404, "upload_not_found",
            "upload_id",
        )  # fmt: skip
