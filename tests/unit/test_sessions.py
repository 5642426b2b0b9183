"""Login sessions: the JWT's claims, every way a token is refused, revocation, and passwords.

No sockets: the session store here is in memory (tests/adapters/test_dynamo_sessions.py runs
the same contract on DynamoDB), the account lookup a dictionary.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from switchboard.domain.accounts import Role, User
from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import Principal
from switchboard.errors import AuthenticationError
from switchboard.services.passwords import hash_password, verify_password
from switchboard.services.sessions import SessionService
from tests.support.clock import Clock

pytestmark = pytest.mark.anyio
KEY = "k" * 64
OTHER_KEY = "o" * 64
PASSWORD = "correct horse battery staple"
USER = User(
    "usr_1",
    "ada@example.com",
    "Ada",
    "Lovelace",
    Role.ADMIN,
    "enterprise",
    datetime(2026, 1, 1, tzinfo=UTC),
    RateLimits(600, 1_000_000),
)


class MemorySessionStore:
    """DynamoSessionRepository's contract, in memory."""

    def __init__(self) -> None:
        self.revoked: dict[str, int] = {}
        self.reads = 0
        self.users: dict[str, User] = {USER.user_id: USER}

    def revoke(self, jti: str, expires_at: int) -> None:
        self.revoked[jti] = expires_at

    def is_revoked(self, jti: str) -> bool:
        self.reads += 1
        return jti in self.revoked

    def check(self, jti: str, user_id: str) -> tuple[bool, User | None]:
        """The revocation and the user as stored (here: the users of this module)."""
        self.reads += 1
        return jti in self.revoked, self.users.get(user_id)


class Accounts:
    def __init__(self, *users: tuple[User, str | None]) -> None:
        self._by_email = {user.email: (user, stored) for user, stored in users}

    def find_by_email(self, email: str) -> tuple[User, str | None] | None:
        return self._by_email.get(email.strip().lower())


class Key:
    def get(self) -> str:
        return KEY


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def store() -> MemorySessionStore:
    return MemorySessionStore()


def service(
    store: MemorySessionStore, password_hash: str | None = None, clock: Clock | None = None
) -> SessionService:
    return SessionService(
        Accounts((USER, password_hash)),
        store,
        Key(),
        ttl_seconds=900,
        cache_seconds=30,
        clock=clock or Clock(),
    )


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {"sub": "usr_1", "jti": "j1", "iat": now, "exp": now + 60, "role": "user"}
    values |= {"plan": "maker"}
    return {k: v for k, v in (values | changes).items() if v is not None}


async def refused(sessions: SessionService, token: str) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await sessions.principal(token)
    assert caught.value.code == "invalid_session"
    return caught.value


async def test_login_issues_a_signed_short_lived_token(
    store: MemorySessionStore, password_hash: str
) -> None:
    token, user = service(store, password_hash).login(" ADA@example.com ", PASSWORD)
    assert user == USER
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    values = jwt.decode(token, KEY, algorithms=["HS256"])
    assert values["exp"] - values["iat"] == 900
    assert abs(values["iat"] - time.time()) < 5
    assert (values["sub"], values["role"], values["plan"]) == ("usr_1", "admin", "enterprise")
    assert values["rate_limits"] == {"requests_per_minute": 600, "tokens_per_minute": 1_000_000}
    assert len(values["jti"]) >= 16
    assert service(store, password_hash).login(USER.email, PASSWORD)[0] != token  # fresh jti


async def test_a_valid_token_is_the_users_principal(
    store: MemorySessionStore, password_hash: str
) -> None:
    sessions = service(store, password_hash)
    token, _ = sessions.login(USER.email, PASSWORD)
    jti = jwt.decode(token, KEY, algorithms=["HS256"])["jti"]
    principal = await sessions.principal(token)
    assert principal == Principal(
        "usr_1", f"session:{jti}", ("*",), "admin", "enterprise", RateLimits(600, 1_000_000)
    )
    # the stored user wins over the token's claims: an admin's change reaches sessions
    plain = await sessions.principal(jwt.encode(claims(), KEY, algorithm="HS256"))
    assert (plain.role, plain.plan) == ("admin", "enterprise")


@pytest.mark.parametrize(
    ("stored", "email", "password"),
    [
        ("hash", USER.email, "wrong password"),
        ("hash", "nobody@example.com", PASSWORD),
        (None, USER.email, PASSWORD),  # a user without a password cannot log in
    ],
)
async def test_wrong_credentials_are_refused_alike(
    store: MemorySessionStore, password_hash: str, stored: str | None, email: str, password: str
) -> None:
    sessions = service(store, password_hash if stored else None)
    with pytest.raises(AuthenticationError) as caught:
        sessions.login(email, password)
    assert (caught.value.message, caught.value.code) == (
        "Incorrect email or password.",
        "invalid_credentials",
    )


async def test_alg_none_is_refused(store: MemorySessionStore) -> None:
    await refused(service(store), jwt.encode(claims(), None, algorithm="none"))


async def test_wrong_signature_and_other_algorithms_are_refused(store: MemorySessionStore) -> None:
    await refused(service(store), jwt.encode(claims(), OTHER_KEY, algorithm="HS256"))
    await refused(service(store), jwt.encode(claims(), KEY, algorithm="HS512"))
    good = jwt.encode(claims(), KEY, algorithm="HS256")
    header, payload, signature = good.split(".")
    tampered = jwt.encode(claims(role="admin"), KEY, algorithm="HS256").split(".")[1]
    await refused(service(store), f"{header}.{tampered}.{signature}")
    assert payload != tampered


async def test_expired_tokens_are_refused(store: MemorySessionStore) -> None:
    now = int(time.time())
    await refused(service(store), jwt.encode(claims(iat=now - 120, exp=now - 1), KEY))


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": None},
        {"iat": None},
        {"sub": None},
        {"jti": None},
        {"role": None},
        {"role": "owner"},
        {"plan": None},
        {"sub": ""},
        {"iat": int(time.time()) + 3600},  # issued in the future
        {"rate_limits": {"requests_per_minute": 0, "tokens_per_minute": 1}},
    ],
    # Stable ids: xdist workers collect at different moments, and must agree.
    ids=lambda changes: "iat-in-the-future" if (changes.get("iat") or 0) > 0 else str(changes),
)
async def test_missing_or_wrong_claims_are_refused(
    store: MemorySessionStore, changes: dict[str, Any]
) -> None:
    await refused(service(store), jwt.encode(claims(**changes), KEY, algorithm="HS256"))


async def test_garbage_is_refused(store: MemorySessionStore) -> None:
    for token in ("", "not-a-jwt", "a.b.c", KEY):
        await refused(service(store), token)


async def test_logout_revokes_until_the_token_expires(store: MemorySessionStore) -> None:
    sessions = service(store)
    values = claims(jti="to-revoke")
    token = jwt.encode(values, KEY, algorithm="HS256")
    await sessions.principal(token)
    await sessions.logout(token)
    assert store.revoked == {"to-revoke": values["exp"]}
    await refused(sessions, token)
    await refused(service(store), token)  # a fresh container reads the revocation


async def test_not_revoked_is_cached_for_at_most_cache_seconds(store: MemorySessionStore) -> None:
    clock = Clock()
    elsewhere, here = service(store), service(store, clock=clock)
    token = jwt.encode(claims(jti="cached"), KEY, algorithm="HS256")
    for _ in range(3):
        await here.principal(token)
    assert store.reads == 1
    await elsewhere.logout(token)  # another container
    clock.now += 29
    await here.principal(token)
    clock.now += 2
    await refused(here, token)


async def test_logout_of_an_invalid_token_does_nothing(store: MemorySessionStore) -> None:
    sessions = service(store)
    await sessions.logout("not-a-jwt")
    await sessions.logout(jwt.encode(claims(), OTHER_KEY, algorithm="HS256"))
    assert store.revoked == {}


def test_passwords_are_argon2id_and_verified(password_hash: str) -> None:
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    assert verify_password(PASSWORD, password_hash)
    assert not verify_password("wrong", password_hash)
    assert not verify_password(PASSWORD, None)
    assert not verify_password(PASSWORD, "not-a-hash")
    assert hash_password(PASSWORD) != password_hash  # salted
