"""Login sessions: an HS256 JWT in the `token` cookie, revocable by logging out.

A token carries who the user is (sub, role, plan, their own rate limits) and is valid from
iat until exp unless its jti has been revoked or its user disabled. The revocation and the
user as stored now are read together (one read); the answer is cached per container for at
most `cache_seconds` (KEY_CACHE_SECONDS, the revocation bound), and a logout on this
container applies here at once. The principal takes the stored role, plan and limits, so an
admin's change reaches a session within the same bound.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import jwt

from switchboard.domain.accounts import Role, User
from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import ALL_SCOPES, Principal
from switchboard.errors import AuthenticationError
from switchboard.ports import AccountRepository, Secret, SessionRepository
from switchboard.services.auth import account_disabled
from switchboard.services.memo import Memo
from switchboard.services.passwords import verify_password

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti"]
MAX_CACHED_SESSIONS = 10_000


class SessionService:
    def __init__(
        self,
        accounts: AccountRepository,
        store: SessionRepository,
        secret: Secret,
        *,
        ttl_seconds: int,
        cache_seconds: float,
        now: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = accounts
        self._store = store
        self._secret = secret
        self._ttl = ttl_seconds
        self._now = now
        self._key: str | None = None
        self._not_revoked: Memo[User] = Memo(cache_seconds, clock=clock)  # jti -> its user
        self._revoked: OrderedDict[str, int] = OrderedDict()  # jti -> exp, logged out here

    def login(self, email: str, password: str) -> tuple[str, User]:
        """A new session token for these credentials (blocking: argon2 and DynamoDB)."""
        found = self._accounts.find_by_email(email)
        user, stored = found if found else (None, None)
        if not verify_password(password, stored) or user is None:
            raise AuthenticationError("Incorrect email or password.", code="invalid_credentials")
        if user.disabled:
            raise account_disabled()
        return self._token(user), user

    async def principal(self, token: str) -> Principal:
        """The session's principal; AuthenticationError if the token is invalid or revoked."""
        claims = _claims(token, await self._signing_key())
        jti = claims["jti"]
        _principal(claims)  # well-formed claims, or refused before any read
        user = None if jti in self._revoked else await self._current_user(jti, claims["sub"])
        if user is None:
            raise _invalid_session()
        if user.disabled:
            raise account_disabled()
        return Principal(user.user_id, f"session:{jti}", (ALL_SCOPES,), user.role.value,
                         user.plan, user.limits)  # fmt: skip

    async def logout(self, token: str) -> None:
        """Revoke a token until it expires; an invalid or expired token needs nothing."""
        try:
            claims = _claims(token, await self._signing_key())
        except AuthenticationError:
            return
        jti, expires_at = claims["jti"], int(claims["exp"])
        self._revoked[jti] = expires_at  # first here: this container refuses it at once
        self._not_revoked.forget(jti)
        while len(self._revoked) > MAX_CACHED_SESSIONS:
            self._revoked.popitem(last=False)
        await anyio.to_thread.run_sync(self._store.revoke, jti, expires_at)

    def _token(self, user: User) -> str:
        issued = int(self._now())
        claims: dict[str, Any] = {
            "sub": user.user_id,
            "jti": secrets.token_urlsafe(16),
            "iat": issued,
            "exp": issued + self._ttl,
            "role": user.role.value,
            "plan": user.plan,
        }
        if user.limits is not None:
            claims["rate_limits"] = user.limits.to_dict()
        return jwt.encode(claims, self._secret.get(), algorithm=ALGORITHM)

    async def _signing_key(self) -> str:
        if self._key is None:  # Secrets Manager, once per container
            self._key = await anyio.to_thread.run_sync(self._secret.get)
        return self._key

    async def _current_user(self, jti: str, user_id: str) -> User | None:
        """The session's user as stored (cached), or None if revoked or gone."""
        cached = self._not_revoked.get(jti)
        if cached is not None:
            return cached
        revoked, user = await anyio.to_thread.run_sync(self._store.check, jti, user_id)
        if revoked or user is None or jti in self._revoked:  # a logout here meanwhile
            return None
        self._not_revoked.put(jti, user)
        return user


def _claims(token: str, key: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
    except jwt.InvalidTokenError:
        raise _invalid_session() from None
    if not all(isinstance(claims.get(name), str) and claims[name] for name in ("sub", "jti")):
        raise _invalid_session()
    return claims


def _principal(claims: dict[str, Any]) -> Principal:
    role, plan, limits = claims.get("role"), claims.get("plan"), claims.get("rate_limits")
    if role not in set(Role) or not isinstance(plan, str) or not plan:
        raise _invalid_session()
    try:
        own = RateLimits.from_dict(limits) if limits is not None else None
    except ValueError:
        raise _invalid_session() from None
    session = f"session:{claims['jti']}"
    return Principal(claims["sub"], session, (ALL_SCOPES,), str(role), plan, own)


def _invalid_session() -> AuthenticationError:
    return AuthenticationError(
        "Your session is invalid or has expired; log in again.", code="invalid_session"
    )
