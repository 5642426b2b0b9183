"""Who calls: accounts, API keys, sessions and their secret, apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import date, datetime

    from switchboard.domain.account_changes import UserChanges
    from switchboard.domain.accounts import User
    from switchboard.domain.apps import App, AppConfig, UsageRow
    from switchboard.domain.keys import ApiKey


class AccountRepository(Protocol):
    """Users, one per email address, each with an account for their balance."""

    def create(self, user: User, opening_balance_micro_usd: int, password_hash: str | None) -> None:
        """The user, their email claim and their opening balance, all or nothing;
        ConflictError (email_taken) when the email has a user already."""
        ...

    def get(self, user_id: str) -> User | None: ...

    def find_by_email(self, email: str) -> tuple[User, str | None] | None:
        """The user with that email, and their password hash (None: no password)."""
        ...

    def update(self, user_id: str, changes: UserChanges, now: datetime) -> User:
        """Apply an admin's changes (one more revision); NotFoundError if absent."""
        ...

    def list_users(self, *, after: str | None, limit: int) -> tuple[list[User], str | None]:
        """A page of users and the id to go on after (None: the last page)."""
        ...


class KeyRepository(Protocol):
    """API keys, found by the hash of their secret."""

    def get_by_hash(self, key_hash: str) -> ApiKey | None: ...

    def put(self, key: ApiKey) -> None: ...

    def list_for_user(self, user_id: str) -> list[ApiKey]:
        """A user's keys, oldest first, revoked ones included."""
        ...

    def revoke(self, key_hash: str, when: datetime) -> None: ...

    def create(self, key: ApiKey, owner: User, bound: int) -> None:
        """Store a key counted on its owner (LimitReached, UserDisabled, UserChanged)."""
        ...

    def revoke_counted(self, key_hash: str, user_id: str, when: datetime) -> None: ...

    def copy_owner(self, key_hash: str, owner: User) -> None: ...

    def page_for_user(
        self, user_id: str, *, after: str | None, limit: int, now: datetime
    ) -> tuple[list[ApiKey], str | None]: ...


class SessionRepository(Protocol):
    """Logged-out sessions, until their tokens expire."""

    def revoke(self, jti: str, expires_at: int) -> None: ...

    def is_revoked(self, jti: str) -> bool: ...

    def check(self, jti: str, user_id: str) -> tuple[bool, User | None]:
        """Whether the session is revoked, and its user as stored now: one read."""
        ...


class Secret(Protocol):
    """A secret value, fetched once when first needed."""

    def get(self) -> str: ...


class AppRepository(Protocol):
    """Apps, their config, and the usage counters settlement adds to."""

    def create(self, app: App) -> None: ...

    def get(self, app_id: str) -> App | None: ...

    def list_for_owner(self, owner_id: str) -> list[App]: ...

    def put_config(self, app_id: str, config: AppConfig) -> None: ...

    def usage(self, app_id: str, start: date, end: date) -> list[UsageRow]: ...

    def create_counted(self, app: App, bound: int) -> None:
        """Store an app counted on its owner (LimitReached, UserDisabled)."""
        ...

    def rename(self, app_id: str, name: str) -> None: ...

    def delete(self, app: App, when: datetime) -> None: ...

    def page_for_owner(
        self, owner_id: str, *, after: str | None, limit: int
    ) -> tuple[list[App], str | None]: ...
