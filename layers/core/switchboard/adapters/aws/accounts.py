"""DynamoAccountRepository: users and their email claims (keys: table.py).

    USER#<user_id> / PROFILE     the user
    EMAIL#<email> / EMAIL        one user per email address
    USER#<user_id> / ACCOUNT     the balance (and what ledger.py and limits.py keep there)

A new user, its email claim, its account with the opening balance and the ledger entry for
it are written in one transaction: all or nothing. Balances change afterwards only through
ledger.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
from switchboard.adapters.aws.ledger_items import BALANCE, ENTRY_COUNT, ledger_item
from switchboard.domain.accounts import LedgerEntry, Role, User, new_entry_id
from switchboard.domain.limits import RateLimits


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
        return _user_from(from_item(item)) if item else None

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
        return _user_from(values), values.get("password_hash")


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


def _user_from(values: dict[str, Any]) -> User:
    return User(
        user_id=values["user_id"],
        email=values["email"],
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        role=Role(values.get("role", "user")),
        plan=values.get("plan", "maker"),
        created_at=datetime.fromisoformat(values["created_at"]),
        limits=RateLimits.from_dict(values["rate_limits"]) if values.get("rate_limits") else None,
    )
