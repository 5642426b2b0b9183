"""`switchboard batch` as a client: the API's errors as one line, downloads through the
presigned redirect, the presigned-upload path for large files (the contract of
POST /v1/batches/uploads) and patience while following. The platform and S3 are played by
one httpx.MockTransport."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.batch_client import commands
from switchboard.batch_client.client import ApiError, PlatformClient
from switchboard.batch_client.commands import DIRECT_UPLOAD_BYTES, start_batch, until_ended
from switchboard.batch_client.progress import Progress

KEY = "sb_unit_key"
STORAGE = "http://storage.test/bucket"
Handler = Callable[[httpx.Request], httpx.Response]


def envelope(status: int, message: str, code: str | None) -> httpx.Response:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return httpx.Response(status, json={"error": error})


class FakePlatform:
    """The routes a test sets: "METHOD path" under /v1/ ("GET batches/b"), or "METHOD
    host/path" elsewhere; each a handler or the answers to give in turn. Every request is
    kept."""

    def __init__(self, routes: dict[str, Handler | list[httpx.Response]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        url = request.url
        where = (
            url.path.removeprefix("/v1/") if url.host == "platform.test" else url.host + url.path
        )
        route = self.routes.get(f"{request.method} {where}")
        if route is None:
            return envelope(404, f"No route {request.method} {where}.", "not_found")
        return route.pop(0) if isinstance(route, list) else route(request)

    def seen(self) -> list[str]:
        return [f"{r.method} {r.url.host}{r.url.path}" for r in self.requests]


@pytest.fixture
def connect() -> Iterator[Callable[[FakePlatform], PlatformClient]]:
    clients: list[PlatformClient] = []

    def make(platform: FakePlatform) -> PlatformClient:
        transport = httpx.MockTransport(platform)
        http = httpx.Client(
            base_url="http://platform.test/v1/", headers={"Authorization": f"Bearer {KEY}"},
            transport=transport, follow_redirects=True,
        )  # fmt: skip
        clients.append(PlatformClient(http, storage=httpx.Client(transport=transport)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def jsonl(path: Path, lines: int = 2) -> Path:
    path.write_text("".join(json.dumps({"custom_id": f"q{n}"}) + "\n" for n in range(lines)))
    return path


# --- errors ----------------------------------------------------------------------------------


def test_an_error_envelope_is_one_line_with_status_and_code(connect: Any) -> None:
    message = "No batch found\n  with id 'batch_x'."
    client = connect(
        FakePlatform({"GET batches/batch_x": [envelope(404, message, "batch_not_found")]})
    )
    with pytest.raises(ApiError) as raised:
        client.batch("batch_x")
    assert raised.value.message == "No batch found with id 'batch_x'. (404 batch_not_found)"
    assert (raised.value.status, raised.value.code, raised.value.transient) == (
        404, "batch_not_found", False,
    )  # fmt: skip


def test_an_answer_that_is_not_the_envelope_names_the_request(connect: Any) -> None:
    client = connect(FakePlatform({"GET batches": [httpx.Response(502, text="<html>bad</html>")]}))
    with pytest.raises(ApiError) as raised:
        client.batches(limit=5, after="batch_a")
    assert raised.value.message == (
        "GET http://platform.test/v1/batches?limit=5&after=batch_a answered 502 Bad Gateway."
    )
    assert raised.value.transient


def test_an_unreachable_platform_says_where_it_looked(connect: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(ApiError) as raised:
        connect(FakePlatform({"POST batches/b/cancel": refuse})).cancel("b")
    assert raised.value.message == (
        "The platform is not reachable at http://platform.test/v1 ([Errno 111] Connection refused)."
    )
    assert raised.value.transient


# --- downloads -------------------------------------------------------------------------------


def test_a_download_follows_the_presigned_redirect_without_the_api_key(
    connect: Any, tmp_path: Path
) -> None:
    content = b'{"custom_id": "q1"}\n{"custom_id": "q2"}\n'
    platform = FakePlatform(
        {
            "GET files/file_out/content": [
                httpx.Response(302, headers={"Location": f"{STORAGE}/out?X-Amz-Signature=s"})
            ],
            "GET storage.test/bucket/out": [httpx.Response(200, content=content)],
        }
    )
    target = tmp_path / "r.output.jsonl"
    assert connect(platform).download("file_out", target) == 2
    assert target.read_bytes() == content and list(tmp_path.iterdir()) == [target]
    to_platform, to_storage = platform.requests
    assert to_platform.headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in to_storage.headers


def test_a_failed_download_leaves_no_file(connect: Any, tmp_path: Path) -> None:
    platform = FakePlatform({"GET files/f/content": [envelope(404, "No such file.", "not_found")]})
    with pytest.raises(ApiError, match="No such file"):
        connect(platform).download("f", tmp_path / "r.output.jsonl")
    assert list(tmp_path.iterdir()) == []


# --- submitting: straight to the API, or through storage --------------------------------------


def started_batch(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": "batch_1", "status": "validating"} | json.loads(
        request.content
    ))  # fmt: skip


def test_a_small_file_is_uploaded_and_its_batch_created(connect: Any, tmp_path: Path) -> None:
    platform = FakePlatform(
        {
            "POST files": [httpx.Response(200, json={"id": "file-1", "bytes": 42})],
            "POST batches": started_batch,
        }
    )
    path = jsonl(tmp_path / "in.jsonl")
    batch_id = start_batch(
        connect(platform), path, endpoint="/v1/embeddings", metadata={"job": "nightly"}
    )
    assert batch_id == "batch_1"
    upload, create = platform.requests
    assert b'name="purpose"\r\n\r\nbatch' in upload.content
    assert b'filename="in.jsonl"' in upload.content and path.read_bytes() in upload.content
    assert json.loads(create.content) == {
        "input_file_id": "file-1", "endpoint": "/v1/embeddings", "completion_window": "24h",
        "metadata": {"job": "nightly"},
    }  # fmt: skip


UPLOAD = {
    "object": "batch.upload", "id": "upload_1", "batch_id": "batch_9", "user_id": "usr_1",
    "key": "uploads/usr_1/upload_1.jsonl", "url": STORAGE,
    "fields": {"key": "uploads/usr_1/upload_1.jsonl", "policy": "cG9saWN5",
               "x-amz-signature": "abc"},
    "max_bytes": 200_000_000, "expires_at": 1_700_000_900, "status": "pending",
}  # fmt: skip


def through_storage(*upload_states: dict[str, Any], stored: int = 204) -> FakePlatform:
    return FakePlatform(
        {
            "POST batches/uploads": lambda request: httpx.Response(201, json=UPLOAD),
            "GET batches/uploads/upload_1": [
                httpx.Response(200, json=UPLOAD | state) for state in upload_states
            ],
            "POST storage.test/bucket": [httpx.Response(stored, text=STORAGE_REFUSAL)],
        }
    )


STORAGE_REFUSAL = """<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed
size</Message></Error>"""


def test_via_upload_posts_the_fields_then_the_file_and_waits_for_the_start(
    connect: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = through_storage({}, {"status": "started"})
    path = jsonl(tmp_path / "big.jsonl")
    batch_id = start_batch(
        connect(platform), path, endpoint="/v1/chat/completions", metadata={"k": "v"},
        via_upload=True, poll_seconds=0.001,
    )  # fmt: skip
    assert batch_id == "batch_9"
    assert platform.seen() == [
        "POST platform.test/v1/batches/uploads",
        "POST storage.test/bucket",
        "GET platform.test/v1/batches/uploads/upload_1",
        "GET platform.test/v1/batches/uploads/upload_1",
    ]
    create, to_storage = platform.requests[:2]
    assert json.loads(create.content) == {
        "endpoint": "/v1/chat/completions", "filename": "big.jsonl", "completion_window": "24h",
        "metadata": {"k": "v"},
    }  # fmt: skip
    assert "Authorization" not in to_storage.headers
    body = to_storage.content
    positions = [body.index(f'name="{name}"'.encode()) for name in [*UPLOAD["fields"], "file"]]
    assert positions == sorted(positions)  # S3 reads the policy's fields before the file
    assert path.read_bytes() in body and b'x-amz-signature"\r\n\r\nabc' in body
    assert "batch batch_9 started" in capsys.readouterr().err


def test_a_file_over_the_request_limit_goes_through_storage(connect: Any, tmp_path: Path) -> None:
    platform = through_storage({"status": "started"})
    path = tmp_path / "huge.jsonl"
    path.write_bytes(b"x" * (DIRECT_UPLOAD_BYTES + 1))
    start_batch(connect(platform), path, endpoint="/v1/chat/completions", metadata=None)
    assert "POST platform.test/v1/files" not in platform.seen()
    assert "metadata" not in json.loads(platform.requests[0].content)


def test_a_413_from_the_files_api_falls_back_to_storage(connect: Any, tmp_path: Path) -> None:
    platform = through_storage({"status": "started"})
    platform.routes["POST files"] = [
        envelope(413, "The upload is larger than 6000000 bytes.", None)
    ]
    start_batch(connect(platform), jsonl(tmp_path / "in.jsonl"), endpoint="e", metadata=None)
    assert platform.seen()[:2] == [
        "POST platform.test/v1/files",
        "POST platform.test/v1/batches/uploads",
    ]


def test_a_rejected_upload_says_why(connect: Any, tmp_path: Path) -> None:
    error = {"message": "Line 3 of the file is not a JSON object.", "code": "invalid_jsonl"}
    platform = through_storage({"status": "rejected", "error": error})
    with pytest.raises(ApiError) as raised:
        start_batch(connect(platform), jsonl(tmp_path / "in.jsonl"), endpoint="e", metadata=None,
                    via_upload=True)  # fmt: skip
    assert raised.value.message == (
        "The platform refused in.jsonl: Line 3 of the file is not a JSON object. (invalid_jsonl)"
    )


def test_storage_refusing_the_file_gives_its_message(connect: Any, tmp_path: Path) -> None:
    platform = through_storage(stored=400)
    with pytest.raises(ApiError) as raised:
        start_batch(connect(platform), jsonl(tmp_path / "in.jsonl"), endpoint="e", metadata=None,
                    via_upload=True)  # fmt: skip
    assert raised.value.message == (
        "The storage upload was refused (400): Your proposed upload exceeds the maximum "
        "allowed size"
    )


def test_a_file_larger_than_an_upload_takes_is_refused_before_sending(
    connect: Any, tmp_path: Path
) -> None:
    platform = through_storage()
    platform.routes["POST batches/uploads"] = [httpx.Response(201, json=UPLOAD | {"max_bytes": 3})]
    with pytest.raises(ApiError, match="an upload takes at most 3"):
        start_batch(connect(platform), jsonl(tmp_path / "in.jsonl"), endpoint="e", metadata=None,
                    via_upload=True)  # fmt: skip
    assert platform.seen() == ["POST platform.test/v1/batches/uploads"]


# --- following -------------------------------------------------------------------------------


def batch(status: str) -> httpx.Response:
    counts = {"total": 2, "completed": 2 if status == "completed" else 0, "failed": 0}
    return httpx.Response(
        200, json={"id": "b", "status": status, "request_counts": counts, "cost_usd": "0.000010"}
    )


def test_following_waits_out_a_few_transient_failures(connect: Any) -> None:
    answers = [batch("validating"), httpx.Response(503, text="busy"), batch("in_progress"),
               envelope(429, "Slow down.", "rate_limited"), batch("completed")]  # fmt: skip
    stream = io.StringIO()
    done = until_ended(
        connect(FakePlatform({"GET batches/b": answers})), "b", Progress(stream, tty=False), 0.001
    )
    assert done["status"] == "completed"
    assert [line.split()[0] for line in stream.getvalue().splitlines()] == [
        "validating", "in_progress", "completed",
    ]  # fmt: skip


def test_following_gives_up_on_a_lasting_failure_or_a_refusal(connect: Any) -> None:
    failing = [batch("in_progress")] + [httpx.Response(503)] * (commands.POLL_RETRIES + 1)
    with pytest.raises(ApiError, match="503"):
        until_ended(connect(FakePlatform({"GET batches/b": failing})), "b",
                    Progress(io.StringIO(), tty=False), 0.0001)  # fmt: skip
    refused = [
        batch("in_progress"),
        envelope(401, "Incorrect API key provided.", "invalid_api_key"),
    ]
    with pytest.raises(ApiError, match="401 invalid_api_key"):
        until_ended(connect(FakePlatform({"GET batches/b": refused})), "b",
                    Progress(io.StringIO(), tty=False), 0.001)  # fmt: skip
