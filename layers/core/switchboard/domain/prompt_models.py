"""A prompt version's model block: `{provider?, model, parameters?}`.

The model must be a chat model of the catalog (else 400 model_not_found: a prompt names it
ahead of any request); `provider`, if given, must be the one the catalog serves it from. The
parameters are those a chat completion takes (PARAMETERS), judged by ChatCompletionRequest's
own rules, and an output limit may not pass the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.domain.catalog import Catalog, ModelEntry, ModelType
from switchboard.domain.clock import utcnow
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.validation import invalid_value, validate
from switchboard.errors import InvalidRequestError

PARAMETERS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
)


@dataclass(frozen=True, slots=True)
class ModelBlock:
    provider: str
    model: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "parameters": dict(self.parameters)}


def parse_model_block(raw: object, catalog: Catalog) -> ModelBlock | None:
    """`{provider?, model, parameters?}`: a catalog chat model and chat's own parameters."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid_value("model must be an object {provider?, model, parameters?}.", "model")
    refuse_unknown(raw, ("provider", "model", "parameters"), "model")
    entry = _chat_model(raw.get("model"), catalog)
    provider = raw.get("provider")
    if provider is not None and provider != entry.provider.name:
        raise invalid_value(
            f"The model '{entry.id}' is served by '{entry.provider.name}', not '{provider}'.",
            "model.provider",
        )
    return ModelBlock(entry.provider.name, entry.id, _parameters(raw.get("parameters"), entry))


def model_version(block: ModelBlock, catalog: Catalog) -> str | None:
    """The model's own snapshot: its upstream name when the catalog's id differs from it."""
    entry = catalog.find(block.model)
    if entry is None or entry.upstream_model == entry.id:
        return None
    return entry.upstream_model


def _chat_model(raw: object, catalog: Catalog) -> ModelEntry:
    if not isinstance(raw, str) or not raw:
        raise invalid_value("model.model must be a model id.", "model.model")
    entry = catalog.find(raw)
    if entry is None or entry.type is not ModelType.CHAT or entry.retired(utcnow().date()):
        raise InvalidRequestError(
            f"The model '{raw}' is not a chat model of the catalog (or it was retired).",
            param="model.model",
            code="model_not_found",
        )
    return entry


def _parameters(raw: object, entry: ModelEntry) -> dict[str, Any]:
    """Chat's parameters, judged by ChatCompletionRequest's own rules."""
    if raw is None:
        return {}
    param = "model.parameters"
    if not isinstance(raw, dict):
        raise invalid_value(f"{param} must be an object.", param)
    refuse_unknown(raw, PARAMETERS, param)
    probe = {"model": entry.id, "messages": [{"role": "user", "content": "."}]}
    try:
        validate(ChatCompletionRequest, probe | raw)
    except InvalidRequestError as exc:
        raise InvalidRequestError(
            exc.message, param=f"{param}.{exc.param}", code=exc.code or "invalid_value"
        ) from None
    cap = entry.max_output_tokens
    for name in ("max_tokens", "max_completion_tokens"):
        if cap is not None and raw.get(name) is not None and raw[name] > cap:
            raise invalid_value(f"{name} may be at most {cap} for '{entry.id}'.", f"{param}.{name}")
    return {name: raw[name] for name in PARAMETERS if raw.get(name) is not None}


def refuse_unknown(raw: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    """400 unknown_parameter naming the first key of `raw` (sorted) that is not `known`."""
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidRequestError(
            f"Unrecognized argument in {where}: {unknown[0]}",
            param=f"{where}.{unknown[0]}",
            code="unknown_parameter",
        )
