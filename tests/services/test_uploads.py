"""Batch uploads on the emulator: a grant and its presigned POST, the file's arrival starting
its batch exactly once (S3 tells a multipart upload twice), results beside the input under
batch-output/, and every file that no grant of its prefix's user names rejected into an
error object beside it, never run."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import Role, User
from switchboard.domain.batches import BatchOrder, Status
from switchboard.domain.files import MAX_FILE_BYTES
from switchboard.domain.principals import Principal
from switchboard.domain.uploads import UploadStatus, result_key
from switchboard.errors import NotFoundError, PermissionDeniedError
from switchboard.services.uploads import UploadService
from tests.services.test_batch_runs import chat, file_lines, jsonl
from tests.support.batch_rig import Rig, make_rig
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
CHAT = "/v1/chat/completions"


def principal(user: User) -> Principal:
    return Principal(user.user_id, "key_test", ("*",), user.role.value, user.plan)


def notification(*keys: str, event: str = "ObjectCreated:Post") -> dict[str, Any]:
    """S3's notification as it reaches the queue: keys URL-encoded."""
    from urllib.parse import quote_plus

    records = [{"eventName": event, "s3": {"object": {"key": quote_plus(key)}}} for key in keys]
    return {"Records": records}


@pytest.fixture
def rig(services: Container) -> Rig:
    return make_rig(services)


@pytest.fixture
def uploads(services: Container, rig: Rig) -> UploadService:
    return UploadService(services.upload_repo, services.blobs, services.account_repo, rig.batches)


def rejected(services: Container, key: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(services.blobs.get(result_key(key, "rejected")))
    return body


async def test_a_grant_is_a_presigned_post_for_one_key_under_its_owners_prefix(
    uploads: UploadService, new_user: Callable[..., User]
) -> None:
    user = new_user()
    upload, post = await uploads.grant(principal(user), BatchOrder.of(CHAT), "my file (1).jsonl")
    assert upload.key == f"batch-input/{user.user_id}/{upload.upload_id}/my_file__1_.jsonl"
    assert upload.filename == "my file (1).jsonl" and upload.status is UploadStatus.PENDING
    assert upload.planned_batch_id == "batch_" + upload.upload_id.removeprefix("upload_")
    assert post["fields"]["key"] == upload.key
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    assert ["content-length-range", 1, MAX_FILE_BYTES] in policy["conditions"]
    assert {"key": upload.key} in policy["conditions"]  # exactly this key, no other
    assert await uploads.get(principal(user), upload.upload_id) == upload


async def test_only_an_admin_may_ask_for_another_users_upload(
    uploads: UploadService, new_user: Callable[..., User]
) -> None:
    owner, other, admin = new_user(), new_user(), new_user(role=Role.ADMIN)
    order = BatchOrder.of(CHAT)
    with pytest.raises(PermissionDeniedError):
        await uploads.grant(principal(other), order, "x.jsonl", owner.user_id)
    with pytest.raises(NotFoundError):
        await uploads.grant(principal(admin), order, "x.jsonl", "usr_nobody")
    upload, _ = await uploads.grant(principal(admin), order, "x.jsonl", owner.user_id)
    assert upload.key.startswith(f"batch-input/{owner.user_id}/")
    assert upload.granted_by == admin.user_id
    for reader in (owner, admin):  # the owner and the admin who asked see it; no one else
        assert (await uploads.get(principal(reader), upload.upload_id)).user_id == owner.user_id
    with pytest.raises(NotFoundError):
        await uploads.get(principal(other), upload.upload_id)


async def test_an_arrival_told_twice_starts_one_batch_with_its_results_beside_it(
    services: Container, rig: Rig, uploads: UploadService, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    order = BatchOrder.of(CHAT, metadata={"run": "nightly"})
    upload, _ = await uploads.grant(principal(user), order, "prompts.jsonl")
    data = jsonl([chat("a"), chat("b"), b"not json"])
    services.blobs.put(upload.key, data, content_type="application/jsonl")

    await uploads.notified(notification(upload.key, upload.key))  # a multipart upload's two
    await uploads.notified({"Service": "Amazon S3", "Event": "s3:TestEvent"})
    started = await uploads.get(principal(user), upload.upload_id)
    assert (started.status, started.batch_id) == (UploadStatus.STARTED, upload.planned_batch_id)
    batch = rig.batch(upload.planned_batch_id)
    assert (batch.source, batch.input_key, batch.metadata) == (
        "upload",
        upload.key,
        {"run": "nightly"},
    )
    await rig.step("validate")
    await rig.step("split")
    assert rig.receive("steps", wait=2) == []  # one execution

    done = await rig.drive(batch.batch_id)
    assert done.status is Status.COMPLETED and (done.counts.completed, done.counts.failed) == (2, 1)
    outputs = file_lines(services, done.output_file_id)
    assert [line["custom_id"] for line in outputs] == ["a", "b"]
    beside = services.blobs.get(result_key(upload.key, "output")).decode()
    assert [json.loads(line)["custom_id"] for line in beside.splitlines()] == ["a", "b"]
    errors = services.blobs.get(result_key(upload.key, "error")).decode().splitlines()
    assert json.loads(errors[0])["error"]["code"] == "invalid_json"
    stored = services.file_repo.get(done.input_file_id)
    assert stored is not None and (stored.user_id, stored.filename) == (
        user.user_id,
        "prompts.jsonl",
    )

    await uploads.arrived(upload.key)  # told again, after the batch ended: nothing more
    assert rig.batch(batch.batch_id) == done


async def test_a_file_under_another_users_prefix_is_rejected_never_run(
    services: Container, rig: Rig, uploads: UploadService, new_user: Callable[..., User]
) -> None:
    """A's grant, with its file put under B's prefix: it would bill B, so it never runs."""
    a, b = new_user(plan="enterprise"), new_user(plan="enterprise")
    upload, _ = await uploads.grant(principal(a), BatchOrder.of(CHAT), "x.jsonl")
    key = upload.key.replace(a.user_id, b.user_id)
    services.blobs.put(key, jsonl([chat("a")]), content_type="application/jsonl")
    before = ledger_state(services.ledger_repo, b.user_id)

    await uploads.arrived(key)
    assert rejected(services, key)["error"]["code"] == "no_upload_grant"
    assert rejected(services, key)["key"] == key
    assert services.batch_repo.get(upload.planned_batch_id) is None
    assert (await uploads.get(principal(a), upload.upload_id)).status is UploadStatus.PENDING
    assert rig.receive("steps", wait=1) == []
    assert ledger_state(services.ledger_repo, b.user_id) == before


@pytest.mark.parametrize(
    ("where", "code"),
    [
        ("batch-input/usr_nobody/upload_0123456789abcdef01234567/x.jsonl", "unknown_user"),
        ("batch-input/loose.jsonl", "unknown_user"),
        ("batch-input/{user}/dropped.jsonl", "no_upload_grant"),  # put there by other means
        ("batch-input/{user}/upload_0123456789abcdef01234567/x.jsonl", "no_upload_grant"),
    ],
)
async def test_a_file_no_grant_names_is_rejected_beside_itself(
    services: Container,
    rig: Rig,
    uploads: UploadService,
    new_user: Callable[..., User],
    where: str,
    code: str,
) -> None:
    user = new_user()
    key = where.format(user=user.user_id)
    services.blobs.put(key, jsonl([chat("a")]), content_type="application/jsonl")
    await uploads.notified(notification(key))
    error = rejected(services, key)["error"]
    assert error["code"] == code and error["type"] == "invalid_request_error"
    assert rig.receive("steps", wait=1) == []


async def test_a_granted_file_the_batch_api_would_refuse_is_rejected_with_its_grant(
    services: Container, rig: Rig, uploads: UploadService, new_user: Callable[..., User]
) -> None:
    user = new_user()
    upload, _ = await uploads.grant(principal(user), BatchOrder.of(CHAT), "empty.jsonl")
    services.blobs.put(upload.key, b"", content_type="application/jsonl")
    await uploads.arrived(upload.key)
    seen = await uploads.get(principal(user), upload.upload_id)
    assert seen.status is UploadStatus.REJECTED and seen.error is not None
    assert seen.error["code"] == "empty_file" == rejected(services, upload.key)["error"]["code"]
    assert services.batch_repo.get(upload.planned_batch_id) is None
    await uploads.arrived(upload.key)  # told again: still rejected, still not run
    assert (await uploads.get(principal(user), upload.upload_id)).status is UploadStatus.REJECTED
