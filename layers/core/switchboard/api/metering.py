"""What metered routes share: the door that counts and bills them, whose balance pays, and
an app's rules for a request.

    async with metered(request, app_scoped=True) as call:   # call.principal, .meter, .app
        ...

Plain routes bill the caller. App routes (/v1/{app_id}/...) bill the app's owner and apply
the app's config: an omitted model is its defaultModel, a model outside allowedModels is
refused (403 model_not_allowed), and max_tokens above maxTokensPerRequest is refused (400);
without max_tokens, the cap is sent upstream as max_tokens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from switchboard.api.auth import authenticate, check_scope
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelType
from switchboard.domain.principals import Principal
from switchboard.errors import InvalidRequestError
from switchboard.services import threads

if TYPE_CHECKING:  # imported when first used: off the functions' import path
    from switchboard.domain.apps import App
    from switchboard.domain.requests import ChatCompletionRequest
    from switchboard.services.meter import Meter


@dataclass(frozen=True, slots=True)
class MeteredCall:
    """A metered request: who calls, the meter, and the app on an app's route."""

    principal: Principal
    meter: Meter
    app: App | None = None


@asynccontextmanager
async def metered(
    request: Request, *, app_scoped: bool = False, hold_seconds: int | None = None
) -> AsyncIterator[MeteredCall]:
    """The door of a metered route: authenticate (401), then, inside the block, check the
    key's scopes and the app, read the body and serve the request, whose credit hold counts
    it in the caller's rate window (`hold_seconds`: how long the hold may stay open, when a
    worker settles it later). A request that fails before that write (400, 403, 404 ...)
    is counted on its way out, and a full window then answers 429 instead."""
    services = container()
    principal = await authenticate(request)
    meter: Meter | None = None
    try:
        check_scope(request, principal)
        app = await app_of(request, principal) if app_scoped else None
        meter = services.billing.meter(
            payer_id=app.owner_id if app else principal.user_id,
            caller_id=principal.user_id,
            limits=services.limiter.limits_for(principal),
            request_id=request.state.request_id,
            app_id=app.app_id if app else None,
            hold_seconds=hold_seconds,
        )
        _traced(request, principal, meter, app)
        yield MeteredCall(principal, meter, app)
    except Exception:
        await _counted(request, principal, meter)
        raise
    await _counted(request, principal, meter)


SPAN_TYPES = {"chat": "llm", "embeddings": "embedding", "kits": "kit", "videos": "video",
              "vector_stores": "retrieval"}  # fmt: skip
CAPTURE_HEADER = "x-switchboard-trace-capture"


def _traced(request: Request, principal: Principal, meter: Meter, app: App | None) -> None:
    """Start the request's trace on its meter (its span rides on the settlement). Capture
    is off when the deployment, the app (traceCapture) or the request (the header, or the
    body's `trace.capture`, which api/requests.read_object takes out) says so."""
    tracing = container().billing.tracing
    if tracing is None:  # TRACING=false: no traces at all
        return
    params = set(request.path_params.values())
    parts = [p for p in request.url.path.split("/") if p and p != "v1" and p not in params]
    capture = request.headers.get(CAPTURE_HEADER, "on").strip().lower() not in ("off", "false")
    span_type = SPAN_TYPES.get(parts[0] if parts else "", "llm")
    trace = tracing.start(
        name=".".join(parts) or "request", span_type=span_type,
        user_id=principal.user_id, payer_id=meter.payer_id, key_id=principal.key_id,
        app_id=meter.app_id, capture=capture and (app is None or app.config.trace_capture),
    )  # fmt: skip
    meter.traced(tracing, trace)
    request.state.trace = trace


async def _counted(request: Request, principal: Principal, meter: Meter | None) -> None:
    """Leave the caller's window in the request's state for the headers, counting the
    request first if nothing held credits for it (it failed before, or held nothing: a
    resubmission answered by idempotency); a full window then answers 429."""
    if meter is not None and meter.rate is not None:
        request.state.rate = meter.rate
        return
    limiter = container().limiter
    limits = limiter.limits_for(principal)
    state = await threads.blocking(
        lambda: limiter.count_user(principal.user_id, limits, tokens=True)
    )
    request.state.rate = state
    state.check()


async def app_of(request: Request, principal: Principal) -> App:
    """The app named in the path, if the caller owns it or is an admin (else 404)."""
    app_id = request.path_params["app_id"]
    return await threads.blocking(container().apps.get_for, principal, app_id)


def with_app_model(data: dict[str, Any], app: App, kind: ModelType) -> dict[str, Any]:
    """The body with the app's model rules applied (before validation: model may be absent)."""
    from switchboard.domain.apps import resolve_model

    given = data.get("model")
    if given is not None and not isinstance(given, str):
        return data  # validation reports the wrong type
    return data | {"model": resolve_model(app, container().catalog, given, kind).id}


def with_app_cap(body: ChatCompletionRequest, app: App) -> ChatCompletionRequest:
    cap = app.config.max_tokens_per_request
    if cap is None:
        return body
    limit = body.output_limit
    if limit is None:  # the cap, within the model's own output limit
        own = container().catalog.get(body.model).max_output_tokens
        return body.model_copy(update={"max_tokens": min(cap, own) if own else cap})
    if limit > cap:
        param = "max_completion_tokens" if body.max_completion_tokens else "max_tokens"
        raise InvalidRequestError(
            f"{param} is {limit}, above this app's maxTokensPerRequest of {cap}.",
            param=param,
            code="max_tokens_exceeded",
        )
    return body
