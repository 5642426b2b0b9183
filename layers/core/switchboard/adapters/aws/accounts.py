"""DynamoAccountRepository: users and their email claims (keys: table.py).

    USER#<user_id> / PROFILE     the user
    EMAIL#<email> / EMAIL        one user per email address
    USER#<user_id> / ACCOUNT     the balance (and what ledger.py and limits.py keep there)

A new user, its email claim, its account with the opening balance and the ledger entry for
it are written in one transaction: all or nothing. Balances change afterwards only through
ledger.py.

The profile also counts the user's keys and apps (`key_count`, `app_count`): a key or an app
is written in one transaction with `ADD <count> 1` under the condition that the count is
below the bound, the user is not disabled and not changed since it was read (`revision`):
`counted` builds that update, `refusal` tells why it failed, and `put_counted` writes a new
item (marked `counted`) with it. Removing one takes 1 off.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    conditional_update,
    from_item,
    to_item,
    transact,
    translated_errors,
)
from switchboard.adapters.aws.ledger_items import BALANCE, ENTRY_COUNT, ledger_item
from switchboard.domain.accounts import (
    LedgerEntry,
    LimitReached,
    Role,
    User,
    UserChanged,
    UserDisabled,
    new_entry_id,
)
from switchboard.domain.limits import RateLimits
from switchboard.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from switchboard.domain.account_changes import UserChanges

KEY_COUNT, APP_COUNT, REVISION, DISABLED = "key_count", "app_count", "revision", "disabled_at"
COUNTED = "counted"  # on a key or app: it is in its owner's key_count or app_count


class DynamoAccountRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(
        self, user: User, opening_balance_micro_usd: int, password_hash: str | None = None
    ) -> None:
        entry = LedgerEntry(
            entry_id=new_entry_id(user.created_at),
            user_id=user.user_id,
            kind="top_up",
            amount_micro_usd=opening_balance_micro_usd,
            created_at=user.created_at,
            reason="opening balance",
        )
        items = [
            _profile_item(user) | {"password_hash": password_hash},
            _keyed(table.email_claim(user.email), {"user_id": user.user_id}),
            _keyed(table.account(user.user_id), {BALANCE: entry.amount_micro_usd, ENTRY_COUNT: 1}),
            ledger_item(entry),
        ]
        taken = f"The email {user.email} is already taken."
        with translated_errors(taken, param="email", code="email_taken"):
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(item),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    }
                    for item in items
                ]
            )

    def get(self, user_id: str) -> User | None:
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=table.profile(user_id))
        item = response.get("Item")
        return user_from(from_item(item)) if item else None

    def find_by_email(self, email: str) -> tuple[User, str | None] | None:
        """The user owning an email address, with its argon2id hash (None: no password)."""
        with translated_errors():
            claim = self._client.get_item(TableName=self._table, Key=table.email_claim(email)).get(
                "Item"
            )
            if not claim:
                return None
            item = self._client.get_item(
                TableName=self._table, Key=table.profile(table.plain(claim["user_id"]))
            ).get("Item")
        if not item:
            return None
        values = from_item(item)
        return user_from(values), values.get("password_hash")

    def update(self, user_id: str, changes: UserChanges, now: datetime) -> User:
        """Apply an admin's changes, counting one more revision; NotFoundError if absent."""
        update = Update(table.profile(user_id)).add(REVISION, 1)
        update.condition("attribute_exists(PK)")
        if changes.plan is not None:
            update.set("plan", changes.plan)
        if changes.role is not None:
            update.set("role", changes.role.value)
        if changes.clear_limits:
            update.remove("rate_limits")
        elif changes.limits is not None:
            update.set("rate_limits", changes.limits.to_dict())
        if changes.disabled is True:
            update.set(DISABLED, now.isoformat(), if_absent=True)
        elif changes.disabled is False:
            update.remove(DISABLED)
        try:
            values = conditional_update(self._client, self._table, update, returns="ALL_NEW")
        except ConditionFailed:
            raise NotFoundError(f"No user with id '{user_id}'.", code="user_not_found") from None
        return user_from(values)

    def list_users(self, *, after: str | None, limit: int) -> tuple[list[User], str | None]:
        """Users in no particular order, a page at a time (admins; a filtered scan): the
        page and the id to go on after, if there may be more."""
        users: list[User] = []
        start = table.profile(after) if after else None
        while len(users) < limit:
            request: dict[str, Any] = {
                "TableName": self._table, "FilterExpression": "SK = :profile",
                "ExpressionAttributeValues": {":profile": {"S": "PROFILE"}},
                "Limit": 200,
            }  # fmt: skip
            if start:
                request["ExclusiveStartKey"] = start
            with translated_errors():
                response = self._client.scan(**request)
            for item in response.get("Items", []):
                users.append(user_from(from_item(item)))
                if len(users) == limit:
                    return users, users[-1].user_id
            start = response.get("LastEvaluatedKey")
            if not start:
                return users, None
        return users, users[-1].user_id if users else None


def counted(user_id: str, counter: str, bound: int, revision: int | None = None) -> Update:
    """The profile's update that counts one more key or app of a user: refused if the count
    is at `bound`, the user is disabled or gone, or (with `revision`: a key, which copies the
    user) changed since it was read."""
    update = Update(table.profile(user_id)).add(counter, 1)
    update.condition("attribute_exists(PK) AND attribute_not_exists({0})", DISABLED)
    update.condition("attribute_not_exists({0}) OR {0} < {bound}", counter, bound=bound)
    if revision is None:
        return update
    if revision:
        return update.condition("{0} = {revision}", REVISION, revision=revision)
    return update.condition("attribute_not_exists({0})", REVISION)


def put_counted(
    client: Any, table_name: str, values: dict[str, Any], owner_id: str, counter: str,
    bound: int, *, conflict: str, revision: int | None = None,
) -> None:  # fmt: skip
    """Write a new item marked `counted` in one transaction with `counted`: ConflictError
    (`conflict`) if it exists, else `refusal`'s exception if the count refused it."""
    put = {"Put": {"Item": to_item(values | {COUNTED: True}),
                   "ConditionExpression": "attribute_not_exists(PK)"}}  # fmt: skip
    try:
        transact(client, table_name, [counted(owner_id, counter, bound, revision), put])
    except Cancelled as cancelled:
        if cancelled.failed(1):
            raise ConflictError(conflict) from None
        raise refusal(cancelled.old(0), owner_id, counter, bound) from None


def uncounted(user_id: str, counter: str) -> Update:
    """The profile's update that counts one key or app less (one counted before)."""
    update = Update(table.profile(user_id)).add(counter, -1)
    return update.condition("{0} > {zero}", counter, zero=0)


def refusal(old: dict[str, Any], user_id: str, counter: str, bound: int) -> Exception:
    """Why `counted` failed, from the profile as the write found it."""
    if not old:
        return NotFoundError(f"No user with id '{user_id}'.", code="user_not_found")
    if DISABLED in old:
        return UserDisabled()
    if int(old.get(counter, 0)) < bound:
        return UserChanged()
    return LimitReached(int(old.get(counter, 0)))


def _keyed(key: table.Key, values: dict[str, Any]) -> dict[str, Any]:
    return table.plain_key(key) | values


def _profile_item(user: User) -> dict[str, Any]:
    return _keyed(table.profile(user.user_id), {
        "type": "user",
        "user_id": user.user_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role.value,
        "plan": user.plan,
        "created_at": user.created_at.isoformat(),
        "rate_limits": user.limits.to_dict() if user.limits else None,
    })  # fmt: skip


def user_from(values: dict[str, Any]) -> User:
    return User(
        user_id=values["user_id"],
        email=values["email"],
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        role=Role(values.get("role", "user")),
        plan=values.get("plan", "maker"),
        created_at=datetime.fromisoformat(values["created_at"]),
        limits=RateLimits.from_dict(values["rate_limits"]) if values.get("rate_limits") else None,
        disabled=bool(values.get(DISABLED)),
        revision=int(values.get(REVISION, 0)),
    )
