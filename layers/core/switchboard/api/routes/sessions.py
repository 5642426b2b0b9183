"""POST /auth/login, POST /auth/logout and GET /auth/me: login sessions in the `token` cookie.

The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure except on the local platform (plain
http on loopback); it lives as long as the token inside it. Login attempts are limited per
email address (LOGIN_ATTEMPTS a minute, counted in DynamoDB like any rate limit), so that a
password cannot be guessed at speed from many instances.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.auth import SESSION_COOKIE
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.schemas.accounts import LoginRequest, user_view
from switchboard.bootstrap import container
from switchboard.domain.accounts import User
from switchboard.domain.limits import RateLimits
from switchboard.services.accounts import Profile

EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"
LOGIN_ATTEMPTS = RateLimits(requests_per_minute=10, tokens_per_minute=1)


async def login(request: Request) -> Response:
    services = container()
    settings = services.settings
    body = await parse_body(request, LoginRequest, settings.MAX_BODY_BYTES)
    subject = f"login:{body.email.strip().lower()}"
    (await services.limiter.count(subject, LOGIN_ATTEMPTS)).check()
    token, user = await anyio.to_thread.run_sync(services.sessions.login, body.email, body.password)
    profile = await anyio.to_thread.run_sync(_profile_of, user)
    response = json_response(user_view(profile))
    ttl, secure = settings.SESSION_TTL_SECONDS, settings.SESSION_COOKIE_SECURE
    response.headers.append("set-cookie", session_cookie(token, ttl, secure=secure))
    return response


async def logout(request: Request) -> Response:
    """Always 204, with the cookie cleared; a valid session is also revoked server-side."""
    services = container()
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services.sessions.logout(token)
    response = Response(status_code=204)
    cookie = session_cookie("", 0, secure=services.settings.SESSION_COOKIE_SECURE)
    response.headers.append("set-cookie", cookie)
    return response


async def me(request: Request) -> Response:
    principal = await require_principal(request)
    profile = await anyio.to_thread.run_sync(container().accounts.profile, principal.user_id)
    return json_response(user_view(profile))


def session_cookie(value: str, max_age: int, *, secure: bool) -> str:
    """The Set-Cookie value; an empty value with max_age 0 clears the cookie."""
    attributes = [f"{SESSION_COOKIE}={value}", "HttpOnly", f"Max-Age={max_age}", "Path=/"]
    attributes += ["SameSite=Lax", "Secure"] if secure else ["SameSite=Lax"]
    if not value:
        attributes.append(f"Expires={EXPIRED}")
    return "; ".join(attributes)


def _profile_of(user: User) -> Profile:
    return Profile(user, container().ledger_repo.balance(user.user_id))


routes = [
    Route("/auth/login", login, methods=["POST"]),
    Route("/auth/logout", logout, methods=["POST"]),
    Route("/auth/me", me, methods=["GET"]),
]
