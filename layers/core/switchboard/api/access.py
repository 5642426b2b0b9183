"""The door of every authenticated route that is not metered: authenticate, count the
request in the caller's rate window (refused requests too), then check the key's scopes.

    principal = await require_principal(request)     # 401, 429, 403, in that order
    principal = await require_admin(request)         # ... and 403 for non-admins

Metered routes (chat, embeddings ...) count in the write that holds their credits instead:
see api/metering.py.
"""

from __future__ import annotations

from starlette.requests import Request

from switchboard.api.auth import authenticate, check_scope
from switchboard.api.limits import count_request
from switchboard.domain.principals import Principal


async def require_principal(request: Request) -> Principal:
    principal = await authenticate(request)
    await count_request(request, principal)
    check_scope(request, principal)
    return principal


async def require_admin(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_admin()
    return principal
