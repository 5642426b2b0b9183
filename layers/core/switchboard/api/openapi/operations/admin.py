"""api/routes/admin.py: users, credits and keys, for admins."""

from switchboard.api.openapi.operation import Operation, page_params
from switchboard.api.openapi.shapes.own import Credits, IssuedKey, Page, User
from switchboard.api.schemas.accounts import CreateUserRequest, CreditsRequest, UpdateUserRequest
from switchboard.api.schemas.keys import ScopedKeyRequest

TAG = "Admin"

OPERATIONS = [
    Operation(
        "POST", "/admin/users", "Create a user", TAG,
        request=CreateUserRequest, response=User, status=201,
    ),
    Operation(
        "GET", "/admin/users", "List users", TAG, response=Page, query=page_params(),
        description="`after` is next_cursor (a user id).",
    ),
    Operation("GET", "/admin/users/{user_id}", "Retrieve a user", TAG, response=User),
    Operation(
        "PATCH", "/admin/users/{user_id}", "Change a user's plan, role, limits or state", TAG,
        request=UpdateUserRequest, response=User,
        description="`disabled: true` stops their keys and sessions within KEY_CACHE_SECONDS "
        "(the revocation bound); `rate_limits: null` drops their own limits.",
    ),
    Operation(
        "POST", "/admin/users/{user_id}/credits", "Add credits to a user", TAG,
        request=CreditsRequest, response=Credits,
    ),
    Operation(
        "POST", "/admin/users/{user_id}/apikeys", "Create a key for a user", TAG,
        request=ScopedKeyRequest, response=IssuedKey, status=201,
    ),
]  # fmt: skip
