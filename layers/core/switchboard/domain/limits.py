"""Plans and their rate limits: requests and tokens per fixed one-minute window, per user.

The limits are configuration (the PLAN_LIMITS setting, from the template's PlanLimits
parameter); a user may carry limits of their own (enterprise), which win.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 60
DEFAULT_PLAN = "maker"


@dataclass(frozen=True, slots=True)
class RateLimits:
    requests_per_minute: int
    tokens_per_minute: int

    def to_dict(self) -> dict[str, int]:
        return {
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
        }

    @classmethod
    def from_dict(cls, values: Any, where: str = "limits") -> RateLimits:
        if not isinstance(values, dict):
            raise ValueError(f"{where} must be an object")
        try:
            limits = cls(int(values["requests_per_minute"]), int(values["tokens_per_minute"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{where} needs integer requests_per_minute and tokens_per_minute"
            ) from exc
        if limits.requests_per_minute < 1 or limits.tokens_per_minute < 1:
            raise ValueError(f"{where}: limits must be at least 1")
        return limits


DEFAULT_PLANS: dict[str, RateLimits] = {
    "maker": RateLimits(30, 15_000),
    "builder": RateLimits(120, 100_000),
    "enterprise": RateLimits(600, 1_000_000),
}


def load_plans(text: str) -> dict[str, RateLimits]:
    """PLAN_LIMITS as JSON; empty means the defaults. Malformed is an error at first use."""
    if not text.strip():
        return dict(DEFAULT_PLANS)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"PLAN_LIMITS is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or not raw:
        raise ValueError("PLAN_LIMITS must be a non-empty JSON object of plans")
    plans = {str(name): RateLimits.from_dict(v, f"PLAN_LIMITS.{name}") for name, v in raw.items()}
    if DEFAULT_PLAN not in plans:
        raise ValueError(f"PLAN_LIMITS must define the default plan {DEFAULT_PLAN!r}")
    return plans


def window_of(epoch_seconds: float) -> tuple[str, int]:
    """The fixed window a moment falls in: its id (yyyymmddHHMM, UTC) and its end (epoch s)."""
    start = int(epoch_seconds) // WINDOW_SECONDS * WINDOW_SECONDS
    return time.strftime("%Y%m%d%H%M", time.gmtime(start)), start + WINDOW_SECONDS
