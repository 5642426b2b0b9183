"""The `switchboard batch` commands (cli.py wires their arguments): submit, show, list and
cancel, as a client of the platform's HTTP API.

Exit status: 0 when a command did its work (a followed batch `completed`); 1 for an error
(printed as one line, `error: …`); 2 for bad arguments (argparse); 3, 4 and 5 when a
followed batch ended `failed`, `cancelled` or `expired`; 130 when Ctrl-C stopped the
command (a followed batch goes on).
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from switchboard.batch_client.client import ApiError, PlatformClient
from switchboard.batch_client.progress import ENDED, Progress
from switchboard.batch_client.views import batch_fields, batch_table, format_fields, summary
from switchboard.settings import Settings

EXIT_STATUS = {"completed": 0, "failed": 3, "cancelled": 4, "expired": 5}
INTERRUPTED = 130
# A request larger than this would be refused (413): the file goes to the bucket instead.
# The form's own parts take a few hundred bytes; the margin is generous.
DIRECT_UPLOAD_BYTES = Settings().MAX_BODY_BYTES - 64 * 1024
UPLOAD_START_SECONDS = 300.0  # how long an uploaded file may wait for its batch to start
POLL_RETRIES = 5  # transient failures in a row tolerated while following

Handler = Callable[[argparse.Namespace], int]


def reported(handler: Handler) -> Handler:
    """An ApiError or an unreadable file as `error: …` on stderr (exit 1); Ctrl-C as 130."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ApiError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return INTERRUPTED

    return run


@reported
def submit(args: argparse.Namespace) -> int:
    path: Path = args.file
    with _client(args) as client:
        batch_id = start_batch(
            client, path, endpoint=args.endpoint, metadata=dict(args.metadata or ()) or None,
            via_upload=args.via_upload, poll_seconds=args.poll_seconds,
        )  # fmt: skip
        if not args.wait:
            print(batch_id)
            return 0
        return _follow(client, batch_id, args, out_dir=args.out_dir or path.parent, name=path.name)


@reported
def show(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.wait:
            return _follow(client, args.batch_id, args, out_dir=args.out_dir or Path(), name=None)
        _print_batch(client.batch(args.batch_id), as_json=args.json)
    return 0


@reported
def list_batches(args: argparse.Namespace) -> int:
    with _client(args) as client:
        page = client.batches(limit=args.limit, after=args.after)
    batches = page.get("data") or []
    if batches:
        print(batch_table(batches))
    else:
        print("no batches", file=sys.stderr)
    if page.get("has_more"):
        print(f"more: switchboard batch list --after {page.get('last_id')}", file=sys.stderr)
    return 0


@reported
def cancel(args: argparse.Namespace) -> int:
    with _client(args) as client:
        batch = client.cancel(args.batch_id)
    print(f"{batch.get('id')} {batch.get('status')}")
    return 0


# --- submit ------------------------------------------------------------------------------


def start_batch(
    client: PlatformClient, path: Path, *, endpoint: str, metadata: dict[str, str] | None,
    via_upload: bool = False, poll_seconds: float = 1.0,
) -> str:  # fmt: skip
    """Upload the file and start its batch; the batch's id. A file the API cannot take in
    one request (over DIRECT_UPLOAD_BYTES, or refused with 413) goes through storage."""
    size = path.stat().st_size
    if via_upload or size > DIRECT_UPLOAD_BYTES:
        return _start_via_upload(client, path, size, endpoint, metadata, poll_seconds)
    try:
        uploaded = client.upload_file(path)
    except ApiError as exc:
        if exc.status != 413:
            raise
        _note(f"{path.name} is too large for the API ({exc.message}); uploading it to storage")
        return _start_via_upload(client, path, size, endpoint, metadata, poll_seconds)
    _note(f"uploaded {path.name} ({size:,} bytes) as {uploaded['id']}")
    batch = client.create_batch(uploaded["id"], endpoint, metadata)
    _note(f"batch {batch['id']} {batch['status']}")
    return str(batch["id"])


def _start_via_upload(
    client: PlatformClient, path: Path, size: int, endpoint: str,
    metadata: dict[str, str] | None, poll_seconds: float,
) -> str:  # fmt: skip
    """POST /v1/batches/uploads, the file to the bucket, then wait for the platform to start
    the batch (S3 tells it the object arrived)."""
    upload = client.create_upload(endpoint, path.name, metadata)
    limit = upload.get("max_bytes")
    if isinstance(limit, int) and size > limit:
        raise ApiError(f"{path} is {size:,} bytes; an upload takes at most {limit:,}.")
    _note(f"uploading {path.name} ({size:,} bytes) to storage as {upload['id']}")
    client.post_to_storage(upload, path)
    deadline = time.monotonic() + UPLOAD_START_SECONDS
    while True:
        state = client.upload(upload["id"])
        if state.get("status") == "started":
            _note(f"batch {state['batch_id']} started")
            return str(state["batch_id"])
        if state.get("status") == "rejected":
            error = state.get("error") or {}
            code = f" ({error['code']})" if error.get("code") else ""
            raise ApiError(f"The platform refused {path.name}: {error.get('message')}{code}")
        if time.monotonic() > deadline:
            raise ApiError(
                f"{upload['id']} is still pending after {UPLOAD_START_SECONDS:.0f} s; its batch "
                f"will be {upload['batch_id']} (switchboard batch show {upload['batch_id']})."
            )
        time.sleep(poll_seconds)


# --- following a batch -------------------------------------------------------------------


def _follow(
    client: PlatformClient, batch_id: str, args: argparse.Namespace, *, out_dir: Path,
    name: str | None,
) -> int:  # fmt: skip
    """Poll the batch until it ends, drawing its progress on stderr; then download its
    output and error files into `out_dir` (named after `name`, the input file's name) and
    print a summary. Ctrl-C stops following and leaves the batch running."""
    progress = Progress(sys.stderr)
    try:
        batch = until_ended(client, batch_id, progress, args.poll_seconds)
    except KeyboardInterrupt:
        progress.close()
        here = "" if out_dir.resolve() == Path.cwd() else f" --out-dir {shlex.quote(str(out_dir))}"
        print(
            f"stopped following {batch_id} (it goes on); to follow it again: "
            f"switchboard batch show {batch_id} --wait{here}",
            file=sys.stderr,
        )
        return INTERRUPTED
    finally:
        progress.close()
    downloads = _download(client, batch, out_dir, name or _input_name(client, batch))
    if getattr(args, "json", False):
        print(json.dumps(batch, indent=2))
    else:
        print(summary(batch, downloads))
    return EXIT_STATUS.get(batch["status"], 1)


def until_ended(
    client: PlatformClient, batch_id: str, progress: Progress, poll_seconds: float
) -> dict[str, Any]:
    """The batch once it has ended, its progress drawn at each look; a few transient
    failures in a row (the platform restarting, a 503) are waited out, more are raised."""
    batch = client.batch(batch_id)  # an unknown id or an unreachable platform fails at once
    failures = 0
    while True:
        progress.update(batch)
        if batch.get("status") in ENDED:
            return batch
        time.sleep(poll_seconds * (2**failures))
        try:
            batch, failures = client.batch(batch_id), 0
        except ApiError as exc:
            if not exc.transient or failures >= POLL_RETRIES:
                raise
            failures += 1


def _download(
    client: PlatformClient, batch: dict[str, Any], out_dir: Path, name: str
) -> list[tuple[str, Path, int]]:
    """The batch's output and error files as NAME.output.jsonl and NAME.errors.jsonl."""
    stem = Path(name).name.removesuffix(".jsonl")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for what, field in (("output", "output_file_id"), ("errors", "error_file_id")):
        if batch.get(field):
            target = out_dir / f"{stem}.{what}.jsonl"
            written.append((what, target, client.download(batch[field], target)))
    return written


def _input_name(client: PlatformClient, batch: dict[str, Any]) -> str:
    """The name the input file was uploaded with (`show --wait` names its downloads as
    `submit` does); the batch's id if the file is gone."""
    try:
        return str(client.file(batch["input_file_id"])["filename"])
    except (ApiError, KeyError, TypeError):
        return str(batch["id"])


# --- output ------------------------------------------------------------------------------


def _print_batch(batch: dict[str, Any], *, as_json: bool) -> None:
    print(json.dumps(batch, indent=2) if as_json else format_fields(batch_fields(batch)))


def _note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _client(args: argparse.Namespace) -> Iterator[PlatformClient]:
    if not args.api_key:
        raise ApiError("No API key: set SWITCHBOARD_API_KEY or pass --api-key.")
    client = PlatformClient.connect(args.base_url, args.api_key)
    try:
        yield client
    finally:
        client.close()
