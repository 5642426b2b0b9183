"""api/routes/files.py, batches.py, uploads.py and queue.py: files, batches and queued
requests, in OpenAI's shapes where OpenAI has them."""

from typing import Any

from switchboard.api.openapi.operation import Operation, Param, page_params
from switchboard.api.openapi.shapes.openai import Batch, BatchList, Deleted, File, FileList
from switchboard.api.openapi.shapes.own import BatchUpload, Page, QueuedRequest, QueuedStatus
from switchboard.api.schemas.batches import CreateBatchRequest
from switchboard.api.schemas.queue import SubmitRequest
from switchboard.api.schemas.uploads import CreateUploadRequest

ORDER = Param("order", {"type": "string", "enum": ["asc", "desc"]})
UPLOAD: dict[str, Any] = {
    "type": "object",
    "required": ["file", "purpose"],
    "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
        "purpose": {"type": "string", "enum": ["batch", "assistants", "user_data"]},
    },
}
LOCATION = {"Location": "Where to poll: GET /v1/ai?req_id=..."}

OPERATIONS = [
    Operation(
        "POST", "/v1/files", "Upload a file", "Files", request=UPLOAD, response=File,
        request_media="multipart/form-data",
    ),
    Operation(
        "GET", "/v1/files", "List files", "Files", response=FileList,
        query=page_params(ORDER, Param("purpose")),
    ),
    Operation("GET", "/v1/files/{file_id}", "Retrieve a file", "Files", response=File),
    Operation(
        "GET", "/v1/files/{file_id}/content", "A file's content", "Files",
        response={}, response_media=("*/*",), redirects=True,
        description="The bytes; a large file answers 302 to a signed URL instead.",
    ),
    Operation("DELETE", "/v1/files/{file_id}", "Delete a file", "Files", response=Deleted),
    Operation(
        "POST", "/v1/batches", "Create a batch", "Batches", request=CreateBatchRequest,
        response=Batch,
    ),
    Operation("GET", "/v1/batches", "List batches", "Batches", response=BatchList,
              query=page_params()),
    Operation("GET", "/v1/batches/{batch_id}", "Retrieve a batch", "Batches", response=Batch),
    Operation("POST", "/v1/batches/{batch_id}/cancel", "Cancel a batch", "Batches",
              response=Batch),
    Operation(
        "POST", "/v1/batches/uploads", "Start a large batch upload (presigned POST)",
        "Batches", request=CreateUploadRequest, response=BatchUpload, status=201,
    ),
    Operation(
        "GET", "/v1/batches/uploads/{upload_id}", "An upload's state", "Batches",
        response=BatchUpload,
    ),
    Operation(
        "POST", "/v1/ai", "Queue a request", "Queue", request=SubmitRequest,
        response=QueuedRequest, status=202, headers=LOCATION,
    ),
    Operation(
        "GET", "/v1/ai", "A queued request's status and answer", "Queue",
        response=QueuedStatus, query=(Param("req_id", required=True),),
    ),
    Operation(
        "GET", "/v1/ai/requests", "My queued requests, oldest first", "Queue",
        response=Page, query=page_params(),
    ),
]  # fmt: skip
