"""Every error of the envelope becomes its own class, with the envelope's fields."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

import switchboard_client
from conftest import error
from switchboard_client import (
    APIStatusError,
    AuthenticationError,
    ConflictError,
    IdempotencyKeyReusedError,
    InsufficientCreditsError,
    InternalServerError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    Switchboard,
    SwitchboardError,
    UpstreamError,
    UpstreamTimeoutError,
)

# The server's table (layers/core/switchboard/errors.py HTTP_ERRORS) and the class for each.
SERVER_ERRORS = [
    (400, "invalid_request_error", InvalidRequestError),
    (401, "authentication_error", AuthenticationError),
    (402, "insufficient_tokens", InsufficientCreditsError),
    (403, "permission_error", PermissionDeniedError),
    (404, "invalid_request_error", NotFoundError),
    (404, "not_found", NotFoundError),
    (405, "invalid_request_error", MethodNotAllowedError),
    (409, "invalid_request_error", ConflictError),
    (413, "invalid_request_error", PayloadTooLargeError),
    (422, "invalid_request_error", IdempotencyKeyReusedError),
    (429, "rate_limit_exceeded", RateLimitError),
    (500, "server_error", InternalServerError),
    (502, "upstream_error", UpstreamError),
    (503, "service_unavailable", ServiceUnavailableError),
    (504, "timeout_error", UpstreamTimeoutError),
]


@pytest.mark.parametrize(("status", "type_", "cls"), SERVER_ERRORS)
def test_each_error_of_the_envelope_has_its_class(
    status: int, type_: str, cls: type[APIStatusError], make_client: Callable[..., Switchboard]
) -> None:
    answer = error(status, type_, "some_code")
    client = make_client(lambda _: answer, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(cls) as raised:
        client.kits.list()
    found = raised.value
    assert type(found) is cls and isinstance(found, SwitchboardError)
    assert (found.status, found.type, found.code) == (status, type_, "some_code")
    assert found.message == f"{type_} some_code" and found.request_id == "req_123"


def test_the_param_and_the_extra_fields_are_kept(make_client: Callable[..., Switchboard]) -> None:
    answer = error(
        402,
        "insufficient_tokens",
        "insufficient_credits",
        required_usd="0.001202",
        available_usd="0.000100",
        max_affordable_tokens=164,
    )
    client = make_client(lambda _: answer)
    with pytest.raises(InsufficientCreditsError) as raised:
        client.kits.run("text-gen", "hi", max_tokens=2000)
    found = raised.value
    assert (found.required_usd, found.available_usd, found.max_affordable_tokens) == (
        "0.001202",
        "0.000100",
        164,
    )
    assert "insufficient_credits" in str(found) and "402" in str(found)


def test_an_answer_that_is_not_the_envelope_still_maps_by_status(
    make_client: Callable[..., Switchboard],
) -> None:
    client = make_client(lambda _: httpx.Response(403, text="<html>Forbidden</html>"))
    with pytest.raises(PermissionDeniedError) as raised:
        client.kits.list()
    assert raised.value.message == "HTTP 403 Forbidden" and raised.value.code is None


def test_an_unknown_status_is_an_api_status_error(make_client: Callable[..., Switchboard]) -> None:
    client = make_client(lambda _: error(418, "teapot"))
    with pytest.raises(APIStatusError) as raised:
        client.kits.list()
    assert type(raised.value) is APIStatusError and raised.value.status == 418


def test_no_key_is_an_error_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCHBOARD_API_KEY", raising=False)
    with pytest.raises(SwitchboardError, match="SWITCHBOARD_API_KEY"):
        Switchboard()


def test_the_public_names() -> None:
    """The package's surface; a change here is a change of its API."""
    assert sorted(switchboard_client.__all__) == sorted(
        [
            "APIConnectionError",
            "APIStatusError",
            "APITimeoutError",
            "ApiKey",
            "App",
            "AppConfig",
            "AppUsage",
            "AsyncSwitchboard",
            "AuthenticationError",
            "Batch",
            "BatchResults",
            "CompiledPrompt",
            "ConflictError",
            "Experiment",
            "ExperimentRun",
            "FileObject",
            "IdempotencyKeyReusedError",
            "InsufficientCreditsError",
            "InternalServerError",
            "InvalidRequestError",
            "Kit",
            "KitRun",
            "KitRunDelta",
            "MethodNotAllowedError",
            "ModelUsage",
            "NotFoundError",
            "Page",
            "PayloadTooLargeError",
            "PermissionDeniedError",
            "PollSchedule",
            "Prompt",
            "PromptCache",
            "PromptModel",
            "QueuedRequest",
            "RateLimitError",
            "RequestCounts",
            "RetryPolicy",
            "Score",
            "ServiceUnavailableError",
            "Switchboard",
            "SwitchboardError",
            "Trace",
            "UpstreamError",
            "UpstreamTimeoutError",
            "UsageEntry",
            "UsageTotals",
            "VideoJob",
            "WaitTimeoutError",
            "__version__",
        ]
    )
    for name in switchboard_client.__all__:
        assert getattr(switchboard_client, name) is not None


def test_an_answer_of_another_shape_is_a_switchboard_error(
    make_client: Callable[..., Switchboard],
) -> None:
    client = make_client(lambda _: httpx.Response(200, text="<html>a proxy page</html>"))
    with pytest.raises(SwitchboardError, match="cannot read") as raised:
        client.kits.list()
    assert raised.value.status == 200
    client = make_client(lambda _: httpx.Response(200, json={"no": "data"}))
    with pytest.raises(SwitchboardError, match="KeyError"):
        client.kits.list()
