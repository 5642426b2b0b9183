"""The model catalog: OpenAI's model list (authenticated) and a public price list."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.metering import app_of
from switchboard.api.responses import json_response
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelEntry


async def list_models(request: Request) -> Response:
    await require_principal(request)
    data = [_model(entry) for entry in container().catalog.models]
    return json_response({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    await require_principal(request)
    return json_response(_model(container().catalog.get(request.path_params["model_id"])))


async def list_app_models(request: Request) -> Response:
    """The models an app's routes accept, under its current config."""
    from switchboard.domain.apps import app_models

    principal = await require_principal(request)
    app = await app_of(request, principal)
    data = [_model(entry) for entry in app_models(app, container().catalog)]
    return json_response({"object": "list", "data": data})


async def list_public_models(request: Request) -> Response:
    data = [_public_model(entry) for entry in container().catalog.models]
    return json_response({"object": "list", "data": data})


def _model(entry: ModelEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "object": "model",
        "created": entry.created,
        "owned_by": entry.provider.name,
        "display_name": entry.name,
        "type": entry.type.value,
        **_video(entry),
        **_lifecycle(entry),
    }


def _public_model(entry: ModelEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "type": entry.type.value,
        "inputPricePerMTokens": float(entry.input_price_per_mtok),
        "outputPricePerMTokens": float(entry.output_price_per_mtok),
        "batchDiscount": float(entry.batch_discount),
        "contextWindow": entry.context_window,
        **_video(entry),
        **_lifecycle(entry),
    }


def _video(entry: ModelEntry) -> dict[str, Any]:
    """A video model's price (USD per second of video) and the options it renders."""
    if entry.video is None:
        return {}
    return {
        "pricePerSecond": float(entry.video.price_per_second),
        "durations": list(entry.video.durations),
        "resolutions": list(entry.video.resolutions),
        "aspectRatios": list(entry.video.aspect_ratios),
        "variants": entry.video.variants,
    }


def _lifecycle(entry: ModelEntry) -> dict[str, Any]:
    """When a model is deprecated or retired (UTC days), and what replaces it."""
    if entry.deprecated_at is None and entry.retired_at is None:
        return {}
    return {
        "deprecated_at": entry.deprecated_at.isoformat() if entry.deprecated_at else None,
        "retired_at": entry.retired_at.isoformat() if entry.retired_at else None,
        "successor": entry.successor,
    }


routes = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model_id}", retrieve_model, methods=["GET"]),
    Route("/v1/public/models", list_public_models, methods=["GET"]),
    Route("/v1/{app_id}/ai/models", list_app_models, methods=["GET"]),
]
