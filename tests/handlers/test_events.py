"""Every file in events/ through the real Lambda handler of the function that serves it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.cli import (
    EVENTS_API_KEY,
    EVENTS_APP_ID,
    EVENTS_PROMPT_SLUG,
    ensure_example_prompt,
    ensure_example_request,
)
from switchboard.domain.account_changes import NewUser
from switchboard.errors import ConflictError
from switchboard.local.functions import LocalContext, load_handler
from switchboard.local.platform import Platform
from switchboard.local.template import FunctionSpec, Template
from tests.conftest import ROOT, TEMPLATE
from tests.support.openai_spec import assert_matches_spec

EVENTS = sorted((ROOT / "events").glob("*/*.json"))

# What each event must produce: status, and the OpenAI schema its body follows (if any).
EXPECTED: dict[str, tuple[int, str | None]] = {
    "inference/chat-completion": (200, "CreateChatCompletionResponse"),
    "inference/chat-completion-stream": (200, None),
    "inference/chat-completion-invalid": (400, "ErrorResponse"),
    "inference/chat-completion-unknown-model": (404, "ErrorResponse"),
    "inference/chat-completion-file-search-unknown-store": (404, "ErrorResponse"),
    "inference/chat-completion-no-key": (401, "ErrorResponse"),
    "inference/embeddings": (200, "CreateEmbeddingResponse"),
    "inference/embeddings-base64": (200, None),
    "catalog/list-models": (200, "ListModelsResponse"),
    "catalog/get-model": (200, "Model"),
    "catalog/get-model-unknown": (404, "ErrorResponse"),
    "catalog/public-models": (200, None),
    "catalog/health": (200, None),
    "console/page": (200, None),
    "console/asset": (200, None),
    "docs/openapi": (200, None),
    "docs/viewer": (200, None),
    "docs/viewer-asset": (200, None),
    "preflight/preflight-unlisted-origin": (403, "ErrorResponse"),  # no origin listed here
    "accounts/me": (200, None),
    "accounts/list-user-keys": (200, None),
    "accounts/usage-entries": (200, None),
    "accounts/usage": (200, None),
    "accounts/admin-list-users": (403, "ErrorResponse"),  # the events key is not an admin
    "accounts/admin-update-user": (403, "ErrorResponse"),
    "apps/create-app": (201, None),
    "apps/list-apps": (200, None),
    "apps/get-app": (200, None),
    "apps/rename-app": (200, None),
    "apps/delete-app-unknown": (404, "ErrorResponse"),
    "apps/get-config": (200, None),
    "apps/put-config": (200, None),
    "apps/usage": (200, None),
    "apps/get-config-unknown-app": (404, "ErrorResponse"),
    "queue/submit": (202, None),
    "queue/submit-unknown-model": (400, "ErrorResponse"),
    "queue/poll": (200, None),
    "queue/poll-unknown": (404, "ErrorResponse"),
    "queue/list-requests": (200, None),
    "batches/upload-file": (200, "OpenAIFile"),
    "batches/list-files": (200, None),
    "batches/retrieve-file-unknown": (404, "ErrorResponse"),
    "batches/create-batch-unknown-file": (400, "ErrorResponse"),
    "batches/list-batches": (200, None),
    "batches/retrieve-batch-unknown": (404, "ErrorResponse"),
    "batches/cancel-batch-unknown": (404, "ErrorResponse"),
    "batches/create-upload": (201, None),
    "batches/retrieve-upload-unknown": (404, "ErrorResponse"),
    "vector_stores/create-vector-store": (200, "VectorStoreObject"),
    "vector_stores/create-vector-store-invalid": (400, "ErrorResponse"),
    "vector_stores/list-vector-stores": (200, None),  # first_id is null on an empty page
    "vector_stores/retrieve-vector-store-unknown": (404, "ErrorResponse"),
    "vector_stores/search-vector-store-unknown": (404, "ErrorResponse"),
    "videos/submit": (202, None),
    "videos/submit-bad-duration": (400, "ErrorResponse"),
    "videos/poll-unknown": (404, "ErrorResponse"),
    "videos/app-poll-unknown": (404, "ErrorResponse"),
    "videos/content-unknown": (404, "ErrorResponse"),
    "videos/cancel-unknown": (404, "ErrorResponse"),
    "videos/create-video": (200, None),  # VideoResource but for its size (ours: 854x480)
    "videos/list-videos": (200, None),  # VideoListResource but for the sizes
    "videos/retrieve-video-unknown": (404, "ErrorResponse"),
    "videos/delete-video-unknown": (404, "ErrorResponse"),
    "videos/download-video-unknown": (404, "ErrorResponse"),
    "kits/list-kits": (200, None),
    "kits/run-kit": (200, None),
    "kits/run-kit-stream": (200, None),
    "kits/run-classifier": (200, None),
    "kits/run-kit-unknown": (404, "ErrorResponse"),
    "kits/run-kit-no-key": (401, "ErrorResponse"),
    "kits/list-skills": (200, None),
    "prompts/create-prompt": (201, None),
    "prompts/list-prompts": (200, None),
    "prompts/create-version": (201, None),
    "prompts/list-versions": (200, None),
    "prompts/move-tag": (200, None),
    "prompts/describe": (200, None),
    "prompts/get-prompt": (200, None),
    "prompts/compile": (200, None),
    "prompts/compile-missing-variable": (400, "ErrorResponse"),
    "prompts/get-prompt-unknown": (404, "ErrorResponse"),
    "experiments/create-experiment": (201, None),
    "experiments/create-experiment-invalid": (400, "ErrorResponse"),
    "experiments/get-experiment-unknown": (404, "ErrorResponse"),
    "experiments/start-run-unknown-experiment": (404, "ErrorResponse"),
    "experiments/get-run-unknown": (404, "ErrorResponse"),
    "experiments/score-unknown-trace": (404, "ErrorResponse"),
    "trace_ingest/ingest-trace": (201, None),
    "trace_ingest/ingest-trace-invalid": (400, "ErrorResponse"),
    "trace_ingest/export-otlp-protobuf": (200, None),  # base64 and gzip, as API Gateway sends
    "trace_ingest/export-otlp-json": (200, None),
    "monitor/list-traces": (200, None),
    "monitor/list-traces-bad-status": (400, "ErrorResponse"),
    "monitor/get-trace-unknown": (404, "ErrorResponse"),
    "monitor/stats": (200, None),
}
# Scheduled events (EventBridge), for functions with a Schedule event: what they return.
SCHEDULED = {"sweeper/scheduled", "trace_export/scheduled"}
# SQS events, for functions with an SQS event source: each answers a partial batch response.
QUEUED = {
    "queue_worker/request",
    "queue_dead_letters/dead-letter",
    "batch_steps/step",  # a step of a batch that is not there, with a token nobody waits on
    "batch_lines/lines",  # lines of a batch that is not there
    "batch_lines_dead_letters/dead-letter",
    "batch_steps_dead_letters/dead-letter",
    "batch_uploads/notification",  # a file under the prefix of a user who is not there
    "video_steps/step",  # a step of a job that is not there, with a token nobody waits on
    "video_steps_dead_letters/dead-letter",
    "video_render/render",  # a one-second render into the bucket
    "vector_files/file",  # a file of a vector store that is not there
    "vector_files_dead_letters/dead-letter",
}


# The user the events' key belongs to, and the app the apps events name (owned by that user).
EVENTS_USER_ID = "usr_events"


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="module")
def events_key(platform: Platform) -> str:
    from switchboard.bootstrap import container

    services = container()
    accounts = services.accounts
    user = accounts.ensure_user(
        EVENTS_USER_ID,
        # builder's 120 requests a minute: more events than maker's 30 run within one
        NewUser(
            "events@example.com", "E", "E", plan="builder", opening_balance_micro_usd=10_000_000
        ),
    )
    with contextlib.suppress(ConflictError):
        accounts.issue_key(user, "events", secret=EVENTS_API_KEY)
    services.apps.ensure(EVENTS_APP_ID, EVENTS_USER_ID, "Events app")
    ensure_example_request(EVENTS_USER_ID)
    ensure_example_prompt(EVENTS_USER_ID)
    return EVENTS_API_KEY


# The apps bodies are not OpenAI's: what each must hold, given the event that asked for it.
def _app(body: dict[str, Any]) -> None:
    assert set(body) == {"id", "object", "name", "owner_id", "created_at"}
    assert body["object"] == "app" and body["owner_id"] == EVENTS_USER_ID
    assert body["id"].startswith("app_") and isinstance(body["created_at"], int)


def _created_app(body: dict[str, Any], event: dict[str, Any]) -> None:
    _app(body)
    assert body["name"] == json.loads(event["body"])["name"]


def _apps(body: dict[str, Any], _: dict[str, Any]) -> None:
    assert body["object"] == "list"
    for app in body["data"]:
        _app(app)
    assert EVENTS_APP_ID in {app["id"] for app in body["data"]}


def _config(body: dict[str, Any], _: dict[str, Any]) -> None:
    assert set(body) == {"app_id", "defaultModel", "maxTokensPerRequest", "allowedModels",
                         "traceCapture"}  # fmt: skip
    assert body["app_id"] == EVENTS_APP_ID
    assert body["allowedModels"] and all(isinstance(m, str) for m in body["allowedModels"])


def _put_config(body: dict[str, Any], event: dict[str, Any]) -> None:
    assert body == {"app_id": EVENTS_APP_ID, "traceCapture": True, **json.loads(event["body"])}


def _usage(body: dict[str, Any], event: dict[str, Any]) -> None:
    keys = {"app_id", "startDate", "endDate", "totalTokens", "totalCost", "byModel"}
    assert set(body) == keys and body["app_id"] == EVENTS_APP_ID
    query = event["queryStringParameters"]
    assert (body["startDate"], body["endDate"]) == (query["startDate"], query["endDate"])
    assert isinstance(body["totalTokens"], int) and isinstance(body["totalCost"], str)
    assert isinstance(body["byModel"], dict)


def _app_not_found(body: dict[str, Any], event: dict[str, Any]) -> None:
    assert body["error"]["code"] == "app_not_found"
    assert body["error"]["param"] == "app_id"
    assert event["pathParameters"]["app_id"] in body["error"]["message"]


def _uploaded(body: dict[str, Any], event: dict[str, Any]) -> None:
    assert body["id"].startswith("file-") and body["purpose"] == "batch"
    assert body["filename"] == "requests.jsonl" and body["bytes"] > 0


def _listed(kind: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def check(body: dict[str, Any], event: dict[str, Any]) -> None:
        assert body["object"] == "list" and isinstance(body["has_more"], bool)
        assert len(body["data"]) <= int(event["queryStringParameters"]["limit"])
        assert all(item["object"] == kind for item in body["data"])

    return check


def _upload(body: dict[str, Any], event: dict[str, Any]) -> None:
    asked = json.loads(event["body"])
    assert body["object"] == "batch.upload" and body["status"] == "pending"
    assert body["user_id"] == EVENTS_USER_ID and body["metadata"] == asked["metadata"]
    assert body["key"].startswith(f"batch-input/{EVENTS_USER_ID}/{body['id']}/")
    assert body["url"] and "policy" in body["fields"] and body["fields"]["key"] == body["key"]


def _submitted(body: dict[str, Any], event: dict[str, Any]) -> None:
    assert set(body) == {"job_id", "status", "polling_url"} and body["status"] == "pending"
    host = event["headers"]["Host"]
    assert body["polling_url"] == f"https://{host}/prod/v1/videos/completions/{body['job_id']}"


def _video(body: dict[str, Any], event: dict[str, Any]) -> None:
    assert body["size"] == json.loads(event["body"])["size"] and body["status"] == "queued"
    assert_matches_spec(body | {"size": "1280x720"}, "VideoResource")


def _videos(body: dict[str, Any], event: dict[str, Any]) -> None:
    data = [video | {"size": "1280x720"} for video in body["data"]]
    assert_matches_spec(body | {"data": data}, "VideoListResource")
    assert len(data) <= int(event["queryStringParameters"]["limit"])


def _served_prompt(body: dict[str, Any], _: dict[str, Any]) -> None:
    assert set(body) == {"warning", "prompt"}
    prompt = body["prompt"]
    assert (prompt["slug"], prompt["tag"]) == (EVENTS_PROMPT_SLUG, "production")
    assert {"text", "systemText", "version", "model"} <= set(prompt)


def _compiled_prompt(body: dict[str, Any], _: dict[str, Any]) -> None:
    assert body["messages"] == [
        {"role": "system", "content": "You are a friendly greeter."},
        {"role": "user", "content": "Say hello to Ada."},
    ]
    assert body["unusedVariables"] == ["unused"] and "unused" in body["warning"]


def _missing_variable(body: dict[str, Any], _: dict[str, Any]) -> None:
    assert body["error"]["code"] == "missing_variable"
    assert body["error"]["param"] == "variables.name"


def _store_not_found(body: dict[str, Any], _: dict[str, Any]) -> None:
    """The inference function builds the vector stores' service and finds no such store."""
    assert "vs_0123456789abcdef01234567" in body["error"]["message"]


def _experiment(body: dict[str, Any], event: dict[str, Any]) -> None:
    assert body["object"] == "experiment" and body["id"].startswith("exp_")
    sent = json.loads(event["body"])
    assert (body["featureSlug"], body["name"]) == (sent["featureSlug"], sent["name"])
    assert body["owner"] == EVENTS_USER_ID


def _not_found(code: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def check(body: dict[str, Any], _: dict[str, Any]) -> None:
        assert body["error"]["code"] == code

    return check


def _bad_param(param: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def check(body: dict[str, Any], _: dict[str, Any]) -> None:
        assert body["error"]["param"] == param

    return check


def _fail(body: dict[str, Any]) -> None:
    raise AssertionError(body)


def _prompt_pages(kind: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def check(body: dict[str, Any], event: dict[str, Any]) -> None:
        assert set(body) == {"object", "data", "has_more", "next_cursor"}
        _listed(kind)(body, event)

    return check


def _openapi(body: dict[str, Any], _: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(body)
    assert "/v1/chat/completions" in body["paths"] and "/openapi.json" in body["paths"]


BODIES: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "docs/openapi": _openapi,
    "preflight/preflight-unlisted-origin": _not_found("cors_origin_not_allowed"),
    "videos/submit": _submitted,
    "videos/list-videos": _videos,
    "videos/create-video": _video,
    "batches/create-upload": _upload,
    "batches/upload-file": _uploaded,
    "batches/list-files": _listed("file"),
    "batches/list-batches": _listed("batch"),
    "apps/create-app": _created_app,
    "apps/list-apps": _apps,
    "apps/get-config": _config,
    "apps/put-config": _put_config,
    "apps/usage": _usage,
    "apps/get-config-unknown-app": _app_not_found,
    "prompts/list-prompts": _prompt_pages("prompt"),
    "prompts/list-versions": _prompt_pages("prompt.version"),
    "prompts/get-prompt": _served_prompt,
    "prompts/compile": _compiled_prompt,
    "prompts/compile-missing-variable": _missing_variable,
    "inference/chat-completion-file-search-unknown-store": _store_not_found,
    "experiments/create-experiment": _experiment,
    "experiments/get-experiment-unknown": _not_found("experiment_not_found"),
    "experiments/start-run-unknown-experiment": _not_found("experiment_not_found"),
    "experiments/get-run-unknown": _not_found("experiment_not_found"),
    "experiments/score-unknown-trace": _not_found("trace_not_found"),
    "trace_ingest/ingest-trace": lambda body, _: body["id"].startswith("tr_") or _fail(body),
    "trace_ingest/ingest-trace-invalid": _bad_param("logs[0].parentId"),
    "trace_ingest/export-otlp-json": lambda body, _: body == {} or _fail(body),
}


def _function_for(path: Path) -> FunctionSpec:
    folder = path.parent.name
    return next(s for s in Template.load(TEMPLATE).functions() if s.code_uri.name == folder)


API_EVENTS = [p for p in EVENTS if _name(p) not in SCHEDULED | QUEUED]
QUEUE_EVENTS = [p for p in EVENTS if _name(p) in QUEUED]


def test_every_event_has_an_expectation() -> None:
    assert {_name(p) for p in EVENTS} == set(EXPECTED) | SCHEDULED | QUEUED


def test_every_event_matches_a_route_or_schedule_of_its_function() -> None:
    for path in EVENTS:
        event = json.loads(path.read_text())
        spec = _function_for(path)
        if _name(path) in SCHEDULED:
            assert event["detail-type"] == "Scheduled Event" and spec.schedules, path
            continue
        if _name(path) in QUEUED:
            queue = event["Records"][0]["eventSourceARN"].rsplit("-", 1)[-1]
            assert queue in {name for name, _ in spec.queues}, path
            continue
        declared = {(r.method, r.path) for r in spec.routes}
        assert (event["httpMethod"], event["resource"]) in declared, path


def test_scheduled_sweep_through_real_handler(services: Any, new_user: Any) -> None:
    """The sweeper's handler releases a hold that a crashed container left behind."""
    from tests.support.ledger import hold, reserve

    user = new_user(balance_usd=1)
    reserve(services.ledger_repo, hold(user, 250_000, age_seconds=3600))
    path = ROOT / "events" / "sweeper" / "scheduled.json"
    spec = _function_for(path)
    result = load_handler(spec)(json.loads(path.read_text()), LocalContext(spec, "arn:local"))
    assert result["released"] >= 1
    assert services.ledger_repo.balance(user.user_id) == 1_000_000


def test_scheduled_trace_export_through_real_handler(services: Any) -> None:
    """The export's handler writes the settled traces of the last window and says how many."""
    path = ROOT / "events" / "trace_export" / "scheduled.json"
    spec = _function_for(path)
    result = load_handler(spec)(json.loads(path.read_text()), LocalContext(spec, "arn:local"))
    assert set(result) == {"exported"} and result["exported"] >= 0
    assert b"exported_until" in services.blobs.get("trace-export/_state/watermark.json")


@pytest.mark.parametrize("path", QUEUE_EVENTS, ids=_name)
def test_queue_event_through_real_handler(path: Path, events_key: str) -> None:
    """A message about a request that holds no credits: handled, nothing failed, no charge."""
    spec = _function_for(path)
    result = load_handler(spec)(json.loads(path.read_text()), LocalContext(spec, "arn:local"))
    assert result == {"batchItemFailures": []}


@pytest.mark.parametrize("path", API_EVENTS, ids=_name)
def test_event_through_real_handler(path: Path, events_key: str) -> None:
    status, schema = EXPECTED[_name(path)]
    spec = _function_for(path)
    event: dict[str, Any] = json.loads(path.read_text())
    result = load_handler(spec)(event, LocalContext(spec, f"arn:local:{spec.logical_id}"))
    assert result["statusCode"] == status, result["body"]
    if schema is not None:
        assert_matches_spec(json.loads(result["body"]), schema)
    if _name(path) in BODIES:
        BODIES[_name(path)](json.loads(result["body"]), event)
    if path.stem.endswith("stream"):
        assert result["headers"]["content-type"].startswith("text/event-stream")
        assert result["body"].rstrip().endswith("data: [DONE]")


def test_request_id_is_api_gateways(events_key: str) -> None:
    """API Gateway's id from the event, whatever request-id headers the client sent."""
    path = ROOT / "events" / "catalog" / "health.json"
    event = json.loads(path.read_text())
    forged = {
        "X-Request-Id": "client-chosen",
        "X-Amzn-Request-Context": json.dumps({"requestId": "forged"}),
    }
    event["headers"] |= forged
    event["multiValueHeaders"] |= {name: [value] for name, value in forged.items()}
    spec = _function_for(path)
    result = load_handler(spec)(event, LocalContext(spec, "arn:local"))
    assert result["headers"]["x-request-id"] == event["requestContext"]["requestId"]
    assert result["headers"]["x-client-request-id"] == "client-chosen"
