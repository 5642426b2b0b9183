"""DynamoRateRepository: per-user request and token counters in fixed one-minute windows.

    PK = RATE#<user_id>   SK = MINUTE#<yyyymmddHHMM>   requests, tokens (ADD), expires_at

One conditional UpdateItem both checks and counts a request, atomically, however many
instances serve the user; the new counts come back for the X-RateLimit headers. Tokens are
added by the credit reservation's transaction (ledger.py) and corrected at settlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from switchboard.adapters.aws.dynamo import from_item, to_attr, translated_errors

WINDOW_KEEP_SECONDS = 3600  # TTL: a window's item outlives the window by an hour


@dataclass(frozen=True, slots=True)
class WindowCounts:
    requests: int
    tokens: int
    admitted: bool


class DynamoRateRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def count(
        self,
        user_id: str,
        window: str,
        window_end: int,
        *,
        max_requests: int,
        max_tokens: int | None,
    ) -> WindowCounts:
        """Count one request if the window has room (requests below max_requests and, when
        max_tokens is given, tokens below it). A refused request is still counted unless
        the request limit itself refused it (it is at the limit already)."""
        names = {"#requests": "requests"}
        values: dict[str, Any] = {":max_requests": to_attr(max_requests)}
        condition = "(attribute_not_exists(#requests) OR #requests < :max_requests)"
        if max_tokens is not None:
            condition += " AND (attribute_not_exists(#tokens) OR #tokens < :max_tokens)"
            names["#tokens"] = "tokens"
            values[":max_tokens"] = to_attr(max_tokens)
        request = self._request(user_id, window, window_end, names, values)
        request["ConditionExpression"] = condition
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        with translated_errors():
            try:
                return _counts(self._client.update_item(**request), admitted=True)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                response: dict[str, Any] = dict(exc.response)
                seen = from_item(response.get("Item") or {})
            requests, tokens = int(seen.get("requests", 0)), int(seen.get("tokens", 0))
            if requests >= max_requests:
                return WindowCounts(requests, tokens, admitted=False)
            request = self._request(user_id, window, window_end, {"#requests": "requests"}, {})
            return _counts(self._client.update_item(**request), admitted=False)

    def _request(
        self,
        user_id: str,
        window: str,
        window_end: int,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": {"PK": {"S": f"RATE#{user_id}"}, "SK": {"S": f"MINUTE#{window}"}},
            "UpdateExpression": "ADD #requests :one SET expires_at = :expires",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":one": to_attr(1),
                ":expires": to_attr(window_end + WINDOW_KEEP_SECONDS),
                **values,
            },
            "ReturnValues": "ALL_NEW",
        }


def _counts(response: dict[str, Any], *, admitted: bool) -> WindowCounts:
    counts = from_item(response.get("Attributes", {}))
    return WindowCounts(
        int(counts.get("requests", 0)), int(counts.get("tokens", 0)), admitted=admitted
    )
