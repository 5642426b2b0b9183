"""How accounts and API keys look in responses: one place for the shapes the routes share.

Times are unix seconds, as OpenAI shows them; money is a six-decimal USD string. A key's
secret appears only in the answer that issued it, and its hash never.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from switchboard.domain.keys import ApiKey, IssuedKey
from switchboard.domain.money import format_usd, token_balance
from switchboard.services.accounts import Profile

# The two key families name the same stored field differently.
NameField = Literal["label", "name"]


def user_view(profile: Profile) -> dict[str, Any]:
    """The user as GET /auth/me shows it."""
    user = profile.user
    return {
        "id": user.user_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role.value,
        "plan": user.plan,
        "token_balance": token_balance(profile.balance_micro_usd),
        "credits_usd": format_usd(profile.balance_micro_usd),
        "created_at": unix_seconds(user.created_at),
    }


def credits_view(user_id: str, balance_micro_usd: int) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "credits_usd": format_usd(balance_micro_usd),
        "token_balance": token_balance(balance_micro_usd),
    }


def issued_key_view(issued: IssuedKey, name_field: NameField) -> dict[str, Any]:
    """A new key, with its secret: shown this once. /user/apikeys shows no scopes."""
    key = issued.record
    view: dict[str, Any] = {"id": key.key_id, "object": "api_key", "key": issued.secret}
    view[name_field] = key.name
    if name_field == "name":
        view["scopes"] = list(key.scopes)
    view["created_at"] = unix_seconds(key.created_at)
    return view


def key_view(key: ApiKey, name_field: NameField) -> dict[str, Any]:
    """A listed key: what identifies it to its owner, never the secret or its hash."""
    return {
        "id": key.key_id,
        "object": "api_key",
        name_field: key.name,
        "prefix": key.prefix,
        "last4": key.last4,
        "scopes": list(key.scopes),
        "created_at": unix_seconds(key.created_at),
    }


def key_list_view(keys: list[ApiKey], name_field: NameField) -> dict[str, Any]:
    return {"object": "list", "data": [key_view(key, name_field) for key in keys]}


def deleted_key_view(key: ApiKey) -> dict[str, Any]:
    return {"id": key.key_id, "object": "api_key", "deleted": True}


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
