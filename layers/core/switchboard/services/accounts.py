"""Account use cases: users with an opening balance, credits, and their API keys."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.domain.accounts import MAX_ID_LENGTH, NewUser, User, new_user_id
from switchboard.domain.billing import BalanceTooLow
from switchboard.domain.clock import utcnow
from switchboard.domain.keys import ApiKey, IssuedKey, issue_key
from switchboard.domain.limits import RateLimits
from switchboard.domain.money import format_usd
from switchboard.domain.principals import ALL_SCOPES
from switchboard.errors import ConflictError, InvalidRequestError, NotFoundError
from switchboard.ports import AccountRepository, KeyRepository, Ledger


@dataclass(frozen=True, slots=True)
class Profile:
    user: User
    balance_micro_usd: int


class AccountService:
    def __init__(
        self,
        accounts: AccountRepository,
        keys: KeyRepository,
        ledger: Ledger,
        key_prefix: str,
        plans: dict[str, RateLimits],
    ) -> None:
        self._accounts = accounts
        self._keys = keys
        self._ledger = ledger
        self._prefix = key_prefix
        self._plans = plans

    def create_user(self, new: NewUser, *, user_id: str | None = None) -> User:
        """Store a user with its opening balance; a taken email is a ConflictError."""
        if new.plan not in self._plans:
            raise InvalidRequestError(
                f"Unknown plan '{new.plan}'; plans are {', '.join(sorted(self._plans))}.",
                param="plan",
                code="invalid_value",
            )
        user = User(
            user_id=user_id or new_user_id(),
            email=new.email.strip(),
            first_name=new.first_name,
            last_name=new.last_name,
            role=new.role,
            plan=new.plan,
            created_at=utcnow(),
            limits=new.limits,
        )
        self._accounts.create(user, new.opening_balance_micro_usd, new.password_hash)
        return user

    def user(self, user_id: str) -> User:
        user = self._accounts.get(user_id) if len(user_id) <= MAX_ID_LENGTH else None
        if user is None:
            raise NotFoundError(f"No user with id '{user_id}'.", code="user_not_found")
        return user

    def profile(self, user_id: str) -> Profile:
        return Profile(self.user(user_id), self._ledger.balance(user_id))

    def add_credits(self, user_id: str, amount_micro_usd: int, reason: str) -> int:
        """A top-up (positive) or an adjustment (negative, never below zero); the new balance."""
        self.user(user_id)
        kind = "top_up" if amount_micro_usd > 0 else "adjustment"
        try:
            self._ledger.credit(user_id, amount_micro_usd, kind=kind, reason=reason, now=utcnow())
        except BalanceTooLow as low:
            raise ConflictError(
                f"The balance is ${format_usd(low.available)}; an adjustment of "
                f"${format_usd(amount_micro_usd)} would take it below zero.",
                param="amount_usd",
                code="balance_too_low",
            ) from None
        return self._ledger.balance(user_id)

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
            limits=user.limits,
            secret=secret,
        )
        self._keys.put(issued.record)
        return issued

    def keys(self, user_id: str) -> list[ApiKey]:
        """A user's usable keys, oldest first."""
        now = utcnow()
        return [key for key in self._keys.list_for_user(user_id) if key.is_usable(now)]

    def revoke_key(self, user_id: str, key_id: str) -> ApiKey:
        """Revoke one of the user's own keys; another user's key id is not found (404)."""
        for key in self.keys(user_id):
            if key.key_id == key_id:
                self._keys.revoke(key.key_hash, utcnow())
                return key
        raise NotFoundError(f"No API key with id '{key_id}'.", code="api_key_not_found")

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
