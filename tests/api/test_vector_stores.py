"""The Vector Stores API through the platform's ASGI app: stores, their files (ingested by
the worker's own code, services/vector_files.py), file batches, search with filters and the
hybrid ranker, OpenAI's shapes, exact usage_bytes and counts, the search's cost in the
ledger, 400s for bad input, and one user never reaching another's stores (404)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from tests.support.ledger import ledger_state
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
EMBED = "local-embed"  # offline, fast and priced: most tests' stores embed with it
DOCS = {
    "refunds.md": "# Refunds\n\nAnnual plans are refunded in full within thirty days.",
    "kittens.txt": "Kittens sleep for most of the day and play with yarn at night.",
    "rockets.md": "# Rockets\n\nA rocket engine burns fuel and oxidiser to make thrust.",
}


async def upload(http: httpx.AsyncClient, name: str, text: str, purpose: str = "assistants") -> str:
    files = {"file": (name, text.encode(), "text/plain")}
    answer = await http.post("/v1/files", data={"purpose": purpose}, files=files)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


async def new_store(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    answer = await http.post(
        "/v1/vector_stores", json={"name": "docs", "embedding_model": EMBED} | body
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def ingest(services: Container, store_id: str, *file_ids: str) -> None:
    """What VectorFilesFunction does with each file's message."""
    for file_id in file_ids:
        await services.vector_files.process({"vector_store_id": store_id, "file_id": file_id})


async def filled_store(
    http: httpx.AsyncClient, services: Container, **attributes: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """A store of DOCS, each file with its attributes (by file name), all completed."""
    store_id = (await new_store(http))["id"]
    ids = {}
    for name, text in DOCS.items():
        ids[name] = await upload(http, name, text)
        body = {"file_id": ids[name], "attributes": attributes.get(name.split(".")[0], {})}
        added = await http.post(f"/v1/vector_stores/{store_id}/files", json=body)
        assert added.status_code == 200, added.text
    await ingest(services, store_id, *ids.values())
    return store_id, ids


async def test_a_store_is_created_read_listed_updated_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await new_store(
        client, metadata={"team": "support"}, expires_after={"anchor": "last_active_at", "days": 7}
    )
    assert_matches_spec(created, "VectorStoreObject")
    assert created["id"].startswith("vs_") and created["status"] == "completed"
    assert created["file_counts"] == {"in_progress": 0, "completed": 0, "failed": 0,
                                      "cancelled": 0, "total": 0}  # fmt: skip
    assert created["expires_at"] == created["last_active_at"] + 7 * 86_400
    store_id = created["id"]
    assert (await client.get(f"/v1/vector_stores/{store_id}")).json() == created
    listed = (await client.get("/v1/vector_stores")).json()
    assert_matches_spec(listed, "ListVectorStoresResponse")
    assert [s["id"] for s in listed["data"]] == [store_id] and listed["has_more"] is False
    changed = await client.post(
        f"/v1/vector_stores/{store_id}", json={"name": "renamed", "expires_after": None}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["metadata"]) == ("renamed", {"team": "support"})
    assert changed.json()["expires_at"] is None and "expires_after" not in changed.json()
    assert_matches_spec(changed.json(), "VectorStoreObject")
    deleted = await client.delete(f"/v1/vector_stores/{store_id}")
    assert deleted.json() == {"id": store_id, "object": "vector_store.deleted", "deleted": True}
    assert_matches_spec(deleted.json(), "DeleteVectorStoreResponse")
    assert (await client.get(f"/v1/vector_stores/{store_id}")).status_code == 404


async def test_stores_are_listed_in_cursor_pages(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await new_store(client, name=f"s{i}")
    whole = (await client.get("/v1/vector_stores", params={"order": "asc"})).json()
    ids = [s["id"] for s in whole["data"]]  # by creation (a second's stores: by id)
    assert len(ids) == 3
    newest = (await client.get("/v1/vector_stores")).json()
    assert [s["id"] for s in newest["data"]] == ids[::-1]
    first = (await client.get("/v1/vector_stores", params={"limit": 2, "order": "asc"})).json()
    assert [s["id"] for s in first["data"]] == ids[:2] and first["has_more"] is True
    params = {"limit": 2, "order": "asc", "after": first["last_id"]}
    rest = (await client.get("/v1/vector_stores", params=params)).json()
    assert [s["id"] for s in rest["data"]] == ids[2:] and rest["has_more"] is False


async def test_the_default_embedding_model_is_the_local_e5_model(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/vector_stores", json={"name": "default"})
    assert created.status_code == 200 and created.json()["embedding_model"] == "local-e5-small"


async def test_files_are_added_ingested_read_and_removed_with_exact_usage(
    client: httpx.AsyncClient, services: Container
) -> None:
    store_id = (await new_store(client))["id"]
    sizes = {}
    for name, text in DOCS.items():
        sizes[await upload(client, name, text)] = len(text.encode())
    for file_id in sizes:
        added = await client.post(f"/v1/vector_stores/{store_id}/files", json={"file_id": file_id})
        assert added.status_code == 200, added.text
        assert_matches_spec(added.json(), "VectorStoreFileObject")
        assert added.json()["status"] == "in_progress"
    again = await client.post(f"/v1/vector_stores/{store_id}/files", json={"file_id": file_id})
    assert again.json()["id"] == file_id  # added once: counted once
    store = (await client.get(f"/v1/vector_stores/{store_id}")).json()
    assert (store["status"], store["usage_bytes"]) == ("in_progress", sum(sizes.values()))
    assert store["file_counts"]["in_progress"] == store["file_counts"]["total"] == 3
    await ingest(services, store_id, *sizes)
    store = (await client.get(f"/v1/vector_stores/{store_id}")).json()
    assert store["status"] == "completed" and store["file_counts"]["completed"] == 3
    file = (await client.get(f"/v1/vector_stores/{store_id}/files/{file_id}")).json()
    assert file["status"] == "completed" and file["last_error"] is None
    content = (await client.get(f"/v1/vector_stores/{store_id}/files/{file_id}/content")).json()
    assert_matches_spec(content, "VectorStoreFileContentResponse")
    assert "".join(part["text"] for part in content["data"]) in DOCS.values()
    listed = (await client.get(f"/v1/vector_stores/{store_id}/files")).json()
    assert_matches_spec(listed, "ListVectorStoreFilesResponse")
    assert sorted(f["id"] for f in listed["data"]) == sorted(sizes)
    removed = await client.delete(f"/v1/vector_stores/{store_id}/files/{file_id}")
    assert removed.json() == {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}
    assert_matches_spec(removed.json(), "DeleteVectorStoreFileResponse")
    store = (await client.get(f"/v1/vector_stores/{store_id}")).json()
    assert store["usage_bytes"] == sum(sizes.values()) - sizes[file_id]
    assert store["file_counts"]["completed"] == store["file_counts"]["total"] == 2
    search = {"query": "what does a kitten do at night", "max_num_results": 50}
    found = (await client.post(f"/v1/vector_stores/{store_id}/search", json=search)).json()
    assert file_id not in {r["file_id"] for r in found["data"]}  # its vectors went with it


async def test_adding_a_file_enqueues_its_ingestion(
    client: httpx.AsyncClient, services: Container
) -> None:
    store_id = (await new_store(client))["id"]
    file_id = await upload(client, "a.md", "hello")
    await client.post(f"/v1/vector_stores/{store_id}/files", json={"file_id": file_id})
    sqs, url = services.client("sqs"), services.settings.VECTOR_FILES_QUEUE_URL
    bodies = []
    for _ in range(5):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        bodies += [json.loads(m["Body"]) for m in answer.get("Messages", [])]
    assert {"vector_store_id": store_id, "file_id": file_id} in bodies


async def test_search_finds_the_right_file_with_filters_and_the_hybrid_ranker(
    client: httpx.AsyncClient, services: Container
) -> None:
    store_id, ids = await filled_store(
        client, services, refunds={"topic": "billing", "year": 2024},
        kittens={"topic": "pets", "year": 2022}, rockets={"topic": "space", "year": 2025},
    )  # fmt: skip
    url = f"/v1/vector_stores/{store_id}/search"
    page = (await client.post(url, json={"query": "refunded annual plans"})).json()
    assert_matches_spec(page, "VectorStoreSearchResultsPage")
    assert page["search_query"] == ["refunded annual plans"]
    best = page["data"][0]
    assert (best["file_id"], best["filename"]) == (ids["refunds.md"], "refunds.md")
    assert best["attributes"] == {"topic": "billing", "year": 2024}
    assert best["content"][0]["text"] in DOCS["refunds.md"]
    scores = [r["score"] for r in page["data"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    recent = {"type": "gte", "key": "year", "value": 2024}
    body = {"query": "refunded annual plans", "filters": recent}
    found = (await client.post(url, json=body)).json()["data"]
    assert {r["filename"] for r in found} == {"refunds.md", "rockets.md"}
    pets = {"type": "eq", "key": "topic", "value": "pets"}
    either = {"type": "or", "filters": [pets, {"type": "in", "key": "topic", "value": ["space"]}]}
    found = (await client.post(url, json={"query": "x", "filters": either})).json()["data"]
    assert {r["filename"] for r in found} == {"kittens.txt", "rockets.md"}
    hybrid = {"query": ["rocket thrust", "kittens yarn"], "max_num_results": 2,
              "ranking_options": {"ranker": "hybrid"}}  # fmt: skip
    found = (await client.post(url, json=hybrid)).json()["data"]
    assert {r["filename"] for r in found} == {"rockets.md", "kittens.txt"}
    strict = {"query": "refunded annual plans", "ranking_options": {"score_threshold": 0.99}}
    found = (await client.post(url, json=strict)).json()["data"]
    assert all(r["score"] >= 0.99 for r in found)


async def test_attributes_updated_are_what_filters_see(
    client: httpx.AsyncClient, services: Container
) -> None:
    store_id, ids = await filled_store(client, services, kittens={"topic": "pets"})
    url = f"/v1/vector_stores/{store_id}/files/{ids['kittens.txt']}"
    updated = await client.post(url, json={"attributes": {"topic": "animals"}})
    assert updated.status_code == 200 and updated.json()["attributes"] == {"topic": "animals"}
    filters = {"type": "eq", "key": "topic", "value": "animals"}
    found = (
        await client.post(
            f"/v1/vector_stores/{store_id}/search", json={"query": "x", "filters": filters}
        )
    ).json()["data"]
    assert {r["filename"] for r in found} == {"kittens.txt"}


async def test_a_search_is_billed_like_an_embeddings_call(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        store_id, _ = await filled_store(http, services)
        before = ledger_state(services.ledger_repo, user.user_id)
        found = await http.post(f"/v1/vector_stores/{store_id}/search", json={"query": "refunds"})
        assert found.status_code == 200, found.text
    after, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds[len(before[1]) :] == ["reserve", "settle"]
    assert after < before[0]
    entries = sorted(services.ledger_repo.entries(user.user_id), key=lambda e: e.entry_id)
    assert [e.reason for e in entries[len(before[1]) :] if e.kind == "reserve"] == [
        f"hold for {EMBED}"
    ]


async def test_a_file_batch_adds_counts_lists_and_cancels(client: httpx.AsyncClient) -> None:
    store_id = (await new_store(client))["id"]
    file_ids = [await upload(client, f"d{i}.md", f"document {i}") for i in range(3)]
    url = f"/v1/vector_stores/{store_id}/file_batches"
    created = await client.post(url, json={"file_ids": file_ids, "attributes": {"set": "a"}})
    assert created.status_code == 200, created.text
    batch = created.json()
    assert_matches_spec(batch, "VectorStoreFileBatchObject")
    assert batch["id"].startswith("vsfb_") and batch["status"] == "in_progress"
    assert batch["file_counts"]["in_progress"] == batch["file_counts"]["total"] == 3
    assert (await client.get(f"{url}/{batch['id']}")).json() == batch
    files = (await client.get(f"{url}/{batch['id']}/files")).json()
    assert_matches_spec(files, "ListVectorStoreFilesResponse")
    assert sorted(f["id"] for f in files["data"]) == sorted(file_ids)
    assert {json.dumps(f["attributes"]) for f in files["data"]} == {'{"set": "a"}'}
    cancelled = (await client.post(f"{url}/{batch['id']}/cancel")).json()
    assert cancelled["status"] == "cancelled" and cancelled["file_counts"]["cancelled"] == 3
    store = (await client.get(f"/v1/vector_stores/{store_id}")).json()
    assert store["file_counts"]["cancelled"] == 3 and store["file_counts"]["in_progress"] == 0
    one_each = {"files": [{"file_id": file_ids[0], "attributes": {"n": 1}}]}
    again = await client.post(url, json=one_each)
    assert again.status_code == 200 and again.json()["file_counts"]["total"] == 0  # already there


async def test_another_user_finds_nothing_on_any_route(
    new_user: Callable[..., User], connect: Any, services: Container
) -> None:
    async with connect(new_user()) as owner, connect(new_user()) as stranger:
        store_id, ids = await filled_store(owner, services)
        file_id = ids["refunds.md"]
        batch = await owner.post(f"/v1/vector_stores/{store_id}/file_batches",
                                 json={"file_ids": [file_id]})  # fmt: skip
        store, batch_url = (
            f"/v1/vector_stores/{store_id}",
            f"/v1/vector_stores/{store_id}/file_batches/{batch.json()['id']}",
        )
        theirs = await upload(stranger, "mine.md", "my own words")
        answers = [
            await stranger.get(store),
            await stranger.post(store, json={"name": "x"}),
            await stranger.delete(store),
            await stranger.post(f"{store}/search", json={"query": "refunds"}),
            await stranger.post(f"{store}/files", json={"file_id": theirs}),
            await stranger.get(f"{store}/files"),
            await stranger.get(f"{store}/files/{file_id}"),
            await stranger.post(f"{store}/files/{file_id}", json={"attributes": {}}),
            await stranger.delete(f"{store}/files/{file_id}"),
            await stranger.get(f"{store}/files/{file_id}/content"),
            await stranger.post(f"{store}/file_batches", json={"file_ids": [theirs]}),
            await stranger.get(batch_url),
            await stranger.post(f"{batch_url}/cancel"),
            await stranger.get(f"{batch_url}/files"),
        ]
        assert [a.status_code for a in answers] == [404] * len(answers)
        assert (await stranger.get("/v1/vector_stores")).json()["data"] == []
        own = (await new_store(stranger))["id"]
        added = await stranger.post(f"/v1/vector_stores/{own}/files", json={"file_id": file_id})
        assert added.status_code == 404  # the owner's file, not theirs
        assert (await owner.get(store)).json()["file_counts"]["total"] == 3


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("", {"embedding_model": "fake-chat"}, "embedding_model"),
        ("", {"embedding_model": "no-such-model"}, "embedding_model"),
        ("", {"expires_after": {"anchor": "last_active_at", "days": 0}}, "expires_after.days"),
        ("", {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 50,
                                                                  "chunk_overlap_tokens": 0}}},
         "chunking_strategy.static.max_chunk_size_tokens"),
        ("", {"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ("", {"unknown": 1}, "unknown"),
        ("/search", {"query": "x", "max_num_results": 51}, "max_num_results"),
        ("/search", {"query": "x", "max_num_results": 0}, "max_num_results"),
        ("/search", {"query": ""}, "query"),
        ("/search", {"query": "x", "filters": {"type": "like", "key": "a", "value": 1}}, "filters"),
        ("/search", {"query": "x", "filters": {"type": "gt", "key": "a", "value": "b"}}, "filters"),
        ("/search", {"query": "x", "ranking_options": {"ranker": "x"}}, "ranking_options.ranker"),
        ("/files", {"file_id": "FILE", "attributes": {f"k{i}": 1 for i in range(17)}},
         "attributes"),
        ("/files", {"file_id": "FILE", "attributes": {"k": "x" * 513}}, "attributes"),
        ("/files", {"file_id": "BATCHFILE"}, "file_id"),
        ("/file_batches", {"file_ids": ["FILE"], "files": [{"file_id": "FILE"}]}, None),
        ("/file_batches", {"file_ids": []}, "file_ids"),
    ],
)  # fmt: skip
async def test_bad_input_is_400_in_openai_envelope(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], param: str | None
) -> None:
    store_id = (await new_store(client))["id"]
    file_id = await upload(client, "a.md", "words")
    batch_file = await upload(client, "b.jsonl", '{"custom_id": "1"}\n', purpose="batch")
    sent = json.loads(json.dumps(body).replace('"FILE"', f'"{file_id}"').replace(
        '"BATCHFILE"', f'"{batch_file}"'))  # fmt: skip
    if path == "":
        answer = await client.post("/v1/vector_stores", json=sent)
    else:
        answer = await client.post(f"/v1/vector_stores/{store_id}{path}", json=sent)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param, error


async def test_unknown_ids_are_404(client: httpx.AsyncClient) -> None:
    store_id = (await new_store(client))["id"]
    for url in ("/v1/vector_stores/vs_nope", f"/v1/vector_stores/{store_id}/files/file-nope",
                f"/v1/vector_stores/{store_id}/file_batches/vsfb_nope"):  # fmt: skip
        assert (await client.get(url)).status_code == 404
    missing = await client.post(f"/v1/vector_stores/{store_id}/files", json={"file_id": "file-x"})
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "file_id"
