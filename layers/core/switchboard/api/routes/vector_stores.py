"""Vector stores (OpenAI's Vector Stores API; docs/vector-stores.md):

    POST/GET        /v1/vector_stores
    GET/POST/DELETE /v1/vector_stores/{vector_store_id}
    POST            /v1/vector_stores/{vector_store_id}/search              (metered)
    POST/GET        /v1/vector_stores/{vector_store_id}/files
    GET/POST/DELETE /v1/vector_stores/{vector_store_id}/files/{file_id}
    GET             /v1/vector_stores/{vector_store_id}/files/{file_id}/content
    POST            /v1/vector_stores/{vector_store_id}/file_batches
    GET             /v1/vector_stores/{vector_store_id}/file_batches/{batch_id}
    POST            /v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel
    GET             /v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files

A caller sees only their own stores and files (any other: 404). Lists are OpenAI's cursor
pages (`limit` 1 to 100, default 20; `order`, `after`, `before`; files also `filter`).
"""

from __future__ import annotations

from typing import TypedDict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.metering import metered
from switchboard.api.pages import page_after, page_descending, page_limit
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.schemas.vector_stores import (
    CreateFileBatchRequest,
    CreateVectorStoreFileRequest,
    CreateVectorStoreRequest,
    SearchRequest,
    UpdateFileAttributesRequest,
    UpdateVectorStoreRequest,
)
from switchboard.bootstrap import container
from switchboard.domain.chunking import AUTO
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.validation import invalid_value
from switchboard.domain.vector_stores import (
    FileStatus,
    content_page,
    deleted_file,
    deleted_store,
    list_page,
    search_page,
)

MAX_PAGE = 100
DEFAULT_PAGE = 20
STORE = "/v1/vector_stores/{vector_store_id}"


async def create_store(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = await parse_body(request, CreateVectorStoreRequest, services.settings.MAX_BODY_BYTES)
    store = await services.vector_stores.create(
        principal, name=body.name, embedding_model=body.embedding_model,
        chunking=body.chunking() or AUTO, metadata=body.metadata or {},
        expires_after=body.expires_after.rule() if body.expires_after else None,
        file_ids=body.file_ids,
    )  # fmt: skip
    return json_response(store.to_dict(_now()))


async def list_stores(request: Request) -> Response:
    principal = await require_principal(request)
    stores, more = await container().vector_stores.list_stores(principal, **_page(request))
    return json_response(list_page([s.to_dict(_now()) for s in stores], more))


async def retrieve_store(request: Request) -> Response:
    principal = await require_principal(request)
    store = await container().vector_stores.get(principal, _store_id(request))
    return json_response(store.to_dict(_now()))


async def update_store(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = await parse_body(request, UpdateVectorStoreRequest, services.settings.MAX_BODY_BYTES)
    store = await services.vector_stores.update(principal, _store_id(request), **body.changes())
    return json_response(store.to_dict(_now()))


async def delete_store(request: Request) -> Response:
    principal = await require_principal(request)
    await container().vector_stores.delete(principal, _store_id(request))
    return json_response(deleted_store(_store_id(request)))


async def search_store(request: Request) -> Response:
    services = container()
    async with metered(request) as call:
        body = await parse_body(request, SearchRequest, services.settings.MAX_BODY_BYTES)
        store = await services.vector_stores.get(call.principal, _store_id(request))
        options = body.ranking_options
        found = await services.vector_stores.search(
            store, body.queries, call.meter, max_results=body.max_num_results,
            filters=body.filters, ranker=options.ranker, score_threshold=options.score_threshold,
        )  # fmt: skip
    return json_response(search_page(body.queries, found))


async def add_file(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = await parse_body(request, CreateVectorStoreFileRequest, services.settings.MAX_BODY_BYTES)
    file = await services.vector_stores.add_file(
        principal, _store_id(request), body.file_id, attributes=body.attributes,
        chunking=body.chunking(),
    )  # fmt: skip
    return json_response(file.to_dict())


async def list_files(request: Request) -> Response:
    principal = await require_principal(request)
    files, more = await container().vector_stores.list_files(
        principal, _store_id(request), status=_status(request), **_page(request)
    )
    return json_response(list_page([f.to_dict() for f in files], more))


async def retrieve_file(request: Request) -> Response:
    principal = await require_principal(request)
    file = await container().vector_stores.get_file(
        principal, _store_id(request), _file_id(request)
    )
    return json_response(file.to_dict())


async def update_file(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = await parse_body(request, UpdateFileAttributesRequest, services.settings.MAX_BODY_BYTES)
    file = await services.vector_stores.update_file(
        principal, _store_id(request), _file_id(request), body.attributes
    )
    return json_response(file.to_dict())


async def remove_file(request: Request) -> Response:
    principal = await require_principal(request)
    await container().vector_stores.remove_file(principal, _store_id(request), _file_id(request))
    return json_response(deleted_file(_file_id(request)))


async def file_content(request: Request) -> Response:
    principal = await require_principal(request)
    texts = await container().vector_stores.file_content(
        principal, _store_id(request), _file_id(request)
    )
    return json_response(content_page(texts))


async def create_batch(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = await parse_body(request, CreateFileBatchRequest, services.settings.MAX_BODY_BYTES)
    batch = await services.vector_stores.create_batch(principal, _store_id(request), body.entries())
    return json_response(batch.to_dict())


async def retrieve_batch(request: Request) -> Response:
    principal = await require_principal(request)
    batch = await container().vector_stores.get_batch(
        principal, _store_id(request), request.path_params["batch_id"]
    )
    return json_response(batch.to_dict())


async def cancel_batch(request: Request) -> Response:
    principal = await require_principal(request)
    batch = await container().vector_stores.cancel_batch(
        principal, _store_id(request), request.path_params["batch_id"]
    )
    return json_response(batch.to_dict())


async def list_batch_files(request: Request) -> Response:
    principal = await require_principal(request)
    files, more = await container().vector_stores.list_files(
        principal, _store_id(request), status=_status(request),
        batch_id=request.path_params["batch_id"], **_page(request),
    )  # fmt: skip
    return json_response(list_page([f.to_dict() for f in files], more))


class _Page(TypedDict):
    limit: int
    after: str | None
    before: str | None
    descending: bool


def _page(request: Request) -> _Page:
    return {
        "limit": page_limit(request, default=DEFAULT_PAGE, maximum=MAX_PAGE),
        "after": page_after(request),
        "before": request.query_params.get("before") or None,
        "descending": page_descending(request),
    }


def _status(request: Request) -> FileStatus | None:
    raw = request.query_params.get("filter")
    if raw is None:
        return None
    if raw not in {s.value for s in FileStatus}:
        raise invalid_value(
            "filter must be one of in_progress, completed, failed, cancelled.", "filter"
        )
    return FileStatus(raw)


def _store_id(request: Request) -> str:
    return str(request.path_params["vector_store_id"])


def _file_id(request: Request) -> str:
    return str(request.path_params["file_id"])


def _now() -> int:
    return epoch_seconds(utcnow())


routes = [
    Route("/v1/vector_stores", create_store, methods=["POST"]),
    Route("/v1/vector_stores", list_stores, methods=["GET"]),
    Route(STORE, retrieve_store, methods=["GET"]),
    Route(STORE, update_store, methods=["POST"]),
    Route(STORE, delete_store, methods=["DELETE"]),
    Route(STORE + "/search", search_store, methods=["POST"]),
    Route(STORE + "/files", add_file, methods=["POST"]),
    Route(STORE + "/files", list_files, methods=["GET"]),
    Route(STORE + "/files/{file_id}", retrieve_file, methods=["GET"]),
    Route(STORE + "/files/{file_id}", update_file, methods=["POST"]),
    Route(STORE + "/files/{file_id}", remove_file, methods=["DELETE"]),
    Route(STORE + "/files/{file_id}/content", file_content, methods=["GET"]),
    Route(STORE + "/file_batches", create_batch, methods=["POST"]),
    Route(STORE + "/file_batches/{batch_id}", retrieve_batch, methods=["GET"]),
    Route(STORE + "/file_batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    Route(STORE + "/file_batches/{batch_id}/files", list_batch_files, methods=["GET"]),
]
