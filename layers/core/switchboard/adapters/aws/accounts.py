"""DynamoAccountRepository: users, their email claims, balances and ledger entries.

    PK = USER#<user_id>   SK = PROFILE                      the user
    PK = EMAIL#<email>    SK = EMAIL                        one user per email address
    PK = USER#<user_id>   SK = BALANCE                      balance_micro_usd, entry_count
    PK = USER#<user_id>   SK = LEDGER#<entry_id>            append-only ledger entries

A new user, its email claim, its opening balance and the ledger entry for it are written in
one transaction: all or nothing. Balances change afterwards only through ledger.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
from switchboard.adapters.aws.ledger_items import ledger_item
from switchboard.domain.accounts import LedgerEntry, Role, User, new_entry_id
from switchboard.domain.plans import RateLimits


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
            _email_item(user),
            _balance_item(user, entry),
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
            response = self._client.get_item(
                TableName=self._table,
                Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}},
            )
        item = response.get("Item")
        return _user_from(from_item(item)) if item else None

    def find_by_email(self, email: str) -> tuple[User, str | None] | None:
        """The user owning an email address, with its argon2id hash (None: no password)."""
        with translated_errors():
            claim = self._client.get_item(
                TableName=self._table,
                Key={"PK": {"S": f"EMAIL#{email.strip().lower()}"}, "SK": {"S": "EMAIL"}},
            ).get("Item")
            if not claim:
                return None
            item = self._client.get_item(
                TableName=self._table,
                Key={"PK": {"S": f"USER#{claim['user_id']['S']}"}, "SK": {"S": "PROFILE"}},
            ).get("Item")
        if not item:
            return None
        values = from_item(item)
        return _user_from(values), values.get("password_hash")


def _profile_item(user: User) -> dict[str, Any]:
    return {
        "PK": f"USER#{user.user_id}",
        "SK": "PROFILE",
        "type": "user",
        "user_id": user.user_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role.value,
        "plan": user.plan,
        "created_at": user.created_at.isoformat(),
        "rate_limits": user.limits.to_dict() if user.limits else None,
    }


def _email_item(user: User) -> dict[str, Any]:
    return {"PK": f"EMAIL#{user.email.lower()}", "SK": "EMAIL", "user_id": user.user_id}


def _balance_item(user: User, entry: LedgerEntry) -> dict[str, Any]:
    return {
        "PK": f"USER#{user.user_id}",
        "SK": "BALANCE",
        "balance_micro_usd": entry.amount_micro_usd,
        "entry_count": 1,
    }


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
