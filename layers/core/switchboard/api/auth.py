"""Who is calling, and whether their key's scopes allow this route: authentication only.

`authenticate` checks the Bearer key or the session cookie (401 without a valid one) and
leaves the principal in the request's state; `check_scope` refuses a route the key's scopes
do not cover (403). Counting the request is api/limits.py's; api/access.py composes them.
"""

from __future__ import annotations

from starlette.requests import Request

from switchboard.bootstrap import container
from switchboard.domain.principals import Principal

SESSION_COOKIE = "token"


async def authenticate(request: Request) -> Principal:
    principal = await container().authenticator.authenticate(
        request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE)
    )
    request.state.principal = principal
    return principal


def check_scope(request: Request, principal: Principal) -> None:
    route = request.scope.get("route")
    principal.check_route(request.method, getattr(route, "path", request.url.path))
