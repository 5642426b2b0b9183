"""Who is calling, and what they may do: the same value for a Bearer key and a session cookie.

Scopes: "*" allows everything the role allows; "ai:gateway" allows only the OpenAI-compatible
inference routes (GATEWAY_ROUTES). Admin endpoints need the admin role as well as "*".
"""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.domain.limits import RateLimits
from switchboard.errors import PermissionDeniedError

ALL_SCOPES = "*"
GATEWAY_SCOPE = "ai:gateway"
KEY_SCOPES = ((ALL_SCOPES,), (GATEWAY_SCOPE,))
# (method, route path) an ai:gateway key may call.
GATEWAY_ROUTES = frozenset(
    {
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/embeddings"),
        ("GET", "/v1/models"),
        ("GET", "/v1/models/{model_id}"),
        ("POST", "/v1/traces"),  # an instrumented app sends its spans with its gateway key
        ("POST", "/monitor/trace"),
    }
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: the user, the key or session it came with, and its rights."""

    user_id: str
    key_id: str  # the API key's id, or "session:<jwt id>" for a login session
    scopes: tuple[str, ...]
    role: str
    plan: str
    limits: RateLimits | None = None  # the user's own limits, which win over the plan's

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def check_route(self, method: str, route: str) -> None:
        """Refuse a route this principal's scopes do not cover."""
        if ALL_SCOPES in self.scopes:
            return
        if GATEWAY_SCOPE in self.scopes and (method, route) in GATEWAY_ROUTES:
            return
        raise PermissionDeniedError(
            f"This API key's scopes ({', '.join(self.scopes)}) do not allow {method} {route}.",
            code="insufficient_scope",
        )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDeniedError(
                "This endpoint needs an admin account.", code="admin_required"
            )
