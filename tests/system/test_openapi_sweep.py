"""A bounded schemathesis pass over our own OpenAPI document, against the platform as `make
serve` starts it: the document is fetched from GET /openapi.json and validated, then every
operation gets MODES' generated requests (deterministic: the same cases every run) with the
development key. The property: no 5xx, and every answer conforms to the document (status,
content type, headers, body schema: the error envelope for every 4xx).

Random ids only ever reach 404, so hooks pin what must exist for a body to reach real logic:
`model` to a catalog model of the right type, `{app_id}` to an app of the key's user,
`{model_id}` to a catalog model, `{slug}` to a prompt. POST /v1/traces (OTLP protobuf) is left
out: schemathesis cannot make protobuf bodies (tests/api/test_trace_ingest.py covers it).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.server import RunningServer

# Generated requests per operation: valid ones, and malformed ones (which must be 4xx);
# SWITCHBOARD_OPENAPI_SWEEP_SCALE=10 sends ten times as many (a longer local run).
SCALE = int(os.environ.get("SWITCHBOARD_OPENAPI_SWEEP_SCALE") or 1)
MODES = {GenerationMode.POSITIVE: 4 * SCALE, GenerationMode.NEGATIVE: 2 * SCALE}
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
pytestmark += [pytest.mark.timeout(300 * SCALE)]
MODELS = {
    "/v1/embeddings": "local-embed",
    "/v1/{app_id}/embeddings": "local-embed",
    "/v1/videos/completions": "local-video",
    "/v1/{app_id}/videos/completions": "local-video",
    "/v1/videos": "local-video",
}
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SWEEP = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class Fixed:
    """The ids the hooks pin, made once through the API."""

    app_id = ""
    slug = "sweep-prompt"


def pin_model(context: Any, body: Any) -> Any:
    path = context.operation.path if context.operation else ""
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        return {**body, "model": MODELS.get(path, "local-chat")}
    return body


def pin_path(context: Any, parameters: Any) -> Any:
    if not isinstance(parameters, dict):
        return parameters
    pinned = dict(parameters)
    if context.operation is not None and context.operation.method.upper() == "DELETE":
        return pinned  # random ids: the sweep's own app and prompt stay for the others
    if "app_id" in pinned:
        pinned["app_id"] = Fixed.app_id
    if "model_id" in pinned:
        pinned["model_id"] = "local-chat"
    if "slug" in pinned:
        pinned["slug"] = Fixed.slug
    return pinned


@pytest.fixture(scope="module")
def document(server: RunningServer) -> Iterator[dict[str, Any]]:
    answer = httpx.get(f"{server.base_url}/openapi.json", timeout=10)  # no key
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    yield body


@pytest.fixture(scope="module")
def api_schema(server: RunningServer, document: dict[str, Any]) -> Any:
    validate(document)
    headers = {"Authorization": f"Bearer {server.api_key}"}
    app = httpx.post(f"{server.base_url}/apps", json={"name": "sweep"}, headers=headers)
    Fixed.app_id = app.json()["id"]
    httpx.post(f"{server.base_url}/prompts", json={"slug": Fixed.slug}, headers=headers)
    httpx.post(
        f"{server.base_url}/prompts/{Fixed.slug}/versions",
        json={"text": "Hello {{name}}", "tag": "production"},
        headers=headers,
    )
    loaded = schemathesis.openapi.from_dict(document).exclude(path="/v1/traces")
    loaded.hook("map_body")(pin_model)
    loaded.hook("map_path_parameters")(pin_path)
    return loaded


class Sweep:
    """Sends cases and keeps the figures: requests sent, answers by status class."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.headers = {"Authorization": f"Bearer {server.api_key}"}
        self.statuses: Counter[str] = Counter()

    def of(self, operation: Any, mode: GenerationMode) -> Callable[[], None]:
        """The hypothesis test of one operation in one mode; a malformed request must also be
        refused (4xx), a valid one only answered without a 5xx."""
        checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

        @settings(SWEEP, max_examples=MODES[mode])
        @given(case=operation.as_strategy(generation_mode=mode))
        def sweep(case: Any) -> None:
            response = case.call(base_url=self.server.base_url, headers=self.headers, timeout=30)
            self.statuses[f"{response.status_code // 100}xx"] += 1
            asked = f"{case.formatted_path} query={case.query} body={case.body!r}"[:500]
            assert response.status_code < 500, f"{asked} -> {response.status_code}"
            case.validate_response(response, checks=checks)

        return cast(Callable[[], None], sweep)


def test_every_answer_conforms_and_none_is_a_5xx(api_schema: Any, server: RunningServer) -> None:
    sweeps = Sweep(server)
    failures: dict[str, str] = {}
    took: dict[str, float] = {}
    started = time.monotonic()
    for result, mode in itertools.product(api_schema.get_all_operations(), MODES):
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path} ({mode.value})"
        if mode is GenerationMode.NEGATIVE and not (len(operation.body) or len(operation.query)):
            continue  # nothing a request could get wrong but its path
        began = time.monotonic()
        try:
            sweeps.of(operation, mode)()
        except Unsatisfiable:
            continue  # no malformed request exists (every query parameter is a free string)
        except (Exception, BaseExceptionGroup) as failure:  # all operations, all failures
            failures[label] = str(failure)[:1500]
        finally:
            took[label] = time.monotonic() - began
    elapsed = time.monotonic() - started
    operations = len(list(api_schema.get_all_operations()))
    statuses = sweeps.statuses
    by_class = ", ".join(f"{n} {kind}" for kind, n in sorted(statuses.items()))
    print(f"schemathesis: {sum(statuses.values())} cases over {operations} operations in "
          f"{elapsed:.1f} s; {by_class}")  # fmt: skip
    slowest = sorted(took.items(), key=lambda item: -item[1])[:5]
    print("slowest:", ", ".join(f"{label} {seconds:.1f} s" for label, seconds in slowest))
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
