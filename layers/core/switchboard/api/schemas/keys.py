"""API keys: POST /user/apikeys {label}, POST /api-keys and /admin/users/{id}/apikeys
{name, scopes}, and how keys look in their answers.

A key's secret appears only in the answer that issued it, and its hash never.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from switchboard.api.schemas.accounts import unix_seconds
from switchboard.domain.key_issuance import IssuedKey
from switchboard.domain.keys import ApiKey
from switchboard.domain.principals import KEY_SCOPES

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The two key families name the same stored field differently.
NameField = Literal["label", "name"]


class KeyExpiry(BaseModel):
    """A new key's expiry (domain/key_issuance.key_expiry judges it): unix seconds, or days from
    now; neither: the key never expires."""

    expires_at: Annotated[int, Field(ge=0)] | None = None
    expires_in_days: int | None = None


class LabelledKeyRequest(KeyExpiry):
    model_config = ConfigDict(extra="forbid")

    label: KeyName


class ScopedKeyRequest(KeyExpiry):
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    scopes: list[str]

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        if tuple(scopes) not in KEY_SCOPES:
            allowed = " or ".join(str(list(option)) for option in KEY_SCOPES)
            raise ValueError(f"scopes must be exactly {allowed}")
        return scopes


def issued_key_view(issued: IssuedKey, name_field: NameField) -> dict[str, Any]:
    """A new key, with its secret: shown this once. /user/apikeys shows no scopes."""
    key = issued.record
    view: dict[str, Any] = {"id": key.key_id, "object": "api_key", "key": issued.secret}
    view[name_field] = key.name
    if name_field == "name":
        view["scopes"] = list(key.scopes)
    view["created_at"] = unix_seconds(key.created_at)
    view["expires_at"] = unix_seconds(key.expires_at) if key.expires_at else None
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
        "expires_at": unix_seconds(key.expires_at) if key.expires_at else None,
    }


def key_list_view(
    keys: list[ApiKey], name_field: NameField, cursor: str | None = None
) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [key_view(key, name_field) for key in keys],
        "has_more": cursor is not None,
        "next_cursor": cursor,
    }


def deleted_key_view(key: ApiKey) -> dict[str, Any]:
    return {"id": key.key_id, "object": "api_key", "deleted": True}
