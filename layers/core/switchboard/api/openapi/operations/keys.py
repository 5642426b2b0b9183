"""api/routes/keys.py: a user's own API keys."""

from switchboard.api.openapi.operation import Operation, page_params
from switchboard.api.openapi.shapes.own import DeletedKey, IssuedKey, KeyList
from switchboard.api.schemas.keys import LabelledKeyRequest, ScopedKeyRequest

TAG = "Keys"

OPERATIONS = [
    Operation(
        "GET", "/user/apikeys", "List my keys (labelled)", TAG, response=KeyList,
        query=page_params(),
    ),
    Operation(
        "POST", "/user/apikeys", "Create a labelled key", TAG,
        request=LabelledKeyRequest, response=IssuedKey, status=201,
    ),
    Operation("DELETE", "/user/apikeys/{key_id}", "Revoke a key", TAG, response=DeletedKey),
    Operation(
        "GET", "/api-keys", "List my keys (scoped)", TAG, response=KeyList, query=page_params()
    ),
    Operation(
        "POST", "/api-keys", "Create a scoped key", TAG,
        request=ScopedKeyRequest, response=IssuedKey, status=201,
    ),
    Operation("DELETE", "/api-keys/{key_id}", "Revoke a key", TAG, response=DeletedKey),
]  # fmt: skip
