"""The errors a client raises: one class per error of the platform's envelope.

    SwitchboardError                  status, type, code, param, message, request_id, body
     ├── APIConnectionError           no answer: not reachable, or the connection broke
     │    └── APITimeoutError         no answer in time
     ├── WaitTimeoutError             a job did not end within `wait`'s timeout
     └── APIStatusError               an answer with an error status (any not listed below)
          ├── InvalidRequestError        400 invalid_request_error
          ├── AuthenticationError        401 authentication_error
          ├── InsufficientCreditsError   402 insufficient_tokens (required_usd, available_usd,
          │                                  max_affordable_tokens)
          ├── PermissionDeniedError      403 permission_error
          ├── NotFoundError              404 invalid_request_error or not_found
          ├── MethodNotAllowedError      405
          ├── ConflictError              409
          ├── PayloadTooLargeError       413
          ├── IdempotencyKeyReusedError  422 idempotency_key_reused
          ├── RateLimitError             429 rate_limit_exceeded (retry_after)
          ├── InternalServerError        500 server_error
          ├── UpstreamError              502 upstream_error
          ├── ServiceUnavailableError    503 service_unavailable
          └── UpstreamTimeoutError       504 timeout_error

The server's own tree is layers/core/switchboard/errors.py; its statuses are what this one
maps from (several share the type `invalid_request_error`, none shares a status).
"""

from __future__ import annotations

from typing import Any

import httpx


class SwitchboardError(Exception):
    """Base of every error this client raises. `status` is None when there was no answer."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status if status is not None else type_status(self)
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.body = body or {}

    def __str__(self) -> str:
        details = ", ".join(
            f"{k} {v}" for k, v in (("code", self.code), ("status", self.status)) if v
        )
        return f"{self.message} ({details})" if details else self.message


def type_status(error: SwitchboardError) -> int | None:
    return type(error).status


class APIConnectionError(SwitchboardError):
    """The platform could not be reached, or the connection broke before an answer."""


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout."""


class WaitTimeoutError(SwitchboardError):
    """A queued request, batch or video was still running when `wait`'s timeout ran out."""


class APIStatusError(SwitchboardError):
    """An answer with an error status; subclasses name the statuses the platform uses."""


class InvalidRequestError(APIStatusError):
    status = 400


class AuthenticationError(APIStatusError):
    status = 401


class InsufficientCreditsError(APIStatusError):
    status = 402

    @property
    def required_usd(self) -> str | None:
        return self.body.get("required_usd")

    @property
    def available_usd(self) -> str | None:
        return self.body.get("available_usd")

    @property
    def max_affordable_tokens(self) -> int | None:
        return self.body.get("max_affordable_tokens")


class PermissionDeniedError(APIStatusError):
    status = 403


class NotFoundError(APIStatusError):
    status = 404


class MethodNotAllowedError(APIStatusError):
    status = 405


class ConflictError(APIStatusError):
    status = 409


class PayloadTooLargeError(APIStatusError):
    status = 413


class IdempotencyKeyReusedError(APIStatusError):
    status = 422


class RateLimitError(APIStatusError):
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    status = 500


class UpstreamError(APIStatusError):
    status = 502


class ServiceUnavailableError(APIStatusError):
    status = 503


class UpstreamTimeoutError(APIStatusError):
    status = 504


BY_STATUS: dict[int, type[APIStatusError]] = {
    cls.status: cls
    for cls in (
        InvalidRequestError,
        AuthenticationError,
        InsufficientCreditsError,
        PermissionDeniedError,
        NotFoundError,
        MethodNotAllowedError,
        ConflictError,
        PayloadTooLargeError,
        IdempotencyKeyReusedError,
        RateLimitError,
        InternalServerError,
        UpstreamError,
        ServiceUnavailableError,
        UpstreamTimeoutError,
    )
    if cls.status is not None
}


# For an error with no status of its own (a stream's last frame): its type's usual status.
TYPE_STATUS = {
    "invalid_request_error": 400, "authentication_error": 401, "insufficient_tokens": 402,
    "permission_error": 403, "not_found": 404, "rate_limit_exceeded": 429, "server_error": 500,
    "upstream_error": 502, "service_unavailable": 503, "timeout_error": 504,
}  # fmt: skip


def error_without_status(inner: dict[str, Any]) -> APIStatusError:
    """An envelope with no status of its own: a stream's last frame, a rejected upload."""
    return error_from_envelope(TYPE_STATUS.get(str(inner.get("type")), 500), inner)


def error_from_envelope(
    status: int, inner: dict[str, Any], request_id: str | None = None, **extra: Any
) -> APIStatusError:
    """The error for an envelope's inner object `{message, type, param, code, ...}`."""
    cls = BY_STATUS.get(status, APIStatusError)
    message = inner.get("message")
    return cls(
        message if isinstance(message, str) else f"HTTP {status}",
        status=status,
        type=_text(inner.get("type")),
        code=_text(inner.get("code")),
        param=_text(inner.get("param")),
        request_id=request_id,
        body=inner,
        **extra,
    )


def error_from_response(response: httpx.Response, retry_after: float | None) -> APIStatusError:
    """The error an answer with an error status stands for; a body that is not the envelope
    still gives the class of its status."""
    request_id = response.headers.get("x-request-id")
    try:
        inner = response.json().get("error")
    except (ValueError, AttributeError):
        inner = None
    if not isinstance(inner, dict):
        inner = {"message": f"HTTP {response.status_code} {response.reason_phrase}".strip()}
    extra = {"retry_after": retry_after} if response.status_code == 429 else {}
    return error_from_envelope(response.status_code, inner, request_id, **extra)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
