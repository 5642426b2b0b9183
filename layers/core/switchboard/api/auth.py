"""Who is calling, whether they may call this route, and counting the call.

Every authenticated route starts with `await require_principal(request)`: the Bearer key or
the session cookie is checked, the key's scopes are checked against the route, and the
request is counted in the caller's rate window (X-RateLimit-* headers on the response, 429
when full). Inference routes pass `tokens=True`: they also need tokens left in the window.
"""

from __future__ import annotations

from starlette.requests import Request

from switchboard.bootstrap import container
from switchboard.domain.principals import Principal

SESSION_COOKIE = "token"


async def require_principal(request: Request, *, tokens: bool = False) -> Principal:
    services = container()
    principal = await services.authenticator.authenticate(
        request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE)
    )
    request.state.principal = principal
    state = await services.limiter.admit(principal, tokens=tokens)  # refused calls count too
    request.state.rate = state
    state.check()
    route = request.scope.get("route")
    principal.check_route(request.method, getattr(route, "path", request.url.path))
    return principal


async def require_admin(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_admin()
    return principal
