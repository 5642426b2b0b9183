"""DynamoAppRepository: apps, their config, and the usage counters billing writes for them
(keys: table.py).

    APP#<app_id> / APP                    the app; config absent until a PUT
                                          GSI1: USER#<owner_id> / APP#<created_at>#<app_id>
    APP#<app_id> / USAGE#<day>#<model>    tokens, cost_micro_usd, requests (ADD at
                                          settlement, in ledger.py)

An app made through the API is counted on its owner's profile in the same transaction
(`app_count`, under MaxAppsPerUser: accounts.counted). Deleting it keeps the item (and its
usage counters) with `deleted_at`, out of the owner's list, and takes it off the count.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.accounts import APP_COUNT, put_counted, uncounted
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    Update,
    from_item,
    to_attr,
    to_item,
    transact,
    translated_errors,
)
from switchboard.adapters.aws.owner_pages import owner_page
from switchboard.domain.apps import App, AppConfig, UsageRow, app_not_found
from switchboard.errors import ConflictError

# "tokens", "requests", "day", "model", "name" are DynamoDB reserved words: always aliased.
_USAGE_NAMES = {"#day": "day", "#model": "model", "#tokens": "tokens", "#requests": "requests"}


class DynamoAppRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, app: App) -> None:
        with translated_errors(f"An app with id {app.app_id} already exists."):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_to_item(app)),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def create_counted(self, app: App, bound: int) -> None:
        """Store a new app counted on its owner, if they own fewer than `bound`:
        LimitReached, UserDisabled or NotFoundError otherwise."""
        put_counted(
            self._client, self._table, _to_item(app), app.owner_id, APP_COUNT, bound,
            conflict=f"An app with id {app.app_id} already exists.",
        )  # fmt: skip

    def rename(self, app_id: str, name: str) -> None:
        """Give a live app a new name; NotFoundError if it is gone or deleted."""
        update = Update(table.app(app_id)).set("name", name)
        update.condition("attribute_exists(PK) AND attribute_not_exists({0})", "deleted_at")
        try:
            transact(self._client, self._table, [update])
        except Cancelled:
            raise app_not_found(app_id) from None

    def delete(self, app: App, when: datetime) -> None:
        """Mark the app deleted (once) and off its owner's list and count; its item and
        usage counters stay for the owner's history."""
        mark = Update(table.app(app.app_id)).set("deleted_at", when.isoformat())
        mark.remove("GSI1PK").remove("GSI1SK")
        mark.condition("attribute_exists(PK) AND attribute_not_exists({0})", "deleted_at")
        try:
            transact(self._client, self._table, [mark, uncounted(app.owner_id, APP_COUNT)])
        except Cancelled as cancelled:
            if cancelled.failed(0):
                raise app_not_found(app.app_id) from None
            transact(self._client, self._table, [mark])  # not counted (made before the bound)

    def page_for_owner(
        self, owner_id: str, *, after: str | None, limit: int
    ) -> tuple[list[App], str | None]:
        """A page of the owner's live apps, oldest first, and the cursor after it."""
        return owner_page(
            self._client, self._table, owner_id, "APP", after=after, limit=limit,
            read=_from_item, keep=lambda app: app.deleted_at is None,
        )  # fmt: skip

    def get(self, app_id: str) -> App | None:
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=table.app(app_id))
        item = response.get("Item")
        return _from_item(from_item(item)) if item else None

    def list_for_owner(self, owner_id: str) -> list[App]:
        """An owner's apps, oldest first."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=table.OWNER_INDEX,
            KeyConditionExpression="GSI1PK = :owner AND begins_with(GSI1SK, :apps)",
            ExpressionAttributeValues={
                ":owner": {"S": table.user_pk(owner_id)},
                ":apps": {"S": "APP#"},
            },
        )
        with translated_errors():
            return [_from_item(from_item(item)) for page in pages for item in page["Items"]]

    def put_config(self, app_id: str, config: AppConfig) -> None:
        """Replace the app's whole config; NotFoundError if the app is gone."""
        try:
            with translated_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=table.app(app_id),
                    UpdateExpression="SET #config = :config",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeNames={"#config": "config"},
                    ExpressionAttributeValues={":config": to_attr(_config_map(config))},
                )
        except ConflictError:
            raise app_not_found(app_id) from None

    def usage(self, app_id: str, start: date, end: date) -> list[UsageRow]:
        """Every usage counter of the app from start to end (UTC days, both included)."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :app AND SK BETWEEN :from AND :to",
            ProjectionExpression="SK, #day, #model, #tokens, cost_micro_usd, #requests",
            ExpressionAttributeNames=_USAGE_NAMES,
            ExpressionAttributeValues={
                ":app": table.app(app_id)["PK"],
                ":from": {"S": f"USAGE#{start.isoformat()}"},
                ":to": {"S": f"USAGE#{end.isoformat()}~"},  # "~" sorts after any model id
            },
        )
        with translated_errors():
            return [_usage_from(from_item(item)) for page in pages for item in page["Items"]]


def _to_item(app: App) -> dict[str, Any]:
    created = app.created_at.isoformat()
    return {
        **table.plain_key(table.app(app.app_id)),
        **table.owner_index(app.owner_id, "APP", created, app.app_id),
        "type": "app",
        "app_id": app.app_id,
        "name": app.name,
        "owner_id": app.owner_id,
        "created_at": created,
        "config": _config_map(app.config) if app.config.explicit else None,
    }


def _config_map(config: AppConfig) -> dict[str, Any]:
    return {
        "defaultModel": config.default_model,
        "maxTokensPerRequest": config.max_tokens_per_request,
        "allowedModels": list(config.allowed_models),
        "traceCapture": config.trace_capture,
    }


def _from_item(values: dict[str, Any]) -> App:
    stored = values.get("config")
    config = (
        AppConfig(
            default_model=stored.get("defaultModel"),
            max_tokens_per_request=stored.get("maxTokensPerRequest"),
            allowed_models=tuple(stored.get("allowedModels", ())),
            explicit=True,
            trace_capture=stored.get("traceCapture", True) is not False,
        )
        if stored
        else AppConfig()
    )
    return App(
        app_id=values["app_id"],
        name=values.get("name", ""),
        owner_id=values["owner_id"],
        created_at=datetime.fromisoformat(values["created_at"]),
        config=config,
        deleted_at=datetime.fromisoformat(values["deleted_at"])
        if values.get("deleted_at")
        else None,
    )


def _usage_from(values: dict[str, Any]) -> UsageRow:
    _, day, model = values["SK"].split("#", 2)
    return UsageRow(
        day=date.fromisoformat(values.get("day", day)),
        model=values.get("model", model),
        tokens=int(values.get("tokens", 0)),
        cost_micro_usd=int(values.get("cost_micro_usd", 0)),
        requests=int(values.get("requests", 0)),
    )
