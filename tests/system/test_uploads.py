"""Event-triggered batches on the platform as `make serve` runs it: a file put into the bucket
through its presigned POST is announced by S3 to BatchUploadsQueue, whose consumer starts
its batch; the results land beside it under batch-output/. A file that no grant names is
rejected into an error object beside it, and never billed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support.readme import run_readme_example
from tests.support.server import RunningServer
from tests.system.test_batches import ENDED, requests_file

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


@pytest.fixture
def api(server: RunningServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=f"{server.base_url}/v1", headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def s3(server: RunningServer) -> Any:
    return boto3.client(
        "s3", endpoint_url=server.aws_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def bucket_of(url: str) -> str:
    return httpx.URL(url).path.strip("/")  # the emulator's presigned POSTs are path-style


def wait_for(read: Any, within: float) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (found := read()) is not None:
            return found
        time.sleep(0.25)
    raise AssertionError(f"nothing after {within} s")


def test_a_presigned_upload_starts_its_batch_with_results_beside_it(
    api: httpx.Client, s3: Any, tmp_path: Path
) -> None:
    data = requests_file(tmp_path / "big.jsonl", 20)
    upload = api.post(
        "/batches/uploads", json={"endpoint": "/v1/chat/completions", "filename": "big.jsonl"}
    ).json()
    put = httpx.post(upload["url"], data=upload["fields"], files={"file": ("big.jsonl", data)})
    assert put.status_code in (200, 201, 204), put.text

    def ended() -> dict[str, Any] | None:
        found = api.get(f"/batches/{upload['batch_id']}")
        batch: dict[str, Any] | None = found.json() if found.status_code == 200 else None
        return batch if batch and batch["status"] in ENDED else None

    batch = wait_for(ended, within=60)
    assert batch["status"] == "completed" and batch["request_counts"]["completed"] == 20
    seen = api.get(f"/batches/uploads/{upload['id']}").json()
    assert (seen["status"], seen["batch_id"]) == ("started", batch["id"])
    beside = upload["key"].replace("batch-input/", "batch-output/", 1) + ".output.jsonl"
    body = s3.get_object(Bucket=bucket_of(upload["url"]), Key=beside)["Body"].read()
    assert body == api.get(f"/files/{batch['output_file_id']}/content").content
    assert len(body.splitlines()) == 20


def test_a_file_under_a_prefix_no_grant_names_is_rejected(
    server: RunningServer, api: httpx.Client, s3: Any, tmp_path: Path
) -> None:
    upload = api.post("/batches/uploads", json={"endpoint": "/v1/embeddings"}).json()
    bucket = bucket_of(upload["url"])
    me = upload["user_id"]
    me_url = f"{server.base_url}/auth/me"
    before = api.get(me_url).json()["credits_usd"]
    for key in ("batch-input/usr_nobody/x.jsonl", f"batch-input/{me}/dropped.jsonl"):
        s3.put_object(Bucket=bucket, Key=key, Body=requests_file(tmp_path / "x.jsonl", 2))

        def rejection(key: str = key) -> dict[str, Any] | None:
            name = key.replace("batch-input/", "batch-output/", 1) + ".rejected.json"
            try:
                found: dict[str, Any] = json.loads(
                    s3.get_object(Bucket=bucket, Key=name)["Body"].read()
                )
            except s3.exceptions.NoSuchKey:
                return None
            return found

        assert wait_for(rejection, within=30)["error"]["code"] in (
            "unknown_user", "no_upload_grant",
        )  # fmt: skip
    assert api.get(me_url).json()["credits_usd"] == before


def test_the_readmes_upload_example_runs_as_written(server: RunningServer, tmp_path: Path) -> None:
    requests_file(tmp_path / "big.jsonl", 3)
    result = run_readme_example(server, "/batches/uploads", cwd=tmp_path, timeout=90)
    assert result.stdout.startswith("completed")
