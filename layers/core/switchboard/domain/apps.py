"""Apps: a user's named projects, each with an AI config and per-day usage counters.

An app's config says which models its routes (/v1/{app_id}/...) accept, which model an
omitted `model` means, and how many output tokens one request may ask for. Until the first
PUT the config is implicit (`explicit` False): every non-video catalog model is accepted,
there is no default model, and each model's own output limit applies. The config shown
for an implicit config lists the catalog's chat models (AppConfig.defaults).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from switchboard.domain.catalog import Catalog, ModelEntry, ModelType
from switchboard.domain.validation import invalid_value
from switchboard.errors import InvalidRequestError, NotAllowedModelError, NotFoundError

MAX_NAME_CHARS = 200
MAX_TOKENS_PER_REQUEST = 100_000
MAX_USAGE_DAYS = 366
CONFIG_KEYS = ("defaultModel", "maxTokensPerRequest", "allowedModels", "traceCapture")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class AppConfig:
    """`allowed_models` is enforced only when `explicit` (after a PUT)."""

    default_model: str | None = None
    max_tokens_per_request: int | None = None
    allowed_models: tuple[str, ...] = ()
    explicit: bool = False
    trace_capture: bool = True  # False: this app's traces keep no input or output

    @classmethod
    def defaults(cls, catalog: Catalog) -> AppConfig:
        """Every catalog chat and video model (embedding models are accepted too)."""
        kinds = (ModelType.CHAT, ModelType.VIDEO)
        return cls(allowed_models=tuple(e.id for e in catalog.models if e.type in kinds))

    def effective(self, catalog: Catalog) -> AppConfig:
        """This config as shown to people: the defaults while it is implicit."""
        return self if self.explicit else AppConfig.defaults(catalog)


@dataclass(frozen=True, slots=True)
class App:
    app_id: str
    name: str
    owner_id: str
    created_at: datetime
    config: AppConfig = field(default_factory=AppConfig)
    deleted_at: datetime | None = None  # deleted: its routes are gone, its usage is kept


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One usage counter: what one model served one app on one UTC day."""

    day: date
    model: str
    tokens: int
    cost_micro_usd: int
    requests: int


def new_app_id() -> str:
    return "app_" + secrets.token_hex(12)


def app_not_found(app_id: str) -> NotFoundError:
    return NotFoundError(f"No app with id '{app_id}'.", param="app_id", code="app_not_found")


def check_name(raw: object) -> str:
    """An app name: a non-empty string of at most MAX_NAME_CHARS after stripping."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid_value("name must be a non-empty string.", "name")
    name = raw.strip()
    if len(name) > MAX_NAME_CHARS:
        raise invalid_value(f"name must be at most {MAX_NAME_CHARS} characters.", "name")
    return name


def parse_config(body: dict[str, Any], catalog: Catalog) -> AppConfig:
    """A whole config from a PUT body; a missing (or null) key takes its default."""
    unknown = sorted(set(body) - set(CONFIG_KEYS))
    if unknown:
        raise InvalidRequestError(
            f"Unrecognized request argument supplied: {unknown[0]}",
            param=unknown[0],
            code="unknown_parameter",
        )
    allowed = _allowed_models(body.get("allowedModels"), catalog)
    default = _default_model(body.get("defaultModel"), allowed, catalog)
    cap = _max_tokens(body.get("maxTokensPerRequest"))
    capture = body.get("traceCapture")
    if capture is not None and not isinstance(capture, bool):
        raise InvalidRequestError(
            "traceCapture must be true, false or null.", param="traceCapture", code="invalid_value"
        )
    return AppConfig(default, cap, allowed, explicit=True, trace_capture=capture is not False)


def accepts(app: App, entry: ModelEntry) -> bool:
    if app.config.explicit:
        return entry.id in app.config.allowed_models
    return True


def app_models(app: App, catalog: Catalog) -> list[ModelEntry]:
    """The catalog models the app's routes accept, in catalog order."""
    return [entry for entry in catalog.models if accepts(app, entry)]


def resolve_model(app: App, catalog: Catalog, model_id: str | None, kind: ModelType) -> ModelEntry:
    """The model an app request runs on: the one named, or else the app's defaultModel."""
    if not model_id:
        return _default_entry(app, catalog, kind)
    entry = catalog.get(model_id)
    if not accepts(app, entry):
        allowed = ", ".join(e.id for e in app_models(app, catalog)) or "none"
        raise NotAllowedModelError(
            f"The model '{model_id}' is not allowed for this app; allowed models: {allowed}.",
            param="model",
        )
    return entry


def parse_day(raw: str | None, param: str) -> date:
    """A UTC day written YYYY-MM-DD (query parameters startDate and endDate)."""
    if raw is None or raw == "":
        raise InvalidRequestError(
            f"Missing required parameter: '{param}'.",
            param=param,
            code="missing_required_parameter",
        )
    try:
        if not _DAY.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid_value(
            f"{param} must be a date written YYYY-MM-DD, not '{raw}'.", param
        ) from None


def check_range(start: date, end: date) -> None:
    if end < start:
        raise invalid_value("endDate must not be before startDate.", "endDate")
    if (end - start).days + 1 > MAX_USAGE_DAYS:
        raise invalid_value(f"The date range may span at most {MAX_USAGE_DAYS} days.", "endDate")


def _default_entry(app: App, catalog: Catalog, kind: ModelType) -> ModelEntry:
    default = app.config.default_model if app.config.explicit else None
    if default is None:
        raise InvalidRequestError(
            "model is required: this app has no defaultModel.", param="model", code="model_required"
        )
    entry = catalog.get(default)
    if entry.type is not kind:
        raise InvalidRequestError(
            f"model is required: this app's defaultModel '{default}' is not a {kind} model.",
            param="model",
            code="model_required",
        )
    return entry


def _allowed_models(raw: object, catalog: Catalog) -> tuple[str, ...]:
    if raw is None:
        return AppConfig.defaults(catalog).allowed_models
    param = "allowedModels"
    if not isinstance(raw, list) or not raw:
        raise invalid_value("allowedModels must be a non-empty list of model ids.", param)
    if not all(isinstance(model_id, str) for model_id in raw):
        raise invalid_value("allowedModels must hold model ids (strings).", param)
    if len(set(raw)) != len(raw):
        raise invalid_value("allowedModels must not repeat a model id.", param)
    for model_id in raw:
        _known(model_id, catalog)
    return tuple(raw)


def _default_model(raw: object, allowed: tuple[str, ...], catalog: Catalog) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise invalid_value("defaultModel must be a model id or null.", "defaultModel")
    _known(raw, catalog, param="defaultModel")
    if raw not in allowed:
        raise invalid_value(f"defaultModel '{raw}' must be one of allowedModels.", "defaultModel")
    return raw


def _max_tokens(raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_TOKENS_PER_REQUEST:
        raise invalid_value(
            f"maxTokensPerRequest must be an integer from 1 to {MAX_TOKENS_PER_REQUEST:,} or null.",
            "maxTokensPerRequest",
        )
    return raw


def _known(model_id: str, catalog: Catalog, param: str = "allowedModels") -> ModelEntry:
    for entry in catalog.models:
        if entry.id == model_id:
            return entry
    raise InvalidRequestError(
        f"The model '{model_id}' does not exist.", param=param, code="model_not_found"
    )
