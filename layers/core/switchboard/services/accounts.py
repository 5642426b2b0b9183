"""Account use cases: users with an opening balance, credits, and their API keys.

The rules for making a user and for adding credits live here once, for the admin API
and the `switchboard` command alike: amounts are exact USD (domain/money.py), checked
before a password is hashed; a plan must exist; an adjustment never takes a balance
below zero. Every method blocks (DynamoDB, argon2): routes run them in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchboard.domain.account_changes import NewUser, UserChanges
from switchboard.domain.accounts import (
    MAX_ID_LENGTH,
    LimitReached,
    Role,
    User,
    UserChanged,
    UserDisabled,
    new_user_id,
)
from switchboard.domain.billing import BalanceTooLow
from switchboard.domain.clock import utcnow
from switchboard.domain.key_issuance import IssuedKey, issue_key
from switchboard.domain.keys import ApiKey
from switchboard.domain.limits import DEFAULT_PLAN, RateLimits
from switchboard.domain.money import format_usd, parse_usd
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
        *,
        max_keys: int = 20,
    ) -> None:
        self._accounts = accounts
        self._keys = keys
        self._ledger = ledger
        self._prefix = key_prefix
        self._plans = plans
        self.max_keys = max_keys

    def register(
        self,
        email: str,
        first_name: str,
        last_name: str,
        *,
        credits_usd: object,
        plan: str = DEFAULT_PLAN,
        role: Role = Role.USER,
        password: str | None = None,
        limits: RateLimits | None = None,
    ) -> Profile:
        """A new user with an opening balance of `credits_usd` (a USD amount as JSON gives
        it) and, if given, a password; a taken email is 409 email_taken."""
        from switchboard.services.passwords import hash_password  # argon2: accounts only

        opening = parse_usd(credits_usd, param="credits_usd")
        self._check_plan(plan)
        password_hash = hash_password(password) if password is not None else None
        new = NewUser(email, first_name, last_name, role, plan, opening, password_hash, limits)
        return Profile(self.create_user(new), opening)

    def create_user(self, new: NewUser, *, user_id: str | None = None) -> User:
        """Store a user with its opening balance; a taken email is a ConflictError."""
        self._check_plan(new.plan)
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

    def credit_usd(self, user_id: str, amount_usd: object, reason: str) -> int:
        """A top-up (> 0) or an adjustment (< 0) of `amount_usd`, a USD amount as JSON gives
        it; the new balance."""
        amount = parse_usd(amount_usd, param="amount_usd", allow_negative=True)
        if amount == 0:
            raise InvalidRequestError(
                "amount_usd must not be zero.", param="amount_usd", code="invalid_value"
            )
        if not reason.strip():
            raise InvalidRequestError(
                "reason must not be empty.", param="reason", code="invalid_value"
            )
        return self.add_credits(user_id, amount, reason.strip())

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
        expires_at: datetime | None = None,
    ) -> IssuedKey:
        """A new key with the user's role, plan and limits, counted against MaxKeysPerUser
        in the same write (409 key_limit_reached beyond it; expired keys make room)."""
        swept = False
        for _ in range(4):
            issued = issue_key(
                user_id=user.user_id, name=name, prefix=self._prefix, now=utcnow(),
                scopes=scopes, role=user.role.value, plan=user.plan, limits=user.limits,
                secret=secret, expires_at=expires_at,
            )  # fmt: skip
            try:
                self._keys.create(issued.record, user, self.max_keys)
                return issued
            except UserChanged:  # an admin changed them meanwhile: issue from the new state
                user = self.user(user.user_id)
            except UserDisabled:
                raise _disabled(user.user_id) from None
            except LimitReached as full:
                if swept or not self._revoke_expired(user.user_id):
                    raise _too_many_keys(full.count, self.max_keys) from None
                swept = True
        raise ConflictError("The user kept changing; try again.", code="conflict")

    def issue_key_for(
        self,
        user_id: str,
        name: str,
        scopes: tuple[str, ...],
        expires_at: datetime | None = None,
    ) -> IssuedKey:
        """A new key for a user, with the user's current role, plan and limits."""
        return self.issue_key(self.user(user_id), name, scopes=scopes, expires_at=expires_at)

    def keys(self, user_id: str) -> list[ApiKey]:
        """A user's usable keys, oldest first."""
        now = utcnow()
        return [key for key in self._keys.list_for_user(user_id) if key.is_usable(now)]

    def keys_page(
        self, user_id: str, *, after: str | None, limit: int
    ) -> tuple[list[ApiKey], str | None]:
        """A page of the user's usable keys, oldest first, and the cursor of the next."""
        return self._keys.page_for_user(user_id, after=after, limit=limit, now=utcnow())

    def revoke_key(self, user_id: str, key_id: str) -> ApiKey:
        """Revoke one of the user's own keys; another user's key id is not found (404)."""
        for key in self.keys(user_id):
            if key.key_id == key_id:
                self._keys.revoke_counted(key.key_hash, user_id, utcnow())
                return key
        raise NotFoundError(f"No API key with id '{key_id}'.", code="api_key_not_found")

    def change_user(self, user_id: str, changes: UserChanges) -> tuple[Profile, list[str]]:
        """An admin's change of plan, role, limits or disabled state, copied onto each of the
        user's keys: the profile, and the hashes of the keys rewritten (for the caller to
        forget from its cache). Other containers see it within KEY_CACHE_SECONDS."""
        if changes.plan is not None:
            self._check_plan(changes.plan)
        self.user(user_id)
        user = self._accounts.update(user_id, changes, utcnow())
        hashes = [key.key_hash for key in self._keys.list_for_user(user_id)
                  if key.revoked_at is None]  # fmt: skip
        for key_hash in hashes:
            self._keys.copy_owner(key_hash, user)
        return Profile(user, self._ledger.balance(user_id)), hashes

    def users(self, *, after: str | None, limit: int) -> tuple[list[User], str | None]:
        """A page of every user (admins), and the cursor of the next."""
        if after is not None and (len(after) > MAX_ID_LENGTH or not after.isprintable()):
            raise InvalidRequestError(
                "after is not a cursor this list gave.", param="after", code="invalid_cursor"
            )
        return self._accounts.list_users(after=after, limit=limit)

    def _revoke_expired(self, user_id: str) -> bool:
        """Revoke the user's expired keys (they hold places in the count); whether any."""
        now = utcnow()
        expired = [
            key for key in self._keys.list_for_user(user_id) if key.refusal(now) == "expired"
        ]
        for key in expired:
            self._keys.revoke_counted(key.key_hash, user_id, now)
        return bool(expired)

    def _check_plan(self, plan: str) -> None:
        if plan not in self._plans:
            raise InvalidRequestError(
                f"Unknown plan '{plan}'; plans are {', '.join(sorted(self._plans))}.",
                param="plan",
                code="invalid_value",
            )

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


def _too_many_keys(count: int, bound: int) -> ConflictError:
    return ConflictError(
        f"You have {count} API keys, the most a user may hold ({bound}); revoke one first.",
        code="key_limit_reached",
    )


def _disabled(user_id: str) -> ConflictError:
    return ConflictError(f"User '{user_id}' is disabled; enable them first.", code="user_disabled")
