"""api/routes/sessions.py: login, logout and who is logged in."""

from switchboard.api.openapi.operation import Operation
from switchboard.api.openapi.shapes.own import User
from switchboard.api.schemas.accounts import LoginRequest

TAG = "Sessions"

OPERATIONS = [
    Operation(
        "POST", "/auth/login", "Log in (sets the session cookie)", TAG,
        request=LoginRequest, response=User, access="public",
        headers={"Set-Cookie": "The session cookie, `token`."},
    ),
    Operation("POST", "/auth/logout", "Log out (clears the session cookie)", TAG, status=204),
    Operation("GET", "/auth/me", "The logged-in user", TAG, response=User),
]  # fmt: skip
