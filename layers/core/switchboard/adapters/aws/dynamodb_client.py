"""LeanDynamoClient: the DynamoDB calls on every request's path, for half boto3's CPU.

Every metered request makes two DynamoDB calls; through boto3 each costs about 1.1 ms of
the gateway's CPU (parameter validation, a User-Agent rebuilt per call, an event hook chain,
http.client's email-based header parsing), against 0.5 ms here (benchmarks/RESULTS.md). What
it keeps of botocore, so that nothing about AWS changes:

- the endpoint and region botocore resolves (`AWS_ENDPOINT_URL` included: no endpoint_url is
  ever passed), and botocore's credential chain, refreshed as botocore refreshes it. On a
  session (`on_session`) they are found without building botocore's client where
  dynamodb_endpoint.py can (about 50 ms of a cold start), and where the environment alone
  holds the answers, without the session either (environment_session.py, 25 ms more); that
  client is built when first needed: for another operation, or for the model that judges a
  failed call's retry;
- botocore's SigV4 signer (`SigV4Auth`), on the same JSON body boto3 would send;
- kept-alive HTTP/1.1 connections (connections.py: the standard library's http.client, as
  urllib3 uses it, without urllib3's pool, which cost each call 0.14 ms more);
- botocore's standard retry policy (the same checkers, backoff and quota, 3 attempts),
  and the CRC32 check of every DynamoDB response;
- failures raised as botocore's `ClientError` with the response boto3 would give
  (`Error.Code`, `Error.Message`, and the modelled fields: `Item`, `CancellationReasons`).

It speaks UpdateItem, TransactWriteItems, GetItem and PutItem, the calls on the request path,
and BatchGetItem, a batch line's first read (boto3's cost was a sixth of a line worker's CPU);
everything else (queries, paginators, table admin) is boto3's client, which `__getattr__`
hands out. `observers` are told of each call it makes, `(operation, params)`, as botocore's
`before-call` hooks are (the benchmarks count calls, the tests look at reads).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, HTTPClientError
from botocore.retries import quota, standard

from switchboard.adapters.aws.connections import Connections
from switchboard.adapters.aws.dynamodb_endpoint import find_dynamodb

TARGET = "DynamoDB_20120810."
LEAN_OPERATIONS = ("UpdateItem", "TransactWriteItems", "GetItem", "PutItem", "BatchGetItem")
_CONTENT_TYPE = "application/x-amz-json-1.0"


class LeanDynamoClient:
    def __init__(
        self,
        boto_client: Any,
        credentials: Any,
        *,
        pool_size: int = 32,
        where: tuple[str, str] | None = None,
    ) -> None:
        """`boto_client` is botocore's DynamoDB client; or, given `where` (its endpoint URL
        and region), a function that builds it, called once, when a call first needs it."""
        if where is None:
            where = (boto_client.meta.endpoint_url, boto_client.meta.region_name)
            built = boto_client
            boto_client = lambda: built  # noqa: E731
        self._build_boto: Callable[[], Any] = boto_client
        self._boto_client: Any = None
        self._boto_lock = threading.Lock()
        self._credentials = credentials
        self._endpoint = where[0].rstrip("/") + "/"
        self._region = where[1]
        self._connections = Connections(self._endpoint, size=pool_size)
        self._retries = _retry_policy()
        self.observers: list[Callable[[str, dict[str, Any]], None]] = []

    @classmethod
    def on_session(
        cls, session: Any, build: Callable[[], Any], *, pool_size: int = 32
    ) -> LeanDynamoClient:
        """The lean client on botocore's session, where `build` makes botocore's DynamoDB
        client. Its endpoint and region are found without that client where they can be
        (dynamodb_endpoint.py); it is then built when a call first needs it: an operation
        not spoken here, or a failure whose retry is to be judged."""
        found = find_dynamodb(session)
        if found is None:
            return cls(build(), session.get_credentials(), pool_size=pool_size)
        return cls(build, session.get_credentials(), pool_size=pool_size, where=found)

    @property
    def _boto(self) -> Any:
        if self._boto_client is None:
            with self._boto_lock:
                if self._boto_client is None:
                    self._boto_client = self._build_boto()
        return self._boto_client

    def update_item(self, **params: Any) -> dict[str, Any]:
        return self._call("UpdateItem", params)

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        return self._call("TransactWriteItems", params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._call("GetItem", params)

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._call("PutItem", params)

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        return self._call("BatchGetItem", params)

    def __getattr__(self, name: str) -> Any:
        """Any other call (queries, paginators, table admin, meta): boto3's client."""
        if name in ("_boto_client", "_build_boto", "_boto_lock"):  # not yet set
            raise AttributeError(name)
        return getattr(self._boto, name)

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        for observer in self.observers:
            observer(operation, params)
        body = json.dumps(params, separators=(",", ":")).encode("utf-8")
        attempt = 1
        shared: dict[str, Any] = {}  # what the retry quota keeps across attempts
        while True:
            context = self._attempt(operation, body, attempt, shared)
            parsed: dict[str, Any] | None = context.parsed_response
            if parsed is not None and "Error" not in parsed:
                self._retries.succeeded(context)
                return parsed
            if _never_retried(parsed):  # judged without the model, and botocore's client
                raise _failure(operation, context)
            context.operation_model = self._boto.meta.service_model.operation_model(operation)
            if not self._retries.should_retry(context):
                raise _failure(operation, context)
            time.sleep(self._retries.compute_retry_delay(context))
            attempt += 1

    def _attempt(
        self, operation: str, body: bytes, attempt: int, shared: dict[str, Any]
    ) -> standard.RetryContext:
        # The operation's model is set once a failure needs judging (_call).
        context = standard.RetryContext(attempt_number=attempt, request_context=shared)
        headers = self._signed(operation, body)
        try:
            status, answered, data = self._connections.post(body, headers)
        except Exception as exc:  # the network failed: retryable, as botocore judges it
            context.caught_exception = HTTPClientError(error=exc)
            return context
        context.http_response = _Response(status, answered, data)
        context.parsed_response = _parsed(status, answered, data)
        return context

    def _signed(self, operation: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(
            method="POST",
            url=self._endpoint,
            data=body,
            headers={"Content-Type": _CONTENT_TYPE, "X-Amz-Target": TARGET + operation},
        )
        frozen = self._credentials.get_frozen_credentials()
        SigV4Auth(frozen, "dynamodb", self._region).add_auth(request)
        return dict(request.headers.items())


class _Response:
    """What botocore's retry checkers read of an HTTP response (DynamoDB's CRC32 checker
    reads the body too)."""

    def __init__(self, status: int, headers: Any, content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content


def _parsed(status: int, headers: Any, data: bytes) -> dict[str, Any]:
    """The response as boto3 parses DynamoDB's JSON: the body, or for an error its code and
    message under `Error` beside the error's own fields; a body that fails its CRC32 is an
    error botocore would retry."""
    metadata = {"HTTPStatusCode": status, "RequestId": headers.get("x-amzn-RequestId", "")}
    expected = headers.get("x-amz-crc32")
    if expected is not None and int(expected) != zlib.crc32(data) & 0xFFFFFFFF:
        return {"Error": {"Code": "CRC32CheckFailed", "Message": "response CRC32 mismatch"},
                "ResponseMetadata": metadata}  # fmt: skip
    body: dict[str, Any] = json.loads(data) if data else {}
    if status < 300:
        return body | {"ResponseMetadata": metadata}
    code = str(body.pop("__type", "")).rpartition("#")[2] or str(status)
    message = body.get("message") or body.get("Message") or ""  # boto3 keeps the field too
    return body | {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}


# Failures that botocore's standard mode never retries whatever DynamoDB's model says: no
# error shape of the model marks them retryable (tests/adapters/test_dynamodb_client.py holds
# this to botocore's model), no checker retries their codes, and answered other than 429 no
# status rule applies. They are raised without the operation model, so a failed condition (a
# hold adopted, a new rate window, a 402) does not build botocore's DynamoDB client: about
# 65 ms of a container's first such failure.
NEVER_RETRIED = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException",
                           "ValidationException", "ResourceNotFoundException"})  # fmt: skip


def _never_retried(parsed: dict[str, Any] | None) -> bool:
    if parsed is None:
        return False
    status = parsed.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status != 429 and parsed.get("Error", {}).get("Code") in NEVER_RETRIED


def _failure(operation: str, context: standard.RetryContext) -> Exception:
    if context.caught_exception is not None:
        return context.caught_exception
    return ClientError(context.parsed_response, operation)


def _retry_policy() -> _RetryPolicy:
    """botocore's standard retry mode for DynamoDB: its checkers, backoff and quota."""
    adapter = standard.RetryEventAdapter()
    detector = standard.ThrottlingErrorDetector(adapter)
    policy = standard.RetryPolicy(
        retry_checker=standard.StandardRetryConditions(max_attempts=standard.DEFAULT_MAX_ATTEMPTS),
        retry_backoff=standard.ExponentialBackoff(
            service_name="dynamodb", throttling_detector=detector
        ),
    )
    return _RetryPolicy(policy, standard.RetryQuotaChecker(quota.RetryQuota(), detector))


class _RetryPolicy:
    """A retry happens while the policy says so and the retry quota lasts (standard mode)."""

    def __init__(self, policy: standard.RetryPolicy, quota_checker: Any) -> None:
        self._policy = policy
        self._quota = quota_checker

    def should_retry(self, context: standard.RetryContext) -> bool:
        return bool(self._policy.should_retry(context)) and bool(
            self._quota.acquire_retry_quota(context)
        )

    def compute_retry_delay(self, context: standard.RetryContext) -> float:
        return float(self._policy.compute_retry_delay(context))

    def succeeded(self, context: standard.RetryContext) -> None:
        """Give the quota back, as botocore does after a successful call."""
        self._quota.release_retry_quota(context.request_context, context.http_response)
