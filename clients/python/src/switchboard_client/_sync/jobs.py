"""Long-running work followed to its end: batches, videos and experiment runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from switchboard_client import _calls as calls
from switchboard_client._config import drop_none, needs_upload
from switchboard_client._core import SyncCore
from switchboard_client._errors import error_without_status
from switchboard_client._files import batch_input, parse_lines, write_sync
from switchboard_client._models import (
    Batch,
    BatchResults,
    Experiment,
    ExperimentRun,
    Json,
    Page,
    VideoJob,
)

Rows = list[Json]
Paths = list[Path]


class Batches:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

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
        state: Json = self._core.wait(
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
        ended: Batch = self._core.wait(
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
    def __init__(self, core: SyncCore) -> None:
        self._core = core

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
        ended: VideoJob = self._core.wait(
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


class Experiments:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

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
        ended: ExperimentRun = self._core.wait(
            lambda: self.get_run(run.experiment_id, run.id),
            lambda r: r.done,
            max_wait,
            f"Run {run.id}",
            on_progress,
        )
        return ended
