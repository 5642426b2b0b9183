"""DynamoPromptRepository: prompts, their versions and tags, in their owner's partition
(keys: table.py).

    PROMPTS#<owner>   PROMPT#<slug>                    the prompt: name, description,
                                                       latest_version, tags {tag: version}
    PROMPTS#<owner>   VERSION#<slug>#<n, 8 digits>     one immutable version

<owner> is `user:<user_id>` or `app:<app_id>`. A version is written in one transaction with
the prompt's `latest_version`, on the condition that the number it had when read is still
the one before: two writers that read the same number cannot both succeed, and no number is
ever used twice. A tag is set on the condition that the version exists (at most the latest).
A version's model block is stored as JSON text (its parameters hold floats, which the item
codec does not write as numbers).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import from_item, to_item, translated_errors
from switchboard.domain.prompt_models import ModelBlock
from switchboard.domain.prompts import Owner, Prompt, PromptVersion, prompt_not_found
from switchboard.errors import ConflictError


class DynamoPromptRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, prompt: Prompt) -> None:
        """ConflictError if the owner has a prompt of that slug."""
        with translated_errors(
            f"A prompt with slug '{prompt.slug}' already exists.",
            param="slug",
            code="prompt_exists",
        ):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_to_item(prompt)),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def get(self, owner: Owner, slug: str) -> Prompt | None:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table, Key=table.prompt(owner.key, slug), ConsistentRead=True
            )
        item = response.get("Item")
        return _from_item(from_item(item)) if item else None

    def list_prompts(
        self, owner: Owner, *, after: str | None, limit: int
    ) -> tuple[list[Prompt], bool]:
        """Up to `limit` prompts in slug order after the slug `after`; and whether more follow."""
        start = table.prompt(owner.key, after) if after else None
        items, more = self._page(owner, table.PROMPT_PREFIX, start, limit, forward=True)
        return [_from_item(item) for item in items], more

    def add_version(self, prompt: Prompt, version: PromptVersion, tag: str | None) -> None:
        """Write version number prompt.latest_version + 1 (and point `tag` at it), if the
        prompt's latest version is still prompt.latest_version; else ConflictError."""
        owner, number = prompt.owner, version.version
        update = _write(self._table, owner, prompt.slug, number, tag=tag, latest=True)
        update["ConditionExpression"] = "attribute_exists(PK) AND latest_version = :before"
        update["ExpressionAttributeValues"][":before"] = {"N": str(prompt.latest_version)}
        put = {
            "TableName": self._table,
            "Item": to_item(_version_item(prompt.owner, version)),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
        with translated_errors(f"Version {version.version} was created meanwhile."):
            self._client.transact_write_items(TransactItems=[{"Update": update}, {"Put": put}])

    def get_version(self, owner: Owner, slug: str, number: int) -> PromptVersion | None:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table, Key=table.prompt_version(owner.key, slug, number)
            )
        item = response.get("Item")
        return _version_from(from_item(item)) if item else None

    def list_versions(
        self, owner: Owner, slug: str, *, after: int | None, limit: int
    ) -> tuple[list[PromptVersion], bool]:
        """Up to `limit` versions, newest first, below the number `after`; and whether more
        follow."""
        start = table.prompt_version(owner.key, slug, after) if after else None
        prefix = table.prompt_versions_prefix(slug)
        items, more = self._page(owner, prefix, start, limit, forward=False)
        return [_version_from(item) for item in items], more

    def set_tag(self, owner: Owner, slug: str, tag: str, number: int) -> None:
        """Point `tag` at version `number`; NotFoundError if the prompt is gone or has no such
        version (the caller checked both: this holds them at the write)."""
        update = _write(self._table, owner, slug, number, tag=tag, latest=False)
        update["ConditionExpression"] = "attribute_exists(PK) AND latest_version >= :number"
        try:
            with translated_errors():
                self._client.update_item(**update)
        except ConflictError:
            raise prompt_not_found(slug) from None

    def _page(
        self, owner: Owner, prefix: str, start: table.Key | None, limit: int, *, forward: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": table.prompts_pk(owner.key)},
                ":prefix": {"S": prefix},
            },
            "ScanIndexForward": forward,
            "ConsistentRead": True,
        }
        if start is not None:
            query["ExclusiveStartKey"] = start
        found: list[dict[str, Any]] = []
        while len(found) <= limit:
            with translated_errors():
                page = self._client.query(**query, Limit=limit + 1 - len(found))
            found += [from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit], len(found) > limit


def _write(
    table_name: str, owner: Owner, slug: str, number: int, *, tag: str | None, latest: bool
) -> dict[str, Any]:
    """UpdateItem parameters that SET tags.<tag> and/or latest_version to `number`."""
    sets = ["latest_version = :number"] if latest else []
    update: dict[str, Any] = {
        "TableName": table_name,
        "Key": table.prompt(owner.key, slug),
        "ExpressionAttributeValues": {":number": {"N": str(number)}},
    }
    if tag is not None:
        sets.append("tags.#tag = :number")
        update["ExpressionAttributeNames"] = {"#tag": tag}
    update["UpdateExpression"] = "SET " + ", ".join(sets)
    return update


def _to_item(prompt: Prompt) -> dict[str, Any]:
    return {
        **table.plain_key(table.prompt(prompt.owner.key, prompt.slug)),
        "type": "prompt",
        "owner": prompt.owner.key,
        "slug": prompt.slug,
        "name": prompt.name,
        "description": prompt.description,
        "created_at": prompt.created_at.isoformat(),
        "latest_version": prompt.latest_version,
        "tags": dict(prompt.tags),
    }


def _from_item(values: dict[str, Any]) -> Prompt:
    return Prompt(
        owner=Owner.from_key(values["owner"]),
        slug=values["slug"],
        name=values.get("name", ""),
        description=values.get("description", ""),
        created_at=datetime.fromisoformat(values["created_at"]),
        latest_version=int(values.get("latest_version", 0)),
        tags={tag: int(number) for tag, number in values.get("tags", {}).items()},
    )


def _version_item(owner: Owner, version: PromptVersion) -> dict[str, Any]:
    model = version.model
    return {
        **table.plain_key(table.prompt_version(owner.key, version.slug, version.version)),
        "type": "prompt_version",
        "slug": version.slug,
        "version": version.version,
        "text": version.text,
        "system_text": version.system_text,
        "model": None if model is None else json.dumps(model.to_dict()),
        "created_at": version.created_at.isoformat(),
    }


def _version_from(values: dict[str, Any]) -> PromptVersion:
    model = json.loads(values["model"]) if values.get("model") else None
    return PromptVersion(
        slug=values["slug"],
        version=int(values["version"]),
        text=values["text"],
        system_text=values.get("system_text"),
        model=None
        if model is None
        else ModelBlock(model["provider"], model["model"], dict(model.get("parameters", {}))),
        created_at=datetime.fromisoformat(values["created_at"]),
    )
