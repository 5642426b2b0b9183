"""The Files API through the platform's ASGI app: upload (purpose "batch", JSONL checked line
by line), retrieve, list (a cursor page), content (inline, or a redirect to the bucket when
large), delete; each user sees only their own files."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.domain.accounts import User
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio


def jsonl(count: int, *, pad: str = "") -> bytes:
    lines = [
        {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "local-chat", "messages": [{"role": "user", "content": f"hi {i}{pad}"}]}}
        for i in range(count)
    ]  # fmt: skip
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


async def upload(
    http: httpx.AsyncClient, data: bytes, *, purpose: str = "batch", name: str = "in.jsonl"
) -> httpx.Response:
    return await http.post("/v1/files", data={"purpose": purpose}, files={"file": (name, data)})


async def test_an_uploaded_file_is_kept_listed_read_and_deleted(
    new_user: Callable[..., User], connect: Any
) -> None:
    data = jsonl(3)
    async with connect(new_user()) as http:
        created = await upload(http, data, name="my requests.jsonl")
        assert created.status_code == 200, created.text
        stored = created.json()
        assert_matches_spec(stored, "OpenAIFile")
        assert stored["id"].startswith("file-") and stored["bytes"] == len(data)
        assert (stored["filename"], stored["purpose"], stored["status"]) == (
            "my requests.jsonl", "batch", "processed",
        )  # fmt: skip
        assert stored["expires_at"] == stored["created_at"] + 30 * 86_400
        assert (await http.get(f"/v1/files/{stored['id']}")).json() == stored
        content = await http.get(f"/v1/files/{stored['id']}/content")
        assert content.status_code == 200 and content.content == data
        listed = (await http.get("/v1/files")).json()
        assert_matches_spec(listed, "ListFilesResponse")
        assert listed["data"] == [stored] and listed["has_more"] is False
        deleted = await http.delete(f"/v1/files/{stored['id']}")
        assert deleted.json() == {"id": stored["id"], "object": "file", "deleted": True}
        assert_matches_spec(deleted.json(), "DeleteFileResponse")
        assert (await http.get(f"/v1/files/{stored['id']}")).status_code == 404
        assert (await http.get("/v1/files")).json()["data"] == []


@pytest.mark.parametrize(
    ("data", "purpose", "param", "code", "words"),
    [
        (jsonl(1), "fine-tune", "purpose", "invalid_value", "'batch', 'assistants', 'user_data'"),
        (
            jsonl(1),
            "batch_output",
            "purpose",
            "invalid_value",
            "'batch', 'assistants', 'user_data'",
        ),
        (jsonl(2) + b"not json\n" + jsonl(1), "batch", "file", "invalid_jsonl", "Line 3"),
        (b'{"a": 1}\n["a list"]\n', "batch", "file", "invalid_jsonl", "Line 2"),
        (b"\n\n", "batch", "file", "empty_file", "no requests"),
    ],
)
async def test_other_purposes_and_files_that_are_not_jsonl_are_400(
    client: httpx.AsyncClient, data: bytes, purpose: str, param: str, code: str, words: str
) -> None:
    response = await upload(client, data, purpose=purpose)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code) and words in error["message"]
    assert (await client.get("/v1/files")).json()["data"] == []  # nothing was kept


async def test_uploads_need_a_form_with_a_file_and_fit_the_body_limit(
    client: httpx.AsyncClient, services: Any
) -> None:
    missing = await client.post("/v1/files", data={"purpose": "batch"}, files={"x": ("a", b"{}")})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "file"
    as_json = await client.post("/v1/files", json={"purpose": "batch"})
    assert as_json.status_code == 400
    assert as_json.json()["error"]["code"] == "invalid_content_type"
    limit = services.settings.MAX_BODY_BYTES
    too_large = await upload(client, jsonl(1) + b" " * limit)
    assert too_large.status_code == 413 and "presigned" in too_large.json()["error"]["message"]


async def test_a_user_sees_only_their_own_files(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as owner, connect(new_user()) as stranger:
        file_id = (await upload(owner, jsonl(1))).json()["id"]
        for answer in (
            await stranger.get(f"/v1/files/{file_id}"),
            await stranger.get(f"/v1/files/{file_id}/content"),
            await stranger.delete(f"/v1/files/{file_id}"),
            await stranger.get("/v1/files/file-unknown"),
            await stranger.get("/v1/files/not-even-an-id"),
        ):
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "file_not_found"
        assert (await stranger.get("/v1/files")).json()["data"] == []
        assert (await owner.get(f"/v1/files/{file_id}")).status_code == 200


async def test_files_are_listed_a_cursor_page_at_a_time(client: httpx.AsyncClient) -> None:
    ids = [(await upload(client, jsonl(1), name=f"{n}.jsonl")).json()["id"] for n in range(3)]
    everything = [f["id"] for f in (await client.get("/v1/files")).json()["data"]]
    assert sorted(everything) == sorted(ids)
    first = (await client.get("/v1/files", params={"limit": 2})).json()
    assert first["has_more"] is True and [f["id"] for f in first["data"]] == everything[:2]
    rest = (await client.get("/v1/files", params={"limit": 2, "after": first["last_id"]})).json()
    assert rest["has_more"] is False and [f["id"] for f in rest["data"]] == everything[2:]
    oldest_first = (await client.get("/v1/files", params={"order": "asc"})).json()
    assert [f["id"] for f in oldest_first["data"]] == everything[::-1]
    assert (await client.get("/v1/files", params={"purpose": "batch_output"})).json()["data"] == []
    for bad in ({"limit": 0}, {"limit": "x"}, {"order": "up"}):
        assert (await client.get("/v1/files", params=bad)).status_code == 400


async def test_large_contents_are_a_redirect_to_a_short_lived_url(
    client: httpx.AsyncClient,
) -> None:
    data = jsonl(1100, pad="x" * 4000)  # over 4 MB: more than a function should answer
    stored = (await upload(client, data)).json()
    response = await client.get(f"/v1/files/{stored['id']}/content")
    assert response.status_code == 302
    location = response.headers["location"]
    assert stored["id"] in location and "Expires" in location  # presigned, for minutes
    async with httpx.AsyncClient() as plain:  # the bucket itself (the emulator), as SDKs go
        assert (await plain.get(location)).content == data


@pytest.mark.parametrize(
    ("purpose", "name", "data", "media"),
    [
        ("assistants", "notes.md", b"# Notes\n\nThe launch is on Tuesday.\n", "text/markdown"),
        ("user_data", "page.html", b"<html><body><p>Hi</p></body></html>", "text/html"),
        ("assistants", "facts.json", b'{"city": "Oslo"}', "application/json"),
        ("user_data", "readme", b"plain words, no extension", None),
        ("assistants", "paper.pdf", b"%PDF-1.4\n%...", "application/pdf"),
    ],
)
async def test_documents_for_retrieval_are_kept_with_their_type(
    client: httpx.AsyncClient, purpose: str, name: str, data: bytes, media: str | None
) -> None:
    files = {"file": (name, data, media) if media else (name, data)}
    created = await client.post("/v1/files", data={"purpose": purpose}, files=files)
    assert created.status_code == 200, created.text
    stored = created.json()
    assert_matches_spec(stored, "OpenAIFile")
    assert (stored["purpose"], stored["filename"], stored["bytes"]) == (purpose, name, len(data))
    content = await client.get(f"/v1/files/{stored['id']}/content")
    assert content.status_code == 200 and content.content == data
    if media:
        assert content.headers["content-type"].startswith(media)
    listed = (await client.get("/v1/files", params={"purpose": purpose})).json()
    assert [f["id"] for f in listed["data"]] == [stored["id"]]
    assert (await client.delete(f"/v1/files/{stored['id']}")).json()["deleted"] is True


@pytest.mark.parametrize(
    ("name", "data", "media", "named"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n....", "image/png", "'.png'"),
        ("sheet.xlsx", b"PK\x03\x04...", None, "'.xlsx'"),
        ("blob", b"\x00\x01\x02\xff", "application/octet-stream", "'application/octet-stream'"),
    ],
)
async def test_a_document_type_the_platform_cannot_read_is_400_naming_it(
    client: httpx.AsyncClient, name: str, data: bytes, media: str | None, named: str
) -> None:
    files = {"file": (name, data, media) if media else (name, data)}
    response = await client.post("/v1/files", data={"purpose": "assistants"}, files=files)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == ("file", "unsupported_file")
    assert named in error["message"]
    assert (await client.get("/v1/files")).json()["data"] == []  # nothing was kept


async def test_batch_files_keep_their_jsonl_rules(client: httpx.AsyncClient) -> None:
    response = await upload(client, b"# not jsonl\n", name="notes.md")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_jsonl"
