"""`AsyncSwitchboard`, the asyncio client: the same namespaces and `Call`s as `Switchboard`,
run by the async core."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from switchboard_client import _calls as calls
from switchboard_client._config import Settings, day, drop_none, needs_upload
from switchboard_client._core import AsyncCore
from switchboard_client._errors import SwitchboardError, error_without_status
from switchboard_client._files import batch_input, parse_lines, write_async
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
from switchboard_client._pages import collect_async
from switchboard_client._prompts import Prompt, PromptCache, PromptKey
from switchboard_client._retry import RetryPolicy
from switchboard_client._waiting import PollSchedule, wait_async

Strings = list[str]
Rows = list[Json]
Paths = list[Path]


class AsyncSwitchboard:
    """The platform's own APIs (what the OpenAI SDKs do not cover), with asyncio.

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
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        storage_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        settings = Settings.resolve(api_key, base_url)
        options = settings.client_options(timeout)
        http = http_client or httpx.AsyncClient(**options, transport=transport)
        storage = storage_client or httpx.AsyncClient(timeout=http.timeout, transport=transport)
        self._core = AsyncCore(http, storage, retry or RetryPolicy(), sleep)
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

    async def close(self) -> None:
        await self.prompts.join_refreshes()
        await self._core.http.aclose()
        await self._core.storage.aclose()

    async def __aenter__(self) -> AsyncSwitchboard:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _wait(
        self,
        fetch: Callable[[], Awaitable[Any]],
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
        return await wait_async(fetch, done, schedule, self._core.sleep, what, on_update)


class Kits:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def list(self) -> list[Kit]:
        return await self._core.call(calls.list_kits())

    async def run(
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
        return await self._core.call(calls.run_kit(kit, prompt, context, config, stream=False))

    async def stream(
        self,
        kit: str,
        prompt: str,
        *,
        context: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        labels: Strings | None = None,
    ) -> AsyncIterator[KitRunDelta | KitRun]:
        """Pieces of the text (KitRunDelta), then the whole run (KitRun)."""
        config = drop_none(max_tokens=max_tokens, temperature=temperature, labels=labels)
        async for event in self._core.events(
            calls.run_kit(kit, prompt, context, config, stream=True)
        ):
            yield kit_event(event)


class Queue:
    def __init__(self, core: AsyncCore, client: AsyncSwitchboard) -> None:
        self._core, self._client = core, client

    async def submit(
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
        return await self._core.call(calls.submit(body, idempotency_key))

    async def get(self, request_id: str) -> QueuedRequest:
        return await self._core.call(calls.queued(request_id))

    async def wait(
        self, request: str | QueuedRequest, *, max_wait: float | None = None
    ) -> QueuedRequest:
        """Polls until `completed` or `failed` (its `error` says why)."""
        request_id = request if isinstance(request, str) else request.id
        done: QueuedRequest = await self._client._wait(
            lambda: self.get(request_id), lambda r: r.done, max_wait, f"Request {request_id}"
        )
        return done


class Batches:
    def __init__(self, core: AsyncCore, client: AsyncSwitchboard) -> None:
        self._core, self._client = core, client

    async def create(
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
            return await self._create_via_upload(Path(path), endpoint, metadata)
        name, content = batch_input(path, rows, requests, endpoint)
        uploaded = await self._core.call(calls.upload_file(name, content))
        return await self._core.call(calls.create_batch(uploaded.id, endpoint, metadata))

    async def _create_via_upload(
        self, path: Path, endpoint: str, metadata: dict[str, str] | None
    ) -> Batch:
        """Through the bucket: a presigned POST, then the batch the platform starts when
        the file lands (or the reason it refused it)."""
        grant = await self._core.call(calls.create_upload(path.name, endpoint, metadata))
        with path.open("rb") as data:
            await self._core.post_signed(grant, path.name, data)
        state: Json = await self._client._wait(
            lambda: self._core.call(calls.upload(grant["id"])),
            lambda upload: upload["status"] != "pending",
            None,
            f"Upload {grant['id']}",
        )
        if state["status"] == "rejected":
            raise error_without_status(state.get("error") or {})
        return await self.get(state["batch_id"])

    async def get(self, batch_id: str) -> Batch:
        return await self._core.call(calls.batch(batch_id))

    async def list(self, *, limit: int = 20, after: str | None = None) -> Page[Batch]:
        return await self._core.call(calls.batches(limit, after))

    async def cancel(self, batch_id: str) -> Batch:
        return await self._core.call(calls.cancel_batch(batch_id))

    async def wait(
        self,
        batch: str | Batch,
        *,
        on_progress: Callable[[Batch], None] | None = None,
        max_wait: float | None = None,
    ) -> Batch:
        """Polls until the batch ends; `on_progress` sees each state polled, the last too."""
        batch_id = batch if isinstance(batch, str) else batch.id
        ended: Batch = await self._client._wait(
            lambda: self.get(batch_id), lambda b: b.done, max_wait, f"Batch {batch_id}", on_progress
        )
        return ended

    async def results(self, batch: str | Batch) -> BatchResults:
        """The output and error lines of an ended batch, parsed."""
        found = await self.get(batch) if isinstance(batch, str) else batch
        output, errors = (
            await self._lines(found.output_file_id),
            await self._lines(found.error_file_id),
        )
        return BatchResults(found, output, errors)

    async def download(self, batch: str | Batch, directory: str | Path = ".") -> Paths:
        """The output and error files into `directory` as <batch id>.output.jsonl and
        .errors.jsonl (those the batch has); their paths."""
        found = await self.get(batch) if isinstance(batch, str) else batch
        written: Paths = []
        for file_id, suffix in ((found.output_file_id, "output"), (found.error_file_id, "errors")):
            if file_id:
                target = Path(directory) / f"{found.id}.{suffix}.jsonl"
                await write_async(self._core.download(calls.file_content(file_id)), target)
                written.append(target)
        return written

    async def _lines(self, file_id: str | None) -> Rows:
        if not file_id:
            return []
        content = b"".join(
            [chunk async for chunk in self._core.download(calls.file_content(file_id))]
        )
        return parse_lines(content)


class Videos:
    def __init__(self, core: AsyncCore, client: AsyncSwitchboard) -> None:
        self._core, self._client = core, client

    async def create(
        self, model: str, prompt: str, *, app_id: str | None = None, **options: Any
    ) -> VideoJob:
        """Submits a job (202). `options`: duration, resolution, aspect_ratio,
        generate_audio, seed, input_images, as the model allows."""
        body = {"model": model, "prompt": prompt} | drop_none(**options)
        return await self._core.call(calls.create_video(body, app_id))

    async def get(self, job_id: str, *, app_id: str | None = None) -> VideoJob:
        return await self._core.call(calls.video(job_id, app_id))

    async def cancel(self, job_id: str, *, app_id: str | None = None) -> VideoJob:
        return await self._core.call(calls.cancel_video(job_id, app_id))

    async def wait(
        self, job: str | VideoJob, *, app_id: str | None = None, max_wait: float | None = None
    ) -> VideoJob:
        job_id = job if isinstance(job, str) else job.id
        ended: VideoJob = await self._client._wait(
            lambda: self.get(job_id, app_id=app_id), lambda j: j.done, max_wait, f"Video {job_id}"
        )
        return ended

    async def create_and_wait(
        self,
        model: str,
        prompt: str,
        *,
        app_id: str | None = None,
        max_wait: float | None = None,
        **options: Any,
    ) -> VideoJob:
        """Submits, then polls until the job ends (check `status`: completed or not)."""
        job = await self.create(model, prompt, app_id=app_id, **options)
        return await self.wait(job, app_id=app_id, max_wait=max_wait)

    async def download(
        self, job: str | VideoJob, path: str | Path, *, index: int = 0, app_id: str | None = None
    ) -> Path:
        """The MP4, streamed from its signed URL (the API key is never sent there)."""
        job_id = job if isinstance(job, str) else job.id
        target = Path(path)
        await write_async(self._core.download(calls.video_content(job_id, index, app_id)), target)
        return target


class Prompts:
    def __init__(self, core: AsyncCore, cache: PromptCache, background: bool) -> None:
        self._core, self.cache, self._background = core, cache, background
        self._refreshing: dict[PromptKey, asyncio.Task[None]] = {}

    async def get(
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
        return await self._fetch(key)

    async def compile(
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
        return await self._core.call(call)

    async def create(
        self,
        slug: str,
        *,
        name: str | None = None,
        description: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        fields = drop_none(name=name, description=description)
        return await self._core.call(calls.create_prompt(slug, fields, app_id))

    async def create_version(
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
        return await self._core.call(calls.create_version(slug, fields, app_id))

    async def move_tag(
        self, slug: str, tag: str, version: int, *, app_id: str | None = None
    ) -> Json:
        return await self._core.call(calls.move_tag(slug, tag, version, app_id))

    async def describe(self, slug: str, *, app_id: str | None = None) -> Json:
        return await self._core.call(calls.describe_prompt(slug, app_id))

    async def join_refreshes(self) -> None:
        """Waits for the background refreshes under way."""
        await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    async def _fetch(self, key: PromptKey) -> Prompt:
        try:
            raw = await self._core.call(calls.prompt(*key))
        except SwitchboardError as error:
            return self.cache.settle(key, error)
        prompt = Prompt.parse(raw)
        self.cache.put(key, prompt)
        return prompt

    def _refresh_later(self, key: PromptKey) -> None:
        if key not in self._refreshing:
            task = asyncio.get_running_loop().create_task(self._refresh(key))
            self._refreshing[key] = task
            task.add_done_callback(lambda _: self._refreshing.pop(key, None))

    async def _refresh(self, key: PromptKey) -> None:
        with contextlib.suppress(SwitchboardError):  # dropped: the next get asks again
            await self._fetch(key)


class Traces:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def list(
        self, *, limit: int = 20, after: str | None = None, **filters: Any
    ) -> Page[Trace]:
        """Newest first. `filters`: model, app_id, key_id, prompt_slug, prompt_version,
        experiment_id, status, from, to (ISO 8601), user_id (admins)."""
        return await self._core.call(calls.traces(limit, after, filters))

    async def get(self, trace_id: str) -> Trace:
        return await self._core.call(calls.trace(trace_id))

    async def score(
        self, trace_id: str, name: str, value: float | bool | str, *, comment: str | None = None
    ) -> Score:
        return await self._core.call(calls.score(trace_id, name, value, comment))

    async def stats(
        self, *, start: str | None = None, end: str | None = None, group_by: str = "day"
    ) -> Json:
        return await self._core.call(calls.stats(start, end, group_by))


class Experiments:
    def __init__(self, core: AsyncCore, client: AsyncSwitchboard) -> None:
        self._core, self._client = core, client

    async def create(
        self, feature_slug: str, name: str, *, description: str | None = None
    ) -> Experiment:
        return await self._core.call(calls.create_experiment(feature_slug, name, description))

    async def get(self, experiment_id: str) -> Experiment:
        """The experiment with its variants' counts, costs, latencies and scores."""
        return await self._core.call(calls.experiment(experiment_id))

    async def run(
        self, experiment_id: str, dataset: Rows | str, variants: Rows, evaluators: Rows
    ) -> ExperimentRun:
        """Starts a run: `dataset` is rows or the id of a JSONL file of rows."""
        body = {"dataset": dataset, "variants": variants, "evaluators": evaluators}
        return await self._core.call(calls.start_run(experiment_id, body))

    async def get_run(self, experiment_id: str, run_id: str) -> ExperimentRun:
        return await self._core.call(calls.run(experiment_id, run_id))

    async def wait_run(
        self,
        run: ExperimentRun,
        *,
        on_progress: Callable[[ExperimentRun], None] | None = None,
        max_wait: float | None = None,
    ) -> ExperimentRun:
        """Polls until the run is scored (`completed`) or `failed`."""
        ended: ExperimentRun = await self._client._wait(
            lambda: self.get_run(run.experiment_id, run.id),
            lambda r: r.done,
            max_wait,
            f"Run {run.id}",
            on_progress,
        )
        return ended


class Keys:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def create(self, name: str, *, scopes: Strings | None = None) -> ApiKey:
        """The new key; its secret (`key`) is shown this once."""
        return await self._core.call(calls.create_key(name, scopes or ["*"]))

    async def list(self) -> list[ApiKey]:
        """All of them, page after page."""
        return await collect_async(lambda after: self._core.call(calls.list_keys(after)))

    async def revoke(self, key_id: str) -> None:
        await self._core.call(calls.revoke_key(key_id))


class Apps:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def create(self, name: str) -> App:
        return await self._core.call(calls.create_app(name))

    async def list(self) -> list[App]:
        """All of them, page after page."""
        return await collect_async(lambda after: self._core.call(calls.list_apps(after)))

    async def config(self, app_id: str) -> AppConfig:
        return await self._core.call(calls.app_config(app_id))

    async def update_config(
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
        return await self._core.call(calls.put_app_config(app_id, config))

    async def usage(self, app_id: str, start_date: date | str, end_date: date | str) -> AppUsage:
        return await self._core.call(calls.app_usage(app_id, day(start_date), day(end_date)))
