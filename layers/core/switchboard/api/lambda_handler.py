"""Lambda entry points: an ASGI app behind API Gateway, through Mangum, with Powertools logging."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum
from starlette.types import ASGIApp

Handler = Any


def make_handler(app: ASGIApp) -> Handler:
    logger = Logger()
    asgi = Mangum(app, lifespan="off", api_gateway_base_path="/")

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return asgi(event, context)  # type: ignore[no-any-return]

    return handler
