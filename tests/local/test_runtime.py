"""The local runtime reads template.yaml: resources, environments, routes and consumers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import unquote_plus

import boto3
import pytest

from switchboard.bootstrap import container
from switchboard.local.functions import load_module
from switchboard.local.platform import Platform, mount_routes
from switchboard.local.resources import create_resources, function_environment
from switchboard.local.template import Template, rate_seconds
from switchboard.local.workers import LONG_POLL_SECONDS, MAX_CONSUMERS, Workers
from tests.conftest import TEMPLATE

RUNTIME = Path(__file__).resolve().parents[1] / "support" / "runtime" / "template.yaml"
REGION = "us-east-1"


def test_every_declared_route_is_mounted_from_its_function(platform: Platform) -> None:
    template = Template.load(TEMPLATE)
    declared = {(r.method, r.path) for f in template.functions() for r in f.routes}
    preflights = {(method, path) for method, path in declared if method == "OPTIONS"}
    assert preflights  # PreflightFunction's: the apps' CORS middleware answers them
    assert {(method, path) for method, path, _ in platform.routes} == declared - preflights
    assert ("POST", "/v1/chat/completions", "InferenceFunction") in platform.routes
    assert ("GET", "/health", "CatalogFunction") in platform.routes


def test_a_route_missing_from_its_function_is_an_error(tmp_path: Path) -> None:
    text = TEMPLATE.read_text().replace("Path: /v1/embeddings", "Path: /v1/embeddings-typo")
    broken = tmp_path / "template.yaml"
    broken.write_text(text)
    for folder in ("functions",):
        (tmp_path / folder).symlink_to(TEMPLATE.parent / folder)
    with pytest.raises(LookupError, match="embeddings-typo"):
        mount_routes(Template.load(broken))


def test_template_resources_exist_in_the_emulator(platform: Platform) -> None:
    table = boto3.client("dynamodb", region_name=REGION).describe_table(
        TableName=container().settings.TABLE_NAME
    )["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "GSI1"


def test_resources_environment_and_consumers_from_a_template(platform: Platform) -> None:
    template = Template.load(RUNTIME)
    resolver = create_resources(template, REGION)
    env = function_environment(template, resolver)
    assert env["GREETING"] == "hello from us-east-1"
    assert env["JOBS_URL"].startswith("http") and env["BUCKET"] == "switchboard-local-media"
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = json.loads(
        sfn.describe_state_machine(stateMachineArn=resolver.arns["Flow"])["definition"]
    )
    assert definition["States"]["Done"]["Result"]["queue"] == env["JOBS_URL"]

    spec = next(f for f in template.functions() if f.logical_id == "WorkerFunction")
    assert spec.queues == [("Jobs", 5)] and spec.schedules == ["rate(1 minute)"]
    worker = load_module(spec)
    sqs = boto3.client("sqs", region_name=REGION)
    workers = Workers(template.functions(), resolver, REGION)
    assert workers.consumers(spec, "Jobs") == 3  # its ScalingConfig's MaximumConcurrency
    workers.start()
    try:
        for body in ({"n": "one"}, {"fail": True}, {"n": "two"}):
            sqs.send_message(QueueUrl=resolver.names["Jobs"], MessageBody=json.dumps(body))
        dead = _wait_for_message(sqs, resolver.names["JobsDeadLetters"], timeout=20)
    finally:
        workers.stop()
    assert sorted(b["n"] for b in worker.processed) == ["one", "two"]  # each exactly once
    assert dead == json.dumps({"fail": True})  # retried, then redriven to the dead-letter queue


def test_stopping_does_not_wait_for_the_consumers_long_polls(platform: Platform) -> None:
    """Consumers wait up to LONG_POLL_SECONDS (20 s) for a message; stop() waits only for
    invocations in flight, and nothing received after it is handled."""
    template = Template.load(RUNTIME)
    resolver = create_resources(template, REGION)
    worker = load_module(next(f for f in template.functions() if f.logical_id == "WorkerFunction"))
    workers = Workers(template.functions(), resolver, REGION)
    workers.start()
    time.sleep(0.5)  # every consumer is in a long poll now
    started = time.monotonic()
    workers.stop()
    assert time.monotonic() - started < 2 < LONG_POLL_SECONDS
    before = len(worker.processed)
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=resolver.names["Jobs"], MessageBody=json.dumps({"n": "late"}))
    time.sleep(1)  # the consumers' polls wake for it, and put it back
    assert len(worker.processed) == before


def test_consumers_follow_each_event_sources_maximum_concurrency(platform: Platform) -> None:
    template = Template.load(TEMPLATE)
    workers = Workers(template.functions(), create_resources(template, REGION), REGION)
    specs = {spec.logical_id: spec for spec in template.functions()}
    lines = specs["BatchLinesFunction"]
    assert lines.concurrency == {"BatchLinesQueue": {"Ref": "BatchLineConcurrency"}}
    declared = int(template.parameter_defaults()["BatchLineConcurrency"])
    assert workers.consumers(lines, "BatchLinesQueue") == min(declared, MAX_CONSUMERS)
    assert workers.consumers(specs["QueueWorkerFunction"], "AiRequestsQueue") == 1


def _wait_for_message(sqs: object, url: str, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])  # type: ignore[attr-defined]
        if messages:
            return str(messages[0]["Body"])
    return None


def test_rate_expressions() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(2 hours)") == 7200
    with pytest.raises(ValueError, match="cron"):
        rate_seconds("cron(0 12 * * ? *)")


def test_creating_resources_twice_is_harmless(platform: Platform) -> None:
    """A second platform attached to the same emulator finds everything in place."""
    template = Template.load(RUNTIME)
    first = create_resources(template, REGION)
    second = create_resources(template, REGION)
    assert first.names == second.names and first.arns == second.arns


def test_a_buckets_notifications_reach_its_queue_for_the_keys_filtered(platform: Platform) -> None:
    resolver = create_resources(Template.load(RUNTIME), REGION)
    s3, sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
    bucket, queue = resolver.names["Media"], resolver.names["Uploads"]
    s3.put_object(Bucket=bucket, Key="elsewhere/file.txt", Body=b"no")
    s3.put_object(Bucket=bucket, Key="inbox/file.txt", Body=b"yes")
    keys = []
    deadline = time.monotonic() + 10
    while "inbox/file.txt" not in keys and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            records = json.loads(message["Body"]).get("Records", [])  # s3:TestEvent has none
            keys += [unquote_plus(record["s3"]["object"]["key"]) for record in records]
    assert keys == ["inbox/file.txt"]  # event keys are URL-encoded, as in AWS
