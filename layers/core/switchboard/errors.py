"""The error tree, and its one mapping to HTTP and OpenAI's error types.

    SwitchboardError
     ├── InvalidRequestError        400 invalid_request_error
     │    └── UseVideoEndpointError 400 invalid_request_error  code USE_VIDEO_ENDPOINT
     ├── AuthenticationError        401 authentication_error
     ├── InsufficientCreditsError   402 insufficient_tokens    (+ required_usd, available_usd,
     │    │                                                       max_affordable_tokens)
     │    └── PrepaidJobCreditsError 402 insufficient_tokens  code INSUFFICIENT_CREDITS
     │                                                         (+ required_usd, available_usd,
     │                                                            auto_refill: false)
     ├── PermissionDeniedError      403 permission_error       (insufficient_scope, ...)
     │    └── NotAllowedModelError  403 permission_error       code model_not_allowed
     ├── NotFoundError              404 invalid_request_error
     │    ├── ModelNotFoundError    404 invalid_request_error  code model_not_found
     │    └── JobNotFoundError      404 not_found              (queued requests, jobs)
     ├── MethodNotAllowedError      405 invalid_request_error
     ├── ConflictError              409 invalid_request_error
     ├── PayloadTooLargeError       413 invalid_request_error
     ├── IdempotencyKeyReusedError  422 invalid_request_error  code idempotency_key_reused
     ├── RateLimitedError           429 rate_limit_exceeded    (carries retry_after seconds)
     ├── UpstreamError              502 upstream_error
     ├── ServiceUnavailableError    503 service_unavailable
     └── UpstreamTimeoutError       504 timeout_error

Anything else that escapes is a bug: it is logged and answered 500 `server_error`,
without its text.
"""

from __future__ import annotations

from typing import Any


class SwitchboardError(Exception):
    """Base of every error a client may see. `message` is safe to show to clients."""

    default_code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code

    def extra(self) -> dict[str, Any]:
        """Fields added to the error object beside message, type, param and code."""
        return {}


class InvalidRequestError(SwitchboardError):
    pass


class UseVideoEndpointError(InvalidRequestError):
    default_code = "USE_VIDEO_ENDPOINT"


class AuthenticationError(SwitchboardError):
    default_code = "invalid_api_key"


class InsufficientCreditsError(SwitchboardError):
    """The balance cannot cover a request's worst case. The amounts are USD strings, as
    domain/money.py writes money (domain/billing.py raises this), shown beside the message."""

    default_code = "insufficient_credits"

    def __init__(
        self, message: str, *, required_usd: str, available_usd: str, max_affordable_tokens: int
    ) -> None:
        super().__init__(message)
        self.required_usd = required_usd
        self.available_usd = available_usd
        self.max_affordable_tokens = max_affordable_tokens

    def extra(self) -> dict[str, Any]:
        return {
            "required_usd": self.required_usd,
            "available_usd": self.available_usd,
            "max_affordable_tokens": self.max_affordable_tokens,
        }


class PrepaidJobCreditsError(InsufficientCreditsError):
    """A job priced up front (a video) that the balance cannot cover: the price and the
    balance, and that nothing tops the balance up on its own."""

    default_code = "INSUFFICIENT_CREDITS"

    def __init__(self, message: str, *, required_usd: str, available_usd: str) -> None:
        super().__init__(
            message, required_usd=required_usd, available_usd=available_usd,
            max_affordable_tokens=0,
        )  # fmt: skip

    def extra(self) -> dict[str, Any]:
        return {
            "required_usd": self.required_usd,
            "available_usd": self.available_usd,
            "auto_refill": False,
        }


class PermissionDeniedError(SwitchboardError):
    pass


class NotFoundError(SwitchboardError):
    pass


class ModelNotFoundError(NotFoundError):
    default_code = "model_not_found"


class JobNotFoundError(NotFoundError):
    """Unknown, another user's, or expired: a job that is not there for this caller."""


class MethodNotAllowedError(SwitchboardError):
    default_code = "method_not_allowed"


class ConflictError(SwitchboardError):
    pass


class PayloadTooLargeError(SwitchboardError):
    default_code = "request_too_large"


class IdempotencyKeyReusedError(SwitchboardError):
    """An Idempotency-Key sent again with a different body: the API's one deliberate 422,
    as the IETF draft on idempotency keys specifies (validation errors stay 400)."""

    default_code = "idempotency_key_reused"


class RateLimitedError(SwitchboardError):
    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class NotAllowedModelError(PermissionDeniedError):
    default_code = "model_not_allowed"


class UpstreamError(SwitchboardError):
    default_code = "upstream_error"


class ServiceUnavailableError(SwitchboardError):
    default_code = "service_unavailable"


class UpstreamTimeoutError(SwitchboardError):
    default_code = "upstream_timeout"


# The one table: error class -> (HTTP status, OpenAI error type). Subclasses inherit.
HTTP_ERRORS: dict[type[SwitchboardError], tuple[int, str]] = {
    InvalidRequestError: (400, "invalid_request_error"),
    AuthenticationError: (401, "authentication_error"),
    InsufficientCreditsError: (402, "insufficient_tokens"),
    PermissionDeniedError: (403, "permission_error"),
    NotFoundError: (404, "invalid_request_error"),
    JobNotFoundError: (404, "not_found"),
    MethodNotAllowedError: (405, "invalid_request_error"),
    ConflictError: (409, "invalid_request_error"),
    PayloadTooLargeError: (413, "invalid_request_error"),
    IdempotencyKeyReusedError: (422, "invalid_request_error"),
    RateLimitedError: (429, "rate_limit_exceeded"),
    UpstreamError: (502, "upstream_error"),
    ServiceUnavailableError: (503, "service_unavailable"),
    UpstreamTimeoutError: (504, "timeout_error"),
}
SERVER_ERROR = (500, "server_error")


def classify(error: BaseException) -> tuple[int, str]:
    """HTTP status and OpenAI type for an error, walking the class tree upwards."""
    for cls in type(error).__mro__:
        if cls in HTTP_ERRORS:
            return HTTP_ERRORS[cls]
    return SERVER_ERROR


def error_body(error: BaseException) -> dict[str, Any]:
    """The OpenAI error envelope for any error; unknown errors reveal nothing."""
    _, kind = classify(error)
    if isinstance(error, SwitchboardError):
        inner: dict[str, Any] = {
            "message": error.message,
            "type": kind,
            "param": error.param,
            "code": error.code,
        }
        inner.update(error.extra())
    else:
        inner = {
            "message": "The server had an error while processing your request.",
            "type": kind,
            "param": None,
            "code": "internal_error",
        }
    return {"error": inner}
