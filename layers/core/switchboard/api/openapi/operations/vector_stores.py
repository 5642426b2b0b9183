"""api/routes/vector_stores.py: OpenAI's vector stores, their files and file batches."""

from switchboard.api.openapi.operation import Operation, Param, page_params
from switchboard.api.openapi.shapes.openai import (
    Deleted,
    FileContentPage,
    SearchResults,
    VectorStore,
    VectorStoreFile,
    VectorStoreFileBatch,
    VectorStoreFileList,
    VectorStoreList,
)
from switchboard.api.schemas.vector_stores import (
    CreateFileBatchRequest,
    CreateVectorStoreFileRequest,
    CreateVectorStoreRequest,
    SearchRequest,
    UpdateFileAttributesRequest,
    UpdateVectorStoreRequest,
)

TAG = "Vector stores"
STORE = "/v1/vector_stores/{vector_store_id}"
STATUS = {"type": "string", "enum": ["in_progress", "completed", "failed", "cancelled"]}
PAGE = page_params(Param("before"), Param("order", {"type": "string", "enum": ["asc", "desc"]}))
FILES_PAGE = (*PAGE, Param("filter", STATUS))

OPERATIONS = [
    Operation(
        "POST", "/v1/vector_stores", "Create a vector store", TAG,
        request=CreateVectorStoreRequest, response=VectorStore,
    ),
    Operation("GET", "/v1/vector_stores", "List vector stores", TAG, response=VectorStoreList,
              query=PAGE),
    Operation("GET", STORE, "Retrieve a vector store", TAG, response=VectorStore),
    Operation(
        "POST", STORE, "Modify a vector store", TAG, request=UpdateVectorStoreRequest,
        response=VectorStore,
    ),
    Operation("DELETE", STORE, "Delete a vector store", TAG, response=Deleted),
    Operation(
        "POST", f"{STORE}/search", "Search a vector store", TAG, request=SearchRequest,
        response=SearchResults,
    ),
    Operation(
        "POST", f"{STORE}/files", "Add a file", TAG, request=CreateVectorStoreFileRequest,
        response=VectorStoreFile,
    ),
    Operation("GET", f"{STORE}/files", "List files", TAG, response=VectorStoreFileList,
              query=FILES_PAGE),
    Operation("GET", f"{STORE}/files/{{file_id}}", "Retrieve a file", TAG,
              response=VectorStoreFile),
    Operation(
        "POST", f"{STORE}/files/{{file_id}}", "Update a file's attributes", TAG,
        request=UpdateFileAttributesRequest, response=VectorStoreFile,
    ),
    Operation("DELETE", f"{STORE}/files/{{file_id}}", "Remove a file", TAG, response=Deleted),
    Operation(
        "GET", f"{STORE}/files/{{file_id}}/content", "A file's parsed content", TAG,
        response=FileContentPage,
    ),
    Operation(
        "POST", f"{STORE}/file_batches", "Add a batch of files", TAG,
        request=CreateFileBatchRequest, response=VectorStoreFileBatch,
    ),
    Operation(
        "GET", f"{STORE}/file_batches/{{batch_id}}", "Retrieve a file batch", TAG,
        response=VectorStoreFileBatch,
    ),
    Operation(
        "POST", f"{STORE}/file_batches/{{batch_id}}/cancel", "Cancel a file batch", TAG,
        response=VectorStoreFileBatch,
    ),
    Operation(
        "GET", f"{STORE}/file_batches/{{batch_id}}/files", "List a batch's files", TAG,
        response=VectorStoreFileList, query=FILES_PAGE,
    ),
]  # fmt: skip
