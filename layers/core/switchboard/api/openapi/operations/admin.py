"""api/routes/admin.py: users, credits and keys, for admins."""

from switchboard.api.openapi.operation import Operation
from switchboard.api.openapi.shapes.own import Credits, IssuedKey, User
from switchboard.api.schemas.accounts import CreateUserRequest, CreditsRequest
from switchboard.api.schemas.keys import ScopedKeyRequest

TAG = "Admin"

OPERATIONS = [
    Operation(
        "POST", "/admin/users", "Create a user", TAG,
        request=CreateUserRequest, response=User, status=201,
    ),
    Operation("GET", "/admin/users/{user_id}", "Retrieve a user", TAG, response=User),
    Operation(
        "POST", "/admin/users/{user_id}/credits", "Add credits to a user", TAG,
        request=CreditsRequest, response=Credits,
    ),
    Operation(
        "POST", "/admin/users/{user_id}/apikeys", "Create a key for a user", TAG,
        request=ScopedKeyRequest, response=IssuedKey, status=201,
    ),
]  # fmt: skip
