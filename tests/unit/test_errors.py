"""The error tree's one mapping to HTTP status and OpenAI error type, and its rendering."""

from __future__ import annotations

import json

import pytest

from switchboard import errors
from switchboard.api.errors import error_response
from switchboard.domain.billing import insufficient_credits
from tests.unit.test_money import model

EXPECTED = [
    (errors.InvalidRequestError("m"), 400, "invalid_request_error", None),
    (errors.UseVideoEndpointError("m"), 400, "invalid_request_error", "USE_VIDEO_ENDPOINT"),
    (errors.AuthenticationError("m"), 401, "authentication_error", "invalid_api_key"),
    (
        errors.InsufficientCreditsError(
            "m", required_usd="0.000002", available_usd="0.000001", max_affordable_tokens=0
        ),
        402,
        "insufficient_tokens",
        "insufficient_credits",
    ),
    (errors.PermissionDeniedError("m"), 403, "permission_error", None),
    (errors.ModelNotFoundError("m"), 404, "invalid_request_error", "model_not_found"),
    (errors.MethodNotAllowedError("m"), 405, "invalid_request_error", "method_not_allowed"),
    (errors.ConflictError("m"), 409, "invalid_request_error", None),
    (errors.PayloadTooLargeError("m"), 413, "invalid_request_error", "request_too_large"),
    (
        errors.RateLimitedError("m", retry_after=7),
        429,
        "rate_limit_exceeded",
        "rate_limit_exceeded",
    ),
    (errors.UpstreamError("m"), 502, "upstream_error", "upstream_error"),
    (errors.ServiceUnavailableError("m"), 503, "service_unavailable", "service_unavailable"),
    (errors.UpstreamTimeoutError("m"), 504, "timeout_error", "upstream_timeout"),
]


@pytest.mark.parametrize(
    ("error", "status", "kind", "code"), EXPECTED, ids=[type(e[0]).__name__ for e in EXPECTED]
)
def test_each_error_renders_with_its_status_and_type(
    error: errors.SwitchboardError, status: int, kind: str, code: str | None
) -> None:
    response = error_response(error)
    assert response.status_code == status
    body = json.loads(bytes(response.body))
    core = {k: body["error"][k] for k in ("message", "type", "param", "code")}
    assert core == {"message": "m", "type": kind, "param": None, "code": code}
    assert set(body["error"]) - set(core) == set(error.extra())


def test_insufficient_credits_carries_the_figures_as_usd_strings() -> None:
    error = insufficient_credits(model(), 12_345_678, 5, 2, output=True)
    body = json.loads(bytes(error_response(error).body))["error"]
    assert body["required_usd"] == "12.345678"
    assert body["available_usd"] == "0.000005"
    assert body["max_affordable_tokens"] == 2


def test_rate_limited_says_when_to_retry() -> None:
    response = error_response(errors.RateLimitedError("slow down", retry_after=7))
    assert response.headers["retry-after"] == "7"


def test_unexpected_errors_reveal_nothing() -> None:
    response = error_response(RuntimeError("database password is hunter2"))
    body = json.loads(bytes(response.body))
    assert response.status_code == 500 and body["error"]["type"] == "server_error"
    assert "hunter2" not in response.body.decode()
