"""`Switchboard`, the synchronous client: one namespace per feature, each method one `Call`
(see _calls.py) run by the shared core."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from switchboard_client import _calls as calls
from switchboard_client._config import Settings, day, drop_none, needs_upload
from switchboard_client._core import SyncCore
from switchboard_client._errors import SwitchboardError, error_without_status
from switchboard_client._files import batch_input, parse_lines, write_sync
from switchboard_client._models import (
    ApiKey,
    App,
    AppConfig,
    AppUsage,
    Batch,
    BatchResults,
    CompiledPrompt,
    Experiment,
    ExperimentRun,
    Json,
    Kit,
    KitRun,
    KitRunDelta,
    Page,
    QueuedRequest,
    Score,
    Trace,
    VideoJob,
    kit_event,
)
from switchboard_client._pages import collect_sync
from switchboard_client._prompts import Prompt, PromptCache, PromptKey
from switchboard_client._retry import RetryPolicy
from switchboard_client._waiting import PollSchedule, wait_sync

Strings = list[str]
Rows = list[Json]
Paths = list[Path]


class Switchboard:
    """The platform's own APIs (what the OpenAI SDKs do not cover), synchronously.

    `api_key` and `base_url` default to SWITCHBOARD_API_KEY and SWITCHBOARD_BASE_URL (else
    http://127.0.0.1:8000). `transport` is what both of its httpx clients send through;
    `http_client` replaces the API's client (its base URL and headers are then yours to
    set); `sleep` is what waits between retries and between polls."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        poll: PollSchedule | None = None,
        prompt_ttl: float = 60.0,
        prompt_background_refresh: bool = True,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        storage_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        settings = Settings.resolve(api_key, base_url)
        options = settings.client_options(timeout)
        http = http_client or httpx.Client(**options, transport=transport)
        storage = storage_client or httpx.Client(timeout=http.timeout, transport=transport)
        self._core = SyncCore(http, storage, retry or RetryPolicy(), sleep)
        self.poll = poll or PollSchedule()
        self.kits = Kits(self._core)
        self.queue = Queue(self._core, self)
        self.batches = Batches(self._core, self)
        self.videos = Videos(self._core, self)
        self.prompts = Prompts(self._core, PromptCache(prompt_ttl), prompt_background_refresh)
        self.traces = Traces(self._core)
        self.experiments = Experiments(self._core, self)
        self.keys = Keys(self._core)
        self.apps = Apps(self._core)

    def close(self) -> None:
        self.prompts.join_refreshes()
        self._core.http.close()
        self._core.storage.close()

    def __enter__(self) -> Switchboard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _wait(
        self,
        fetch: Callable[[], Any],
        done: Callable[[Any], bool],
        max_wait: float | None,
        what: str,
        on_update: Callable[[Any], None] | None = None,
    ) -> Any:
        schedule = (
            self.poll
            if max_wait is None
            else PollSchedule(
                self.poll.interval, self.poll.factor, self.poll.max_interval, max_wait
            )
        )
        return wait_sync(fetch, done, schedule, self._core.sleep, what, on_update)


class Kits:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def list(self) -> list[Kit]:
        return self._core.call(calls.list_kits())

    def run(
        self,
        kit: str,
        prompt: str,
        *,
        context: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        labels: Strings | None = None,
    ) -> KitRun:
        config = drop_none(max_tokens=max_tokens, temperature=temperature, labels=labels)
        return self._core.call(calls.run_kit(kit, prompt, context, config, stream=False))

    def stream(
        self,
        kit: str,
        prompt: str,
        *,
        context: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        labels: Strings | None = None,
    ) -> Iterator[KitRunDelta | KitRun]:
        """Pieces of the text (KitRunDelta), then the whole run (KitRun)."""
        config = drop_none(max_tokens=max_tokens, temperature=temperature, labels=labels)
        for event in self._core.events(calls.run_kit(kit, prompt, context, config, stream=True)):
            yield kit_event(event)


class Queue:
    def __init__(self, core: SyncCore, client: Switchboard) -> None:
        self._core, self._client = core, client

    def submit(
        self,
        model: str,
        prompt: str,
        *,
        system: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        idempotency_key: str | None = None,
    ) -> QueuedRequest:
        """Queued at once (202). One Idempotency-Key (yours, or made here) covers retries."""
        body = {"model": model, "prompt": prompt} | drop_none(
            system=system, max_tokens=max_tokens, temperature=temperature
        )
        return self._core.call(calls.submit(body, idempotency_key))

    def get(self, request_id: str) -> QueuedRequest:
        return self._core.call(calls.queued(request_id))

    def wait(self, request: str | QueuedRequest, *, max_wait: float | None = None) -> QueuedRequest:
        """Polls until `completed` or `failed` (its `error` says why)."""
        request_id = request if isinstance(request, str) else request.id
        done: QueuedRequest = self._client._wait(
            lambda: self.get(request_id), lambda r: r.done, max_wait, f"Request {request_id}"
        )
        return done


class Batches:
    def __init__(self, core: SyncCore, client: Switchboard) -> None:
        self._core, self._client = core, client

    def create(
        self,
        *,
        path: str | Path | None = None,
        rows: Rows | None = None,
        requests: Rows | None = None,
        endpoint: str = calls.CHAT,
        metadata: dict[str, str] | None = None,
        via_upload: bool = False,
    ) -> Batch:
        """A batch from a JSONL file, from batch lines (`rows`), or from request bodies
        (`requests`: each becomes a line, its `custom_id` its own or `request-<n>`). A file
        over the API's 6 MB (or any, `via_upload`) goes to the bucket by presigned POST."""
        if path is not None and needs_upload(path, via_upload):
            return self._create_via_upload(Path(path), endpoint, metadata)
        name, content = batch_input(path, rows, requests, endpoint)
        uploaded = self._core.call(calls.upload_file(name, content))
        return self._core.call(calls.create_batch(uploaded.id, endpoint, metadata))

    def _create_via_upload(
        self, path: Path, endpoint: str, metadata: dict[str, str] | None
    ) -> Batch:
        """Through the bucket: a presigned POST, then the batch the platform starts when
        the file lands (or the reason it refused it)."""
        grant = self._core.call(calls.create_upload(path.name, endpoint, metadata))
        with path.open("rb") as data:
            self._core.post_signed(grant, path.name, data)
        state: Json = self._client._wait(
            lambda: self._core.call(calls.upload(grant["id"])),
            lambda upload: upload["status"] != "pending",
            None,
            f"Upload {grant['id']}",
        )
        if state["status"] == "rejected":
            raise error_without_status(state.get("error") or {})
        return self.get(state["batch_id"])

    def get(self, batch_id: str) -> Batch:
        return self._core.call(calls.batch(batch_id))

    def list(self, *, limit: int = 20, after: str | None = None) -> Page[Batch]:
        return self._core.call(calls.batches(limit, after))

    def cancel(self, batch_id: str) -> Batch:
        return self._core.call(calls.cancel_batch(batch_id))

    def wait(
        self,
        batch: str | Batch,
        *,
        on_progress: Callable[[Batch], None] | None = None,
        max_wait: float | None = None,
    ) -> Batch:
        """Polls until the batch ends; `on_progress` sees each state polled, the last too."""
        batch_id = batch if isinstance(batch, str) else batch.id
        ended: Batch = self._client._wait(
            lambda: self.get(batch_id), lambda b: b.done, max_wait, f"Batch {batch_id}", on_progress
        )
        return ended

    def results(self, batch: str | Batch) -> BatchResults:
        """The output and error lines of an ended batch, parsed."""
        found = self.get(batch) if isinstance(batch, str) else batch
        return BatchResults(
            found, self._lines(found.output_file_id), self._lines(found.error_file_id)
        )

    def download(self, batch: str | Batch, directory: str | Path = ".") -> Paths:
        """The output and error files into `directory` as <batch id>.output.jsonl and
        .errors.jsonl (those the batch has); their paths."""
        found = self.get(batch) if isinstance(batch, str) else batch
        written: Paths = []
        for file_id, suffix in ((found.output_file_id, "output"), (found.error_file_id, "errors")):
            if file_id:
                target = Path(directory) / f"{found.id}.{suffix}.jsonl"
                write_sync(self._core.download(calls.file_content(file_id)), target)
                written.append(target)
        return written

    def _lines(self, file_id: str | None) -> Rows:
        if not file_id:
            return []
        content = b"".join(self._core.download(calls.file_content(file_id)))
        return parse_lines(content)


class Videos:
    def __init__(self, core: SyncCore, client: Switchboard) -> None:
        self._core, self._client = core, client

    def create(
        self, model: str, prompt: str, *, app_id: str | None = None, **options: Any
    ) -> VideoJob:
        """Submits a job (202). `options`: duration, resolution, aspect_ratio,
        generate_audio, seed, input_images, as the model allows."""
        body = {"model": model, "prompt": prompt} | drop_none(**options)
        return self._core.call(calls.create_video(body, app_id))

    def get(self, job_id: str, *, app_id: str | None = None) -> VideoJob:
        return self._core.call(calls.video(job_id, app_id))

    def cancel(self, job_id: str, *, app_id: str | None = None) -> VideoJob:
        return self._core.call(calls.cancel_video(job_id, app_id))

    def wait(
        self, job: str | VideoJob, *, app_id: str | None = None, max_wait: float | None = None
    ) -> VideoJob:
        job_id = job if isinstance(job, str) else job.id
        ended: VideoJob = self._client._wait(
            lambda: self.get(job_id, app_id=app_id), lambda j: j.done, max_wait, f"Video {job_id}"
        )
        return ended

    def create_and_wait(
        self,
        model: str,
        prompt: str,
        *,
        app_id: str | None = None,
        max_wait: float | None = None,
        **options: Any,
    ) -> VideoJob:
        """Submits, then polls until the job ends (check `status`: completed or not)."""
        job = self.create(model, prompt, app_id=app_id, **options)
        return self.wait(job, app_id=app_id, max_wait=max_wait)

    def download(
        self, job: str | VideoJob, path: str | Path, *, index: int = 0, app_id: str | None = None
    ) -> Path:
        """The MP4, streamed from its signed URL (the API key is never sent there)."""
        job_id = job if isinstance(job, str) else job.id
        target = Path(path)
        write_sync(self._core.download(calls.video_content(job_id, index, app_id)), target)
        return target


class Prompts:
    def __init__(self, core: SyncCore, cache: PromptCache, background: bool) -> None:
        self._core, self.cache, self._background = core, cache, background
        self._refreshing: dict[PromptKey, threading.Thread] = {}
        self._lock = threading.Lock()

    def get(
        self,
        slug: str,
        *,
        version: int | None = None,
        tag: str | None = None,
        app_id: str | None = None,
        cache: bool = True,
    ) -> Prompt:
        """The prompt as served (neither version nor tag: production, else latest), from the
        cache while fresh; stale: served at once and refreshed in the background."""
        key = PromptKey(slug, version, tag, app_id)
        cached, fresh = self.cache.get(key) if cache else (None, False)
        if cached is not None and fresh:
            return cached
        if cached is not None and self._background:
            self._refresh_later(key)
            return cached
        return self._fetch(key)

    def compile(
        self,
        slug: str,
        variables: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        tag: str | None = None,
        app_id: str | None = None,
    ) -> CompiledPrompt:
        """Compiled by the platform. `get(...).compile(variables)` does it locally."""
        call = calls.compile_prompt(slug, variables or {}, version, tag, app_id)
        return self._core.call(call)

    def create(
        self,
        slug: str,
        *,
        name: str | None = None,
        description: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        fields = drop_none(name=name, description=description)
        return self._core.call(calls.create_prompt(slug, fields, app_id))

    def create_version(
        self,
        slug: str,
        text: str,
        *,
        system_text: str | None = None,
        model: str | None = None,
        parameters: Json | None = None,
        tag: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        block = drop_none(model=model, parameters=parameters) if model else None
        fields = drop_none(text=text, systemText=system_text, model=block, tag=tag)
        return self._core.call(calls.create_version(slug, fields, app_id))

    def move_tag(self, slug: str, tag: str, version: int, *, app_id: str | None = None) -> Json:
        return self._core.call(calls.move_tag(slug, tag, version, app_id))

    def describe(self, slug: str, *, app_id: str | None = None) -> Json:
        return self._core.call(calls.describe_prompt(slug, app_id))

    def join_refreshes(self, timeout: float | None = None) -> None:
        """Waits for the background refreshes under way."""
        with self._lock:
            threads = list(self._refreshing.values())
        for thread in threads:
            thread.join(timeout)

    def _fetch(self, key: PromptKey) -> Prompt:
        try:
            raw = self._core.call(calls.prompt(*key))
        except SwitchboardError as error:
            return self.cache.settle(key, error)
        prompt = Prompt.parse(raw)
        self.cache.put(key, prompt)
        return prompt

    def _refresh_later(self, key: PromptKey) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            thread = threading.Thread(target=self._refresh, args=(key,), daemon=True)
            self._refreshing[key] = thread
        thread.start()

    def _refresh(self, key: PromptKey) -> None:
        try:
            self._fetch(key)
        except SwitchboardError:
            pass  # dropped from the cache: the next get asks again, and raises
        finally:
            with self._lock:
                self._refreshing.pop(key, None)


class Traces:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def list(self, *, limit: int = 20, after: str | None = None, **filters: Any) -> Page[Trace]:
        """Newest first. `filters`: model, app_id, key_id, prompt_slug, prompt_version,
        experiment_id, status, from, to (ISO 8601), user_id (admins)."""
        return self._core.call(calls.traces(limit, after, filters))

    def get(self, trace_id: str) -> Trace:
        return self._core.call(calls.trace(trace_id))

    def score(
        self, trace_id: str, name: str, value: float | bool | str, *, comment: str | None = None
    ) -> Score:
        return self._core.call(calls.score(trace_id, name, value, comment))

    def stats(
        self, *, start: str | None = None, end: str | None = None, group_by: str = "day"
    ) -> Json:
        return self._core.call(calls.stats(start, end, group_by))


class Experiments:
    def __init__(self, core: SyncCore, client: Switchboard) -> None:
        self._core, self._client = core, client

    def create(self, feature_slug: str, name: str, *, description: str | None = None) -> Experiment:
        return self._core.call(calls.create_experiment(feature_slug, name, description))

    def get(self, experiment_id: str) -> Experiment:
        """The experiment with its variants' counts, costs, latencies and scores."""
        return self._core.call(calls.experiment(experiment_id))

    def run(
        self, experiment_id: str, dataset: Rows | str, variants: Rows, evaluators: Rows
    ) -> ExperimentRun:
        """Starts a run: `dataset` is rows or the id of a JSONL file of rows."""
        body = {"dataset": dataset, "variants": variants, "evaluators": evaluators}
        return self._core.call(calls.start_run(experiment_id, body))

    def get_run(self, experiment_id: str, run_id: str) -> ExperimentRun:
        return self._core.call(calls.run(experiment_id, run_id))

    def wait_run(
        self,
        run: ExperimentRun,
        *,
        on_progress: Callable[[ExperimentRun], None] | None = None,
        max_wait: float | None = None,
    ) -> ExperimentRun:
        """Polls until the run is scored (`completed`) or `failed`."""
        ended: ExperimentRun = self._client._wait(
            lambda: self.get_run(run.experiment_id, run.id),
            lambda r: r.done,
            max_wait,
            f"Run {run.id}",
            on_progress,
        )
        return ended


class Keys:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def create(self, name: str, *, scopes: Strings | None = None) -> ApiKey:
        """The new key; its secret (`key`) is shown this once."""
        return self._core.call(calls.create_key(name, scopes or ["*"]))

    def list(self) -> list[ApiKey]:
        """All of them, page after page."""
        return collect_sync(lambda after: self._core.call(calls.list_keys(after)))

    def revoke(self, key_id: str) -> None:
        self._core.call(calls.revoke_key(key_id))


class Apps:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def create(self, name: str) -> App:
        return self._core.call(calls.create_app(name))

    def list(self) -> list[App]:
        """All of them, page after page."""
        return collect_sync(lambda after: self._core.call(calls.list_apps(after)))

    def config(self, app_id: str) -> AppConfig:
        return self._core.call(calls.app_config(app_id))

    def update_config(
        self,
        app_id: str,
        *,
        default_model: str | None = None,
        allowed_models: Strings | None = None,
        max_tokens_per_request: int | None = None,
    ) -> AppConfig:
        """Replaces the whole config (what is left out takes its default)."""
        config = drop_none(
            defaultModel=default_model,
            allowedModels=allowed_models,
            maxTokensPerRequest=max_tokens_per_request,
        )
        return self._core.call(calls.put_app_config(app_id, config))

    def usage(self, app_id: str, start_date: date | str, end_date: date | str) -> AppUsage:
        return self._core.call(calls.app_usage(app_id, day(start_date), day(end_date)))
