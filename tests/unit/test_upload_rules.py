"""Batch uploads' rules (domain/uploads.py): the keys a grant makes and an arrival is read
from, where results go beside an input, and what an S3 notification reports."""

from __future__ import annotations

from switchboard.domain.uploads import arrived_keys, read_key, result_key, upload_key

UPLOAD = "upload_0123456789abcdef01234567"


def test_a_grants_key_keeps_the_name_safe_and_under_its_owners_prefix() -> None:
    assert (
        upload_key("usr_a", UPLOAD, "prompts.jsonl") == f"batch-input/usr_a/{UPLOAD}/prompts.jsonl"
    )
    assert (
        upload_key("usr_a", UPLOAD, "a b/../ü.jsonl")
        == f"batch-input/usr_a/{UPLOAD}/a_b_..__.jsonl"
    )
    assert upload_key("usr_a", UPLOAD, "..") == f"batch-input/usr_a/{UPLOAD}/input.jsonl"
    assert len(upload_key("usr_a", UPLOAD, "x" * 300).rsplit("/", 1)[1]) == 128


def test_an_arrival_names_a_user_and_a_grant_only_in_the_grants_shape() -> None:
    granted = read_key(f"batch-input/usr_a/{UPLOAD}/x.jsonl")
    assert (granted.user_id, granted.upload_id) == ("usr_a", UPLOAD)
    assert (
        read_key("batch-input/usr_a/x.jsonl").user_id,
        read_key("batch-input/usr_a/x.jsonl").upload_id,
    ) == ("usr_a", None)
    assert read_key("batch-input/x.jsonl").user_id is None
    assert read_key("batch-input//x.jsonl").user_id is None
    assert read_key(f"batch-input/usr_a/{UPLOAD}/deeper/x.jsonl").upload_id is None
    assert read_key("batch-input/usr_a/upload_XYZ/x.jsonl").upload_id is None
    assert read_key("elsewhere/usr_a/x.jsonl").user_id is None


def test_results_go_beside_the_input_under_batch_output() -> None:
    key = f"batch-input/usr_a/{UPLOAD}/x.jsonl"
    assert result_key(key, "output") == f"batch-output/usr_a/{UPLOAD}/x.jsonl.output.jsonl"
    assert result_key(key, "error") == f"batch-output/usr_a/{UPLOAD}/x.jsonl.errors.jsonl"
    assert read_key(key).rejection_key == f"batch-output/usr_a/{UPLOAD}/x.jsonl.rejected.json"


def test_a_notification_reports_created_keys_decoded() -> None:
    notification = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {"object": {"key": "batch-input%2Fusr_a%2Fmy+file.jsonl"}},
            },
            {
                "eventName": "ObjectRemoved:Delete",
                "s3": {"object": {"key": "batch-input/usr_a/gone.jsonl"}},
            },
            {
                "eventName": "ObjectCreated:CompleteMultipartUpload",
                "s3": {"object": {"key": "a%2Bb"}},
            },
            {"eventName": "ObjectCreated:Put", "s3": {}},
        ]
    }
    assert arrived_keys(notification) == ["batch-input/usr_a/my file.jsonl", "a+b"]
    assert arrived_keys({"Service": "Amazon S3", "Event": "s3:TestEvent"}) == []
