"""Every endpoint this client calls, once: what it sends and how its answer is read. The sync
and async clients only run these (README sections: Kits and skills, Queued requests,
Batches and files, Videos, Prompts, Traces, Accounts and keys, Apps)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from switchboard_client._core import Call
from switchboard_client._models import (
    ApiKey,
    App,
    AppConfig,
    AppUsage,
    Batch,
    CompiledPrompt,
    Experiment,
    ExperimentRun,
    FileObject,
    Json,
    Kit,
    KitRun,
    Page,
    QueuedRequest,
    Score,
    Trace,
    UsageEntry,
    UsageTotals,
    VideoJob,
)
from switchboard_client._prompts import Prompt

CHAT = "/v1/chat/completions"


def _kits(raw: Json) -> list[Kit]:
    return [Kit.parse(kit) for kit in raw["data"]]


def list_kits() -> Call[list[Kit]]:
    return Call("GET", "/v1/kits", _kits)


def run_kit(kit: str, prompt: str, context: str | None, config: Json, stream: bool) -> Call[KitRun]:
    body: Json = {"kit": kit, "input": {"prompt": prompt}}
    if context is not None:
        body["input"]["context"] = context
    if config:
        body["config"] = config
    if stream:
        body["stream"] = True
    return Call("POST", "/v1/kits/run", KitRun.parse, json=body)


# --- the queue ------------------------------------------------------------------------------


def submit(body: Json, idempotency_key: str | None) -> Call[QueuedRequest]:
    """Retried on 5xx too: the Idempotency-Key makes a second submit answer with the first."""
    key = idempotency_key or str(uuid.uuid4())
    headers = {"Idempotency-Key": key}
    return Call("POST", "/v1/ai", QueuedRequest.parse, json=body, headers=headers, idempotent=True)


def queued(request_id: str) -> Call[QueuedRequest]:
    return Call("GET", "/v1/ai", QueuedRequest.parse, params={"req_id": request_id})


# --- files and batches ----------------------------------------------------------------------


def jsonl(rows: list[Json]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def chat_rows(requests: list[Json], endpoint: str = CHAT) -> list[Json]:
    """Batch lines from request bodies: `custom_id` is the body's own, else its position."""
    rows = []
    for n, body in enumerate(requests):
        body = dict(body)
        custom_id = str(body.pop("custom_id", f"request-{n}"))
        rows.append({"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body})
    return rows


def upload_file(name: str, content: bytes) -> Call[FileObject]:
    files = {"file": (name, content, "application/jsonl")}
    return Call("POST", "/v1/files", FileObject.parse, files=files, data={"purpose": "batch"})


def file_content(file_id: str) -> Call[None]:
    return Call("GET", f"/v1/files/{file_id}/content", lambda _: None)


def create_batch(file_id: str, endpoint: str, metadata: dict[str, str] | None) -> Call[Batch]:
    body: Json = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h"}
    if metadata:
        body["metadata"] = metadata
    return Call("POST", "/v1/batches", Batch.parse, json=body)


def create_upload(filename: str, endpoint: str, metadata: dict[str, str] | None) -> Call[Json]:
    """A presigned POST for a file too large for the API; its batch starts when it lands."""
    body: Json = {"endpoint": endpoint, "filename": filename, "completion_window": "24h"}
    if metadata:
        body["metadata"] = metadata
    return Call("POST", "/v1/batches/uploads", lambda raw: raw, json=body)


def upload(upload_id: str) -> Call[Json]:
    return Call("GET", f"/v1/batches/uploads/{upload_id}", lambda raw: raw)


def batch(batch_id: str) -> Call[Batch]:
    return Call("GET", f"/v1/batches/{batch_id}", Batch.parse)


def batches(limit: int, after: str | None) -> Call[Page[Batch]]:
    return Call(
        "GET",
        "/v1/batches",
        lambda raw: Page.parse(raw, Batch.parse),
        params={"limit": limit, "after": after},
    )


def cancel_batch(batch_id: str) -> Call[Batch]:
    return Call("POST", f"/v1/batches/{batch_id}/cancel", Batch.parse, idempotent=True)


# --- videos ---------------------------------------------------------------------------------


def _videos(app_id: str | None) -> str:
    return f"/v1/{app_id}/videos/completions" if app_id else "/v1/videos/completions"


def create_video(body: Json, app_id: str | None) -> Call[VideoJob]:
    return Call("POST", _videos(app_id), VideoJob.parse, json=body)


def video(job_id: str, app_id: str | None) -> Call[VideoJob]:
    return Call("GET", f"{_videos(app_id)}/{job_id}", VideoJob.parse)


def video_content(job_id: str, index: int, app_id: str | None) -> Call[None]:
    path = f"{_videos(app_id)}/{job_id}/content"
    return Call("GET", path, lambda _: None, params={"index": index})


def cancel_video(job_id: str, app_id: str | None) -> Call[VideoJob]:
    return Call("POST", f"{_videos(app_id)}/{job_id}/cancel", VideoJob.parse, idempotent=True)


# --- prompts --------------------------------------------------------------------------------


def prompt(slug: str, version: int | None, tag: str | None, app_id: str | None) -> Call[Prompt]:
    params = {"version": version, "tag": tag, "app_id": app_id}
    return Call("GET", f"/prompts/{slug}", Prompt.parse, params=params)


def compile_prompt(
    slug: str, variables: Json, version: int | None, tag: str | None, app_id: str | None
) -> Call[CompiledPrompt]:
    """Retried on 5xx: compiling stores nothing."""
    body: Json = {"variables": variables}
    body |= {"version": version} if version is not None else {}
    body |= {"tag": tag} if tag is not None else {}
    return Call(
        "POST",
        f"/prompts/{slug}/compile",
        CompiledPrompt.parse,
        json=body,
        params={"app_id": app_id},
        idempotent=True,
    )


def create_prompt(slug: str, fields: Json, app_id: str | None) -> Call[Json]:
    body = {"slug": slug} | fields | ({"app_id": app_id} if app_id else {})
    return Call("POST", "/prompts", lambda raw: raw, json=body)


def create_version(slug: str, fields: Json, app_id: str | None) -> Call[Json]:
    return Call(
        "POST", f"/prompts/{slug}/versions", lambda raw: raw, json=fields, params={"app_id": app_id}
    )


def move_tag(slug: str, tag: str, version: int, app_id: str | None) -> Call[Json]:
    return Call(
        "PUT",
        f"/prompts/{slug}/tags/{tag}",
        lambda raw: raw,
        json={"version": version},
        params={"app_id": app_id},
    )


def describe_prompt(slug: str, app_id: str | None) -> Call[Json]:
    return Call("GET", f"/prompts/{slug}/describe", lambda raw: raw, params={"app_id": app_id})


# --- traces and scores ----------------------------------------------------------------------


def traces(
    limit: int, after: str | None, start: str | None, end: str | None, filters: dict[str, Any]
) -> Call[Page[Trace]]:
    params = {"limit": limit, "after": after, "from": start, "to": end} | filters
    return Call("GET", "/monitor/traces", lambda raw: Page.parse(raw, Trace.parse), params=params)


def trace(trace_id: str) -> Call[Trace]:
    return Call("GET", f"/monitor/traces/{trace_id}", Trace.parse)


def score(trace_id: str, name: str, value: float | bool | str, comment: str | None) -> Call[Score]:
    body: Json = {"name": name, "value": value} | ({"comment": comment} if comment else {})
    return Call("POST", f"/monitor/traces/{trace_id}/scores", Score.parse, json=body)


def stats(start: str | None, end: str | None, group_by: str) -> Call[Json]:
    params = {"from": start, "to": end, "groupBy": group_by}
    return Call("GET", "/monitor/stats", lambda raw: raw, params=params)


def create_experiment(feature_slug: str, name: str, description: str | None) -> Call[Experiment]:
    body: Json = {"featureSlug": feature_slug, "name": name}
    body |= {"description": description} if description is not None else {}
    return Call("POST", "/monitor/experiments", Experiment.parse, json=body)


def experiment(experiment_id: str) -> Call[Experiment]:
    return Call("GET", f"/monitor/experiments/{experiment_id}", Experiment.parse)


def start_run(experiment_id: str, body: Json) -> Call[ExperimentRun]:
    path = f"/monitor/experiments/{experiment_id}/runs"
    return Call("POST", path, ExperimentRun.parse, json=body)


def run(experiment_id: str, run_id: str) -> Call[ExperimentRun]:
    path = f"/monitor/experiments/{experiment_id}/runs/{run_id}"
    return Call("GET", path, ExperimentRun.parse)


# --- keys and apps --------------------------------------------------------------------------


def create_key(name: str, scopes: list[str], expiry: Json) -> Call[ApiKey]:
    body = {"name": name, "scopes": scopes} | expiry
    return Call("POST", "/api-keys", ApiKey.parse, json=body)


def list_keys(after: str | None) -> Call[Page[ApiKey]]:
    return Call(
        "GET", "/api-keys", lambda raw: Page.parse(raw, ApiKey.parse), params={"after": after}
    )


def revoke_key(key_id: str) -> Call[None]:
    return Call("DELETE", f"/api-keys/{key_id}", lambda _: None)


def create_app(name: str) -> Call[App]:
    return Call("POST", "/apps", App.parse, json={"name": name})


def list_apps(after: str | None) -> Call[Page[App]]:
    return Call("GET", "/apps", lambda raw: Page.parse(raw, App.parse), params={"after": after})


def app(app_id: str) -> Call[App]:
    return Call("GET", f"/apps/{app_id}", App.parse)


def rename_app(app_id: str, name: str) -> Call[App]:
    """Retried on 5xx: naming it twice is naming it once."""
    return Call("PATCH", f"/apps/{app_id}", App.parse, json={"name": name}, idempotent=True)


def delete_app(app_id: str) -> Call[None]:
    return Call("DELETE", f"/apps/{app_id}", lambda _: None)


def app_config(app_id: str) -> Call[AppConfig]:
    return Call("GET", f"/v1/{app_id}/ai/config", AppConfig.parse)


def put_app_config(app_id: str, config: Json) -> Call[AppConfig]:
    return Call("PUT", f"/v1/{app_id}/ai/config", AppConfig.parse, json=config)


def app_usage(app_id: str, start_date: str, end_date: str) -> Call[AppUsage]:
    params = {"startDate": start_date, "endDate": end_date}
    return Call("GET", f"/v1/{app_id}/ai/usage", AppUsage.parse, params=params)


# --- usage ----------------------------------------------------------------------------------


def usage_entries(limit: int | None, after: str | None) -> Call[Page[UsageEntry]]:
    return Call(
        "GET",
        "/v1/usage/entries",
        lambda raw: Page.parse(raw, UsageEntry.parse),
        params={"limit": limit, "after": after},
    )


def usage_totals(start_date: str, end_date: str, group_by: str) -> Call[UsageTotals]:
    params = {"startDate": start_date, "endDate": end_date, "groupBy": group_by}
    return Call("GET", "/v1/usage", UsageTotals.parse, params=params)
