"""Who is calling: the Bearer key, checked once per request by the container's Authenticator."""

from __future__ import annotations

from starlette.requests import Request

from switchboard.bootstrap import container
from switchboard.services.auth import Principal


async def require_principal(request: Request) -> Principal:
    principal = await container().authenticator.authenticate(request.headers.get("authorization"))
    request.state.principal = principal
    return principal
