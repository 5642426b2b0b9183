"""api/routes/docs.py: the document itself and its viewer (public)."""

from switchboard.api.openapi.operation import Operation

TAG = "Platform"

OPERATIONS = [
    Operation(
        "GET", "/openapi.json", "This OpenAPI 3.1 document", TAG,
        response={"type": "object", "description": "OpenAPI 3.1"}, access="public",
    ),
    Operation(
        "GET", "/docs", "The API browser (Swagger UI, bundled)", TAG,
        response={"type": "string"}, response_media=("text/html",), access="public",
    ),
    Operation(
        "GET", "/docs/{asset}", "The API browser's files", TAG,
        response={"type": "string"}, response_media=("application/javascript", "text/css"),
        access="public",
    ),
]  # fmt: skip
