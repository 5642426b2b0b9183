"""POST /v1/chat/completions and /v1/embeddings, with requests schemathesis makes from OpenAI's
published spec: valid ones (positive) and malformed ones (negative).

Every answer must be OpenAI-shaped (see sweep.py); a 200 must also match the spec's response
schema. The model is pinned to a local one: a random model name only ever reaches 404.
"""

from __future__ import annotations

import base64
import functools
import json
import struct
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal
from hypothesis import event, given
from hypothesis import strategies as st

from switchboard.local.platform import Platform
from tests.property.conftest import Callers
from tests.property.sweep import SWEEP, TIMEOUT, Observed, assert_openai_shaped, send
from tests.support.openai_spec import SPEC_PATH, assert_matches_spec

pytestmark = [pytest.mark.xdist_group("openai_spec_sweep"), TIMEOUT]

# The operations we serve (the spec's server is /v1), and the local model each is pinned to.
SERVED = {"/chat/completions": "local-chat", "/embeddings": "local-embed"}
BASE_URL = "http://testserver/v1"


def pin_model(context: Any, body: Any) -> Any:
    """schemathesis's map_body hook: a string model becomes the operation's local model; a
    missing or mistyped one is left alone, as negative cases mean it."""
    model = SERVED.get(context.operation.path) if context.operation else None
    if model and isinstance(body, dict) and isinstance(body.get("model"), str):
        return {**body, "model": model}
    return body


@functools.cache
def openai_schema() -> Any:
    import schemathesis

    schema = schemathesis.openapi.from_path(SPEC_PATH)
    schema.hook("map_body")(pin_model)
    return schema


@functools.cache
def cases(path: str, mode: str) -> st.SearchStrategy[Any]:
    from schemathesis import GenerationMode

    operation = openai_schema()[path]["POST"]
    return operation.as_strategy(generation_mode=GenerationMode(mode))


@pytest.fixture(scope="session")
def spec() -> None:
    """Skips before the platform starts (session fixtures are set up first, in order)."""
    if not SPEC_PATH.exists():
        pytest.skip(f"OpenAI's spec is not at {SPEC_PATH}; the spec-driven sweep needs it")


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("path", list(SERVED))
@SWEEP
@given(data=st.data())
def test_spec_requests_get_openai_shaped_answers(
    spec: None,
    platform: Platform,
    portal: BlockingPortal,
    callers: Callers,
    path: str,
    mode: str,
    data: st.DataObject,
) -> None:
    case = data.draw(cases(path, mode), label="case")
    observed = portal.call(send, platform.app, *wire_request(case, callers.user_key))
    event(f"status {observed.status}")
    assert_openai_shaped(observed)
    if observed.status == 200:
        matches_response_schema(case, observed)


def wire_request(case: Any, key: str) -> tuple[str, str, bytes, dict[str, str]]:
    """Method, path, body bytes and headers, exactly as schemathesis would send the case."""
    from schemathesis.config import SanitizationConfig
    from schemathesis.transport.prepare import prepare_request

    prepared = prepare_request(
        case, {}, config=SanitizationConfig(enabled=False), base_url=BASE_URL
    )
    body = prepared.body or b""
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {key}"
    path = str(prepared.path_url)
    return str(prepared.method), path, body.encode() if isinstance(body, str) else body, headers


def matches_response_schema(case: Any, observed: Observed) -> None:
    """A JSON body by schemathesis's own check; a stream frame by frame, as schemathesis would
    check each event's wrapper ({"event", "data"}) rather than the chunk inside it."""
    from schemathesis.specs.openapi.checks import response_schema_conformance

    if not observed.content_type.startswith("text/event-stream"):
        response = as_float_vectors(observed)
        case.validate_response(response, checks=[response_schema_conformance])
        return
    for line in observed.text.splitlines():
        payload = line.removeprefix("data:").strip()
        if not line.startswith("data:") or payload == "[DONE]":
            continue
        frame = json.loads(payload)
        if "error" not in frame:  # an error frame is held to the envelope, not the chunk
            assert_matches_spec(frame, "CreateChatCompletionStreamResponse")


def as_float_vectors(observed: Observed) -> httpx.Response:
    """The response, with base64 embeddings decoded: the spec describes float vectors only,
    and base64 (which OpenAI serves too) carries the same floats (as in test_embeddings.py)."""
    assert observed.response is not None
    body = json.loads(observed.text)
    data = body.get("data") if isinstance(body, dict) else None
    items = [item for item in data or [] if isinstance(item, dict)]
    encoded = [item for item in items if isinstance(item.get("embedding"), str)]
    if not encoded:
        return observed.response
    for item in encoded:
        raw = base64.b64decode(item["embedding"])
        item["embedding"] = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    decoded = httpx.Response(200, json=body, request=observed.response.request)
    decoded.elapsed = observed.response.elapsed
    return decoded
