"""Account use cases: create users with an opening balance, issue their API keys."""

from __future__ import annotations

from switchboard.adapters.aws.accounts import DynamoAccountRepository
from switchboard.domain.accounts import NewUser, User, new_user_id
from switchboard.domain.keys import ALL_SCOPES, IssuedKey, issue_key, utcnow
from switchboard.errors import ConflictError
from switchboard.ports import KeyRepository


class AccountService:
    def __init__(
        self, accounts: DynamoAccountRepository, keys: KeyRepository, key_prefix: str
    ) -> None:
        self._accounts = accounts
        self._keys = keys
        self._prefix = key_prefix

    def create_user(self, new: NewUser, *, user_id: str | None = None) -> User:
        """Store a user with its opening balance; a taken email is a ConflictError."""
        user = User(
            user_id=user_id or new_user_id(),
            email=new.email,
            first_name=new.first_name,
            last_name=new.last_name,
            role=new.role,
            plan=new.plan,
            created_at=utcnow(),
        )
        self._accounts.create(user, new.opening_balance_micro_usd)
        return user

    def issue_key(
        self,
        user: User,
        name: str,
        *,
        secret: str | None = None,
        scopes: tuple[str, ...] = (ALL_SCOPES,),
    ) -> IssuedKey:
        issued = issue_key(
            user_id=user.user_id,
            name=name,
            prefix=self._prefix,
            now=utcnow(),
            scopes=scopes,
            role=user.role.value,
            plan=user.plan,
            secret=secret,
        )
        self._keys.put(issued.record)
        return issued

    def ensure_user(self, user_id: str, new: NewUser) -> User:
        """The user with this id, created if absent (idempotent, for fixed development users)."""
        existing = self._accounts.get(user_id)
        if existing is not None:
            return existing
        try:
            return self.create_user(new, user_id=user_id)
        except ConflictError:  # another platform on the same emulator made it first
            found = self._accounts.get(user_id)
            if found is None:
                raise
            return found
