"""Creates, in the emulator, the tables, queues, buckets, vector buckets, secrets and state
machines that template.yaml declares, under local names derived from their logical ids.

Creation is idempotent: a second platform attached to the same emulator finds them there.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from typing import Any

import boto3

from switchboard.local.emulator import LOCAL_ACCOUNT
from switchboard.local.template import Resolver, Template

STACK = "switchboard-local"
TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
)


def local_name(logical_id: str) -> str:
    return f"{STACK}-{logical_id}"


def create_resources(
    template: Template, region: str, parameters: dict[str, str] | None = None
) -> Resolver:
    """Create everything the template declares; return the resolver for its references."""
    names: dict[str, str] = {}
    arns: dict[str, str] = {}
    values = template.parameter_defaults() | (parameters or {})
    resolver = Resolver(names, arns, values, region, LOCAL_ACCOUNT)
    _secrets(template, names, arns, region)
    _tables(template, names, arns, region)
    _buckets(template, names, arns, region)
    _vector_buckets(template, names, arns, region)
    _queues(template, resolver, region)
    _bucket_notifications(template, resolver, region)
    _state_machines(template, resolver, region)
    for logical_id in template.of_type("AWS::Serverless::Function"):
        names[logical_id] = local_name(logical_id)
        arns[logical_id] = (
            f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{local_name(logical_id)}"
        )
    return resolver


def _tables(template: Template, names: dict[str, str], arns: dict[str, str], region: str) -> None:
    client = boto3.client("dynamodb", region_name=region)
    existing = set(client.list_tables().get("TableNames", []))
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = resource.get("Properties", {})
        name = names[logical_id] = local_name(logical_id)
        arns[logical_id] = f"arn:aws:dynamodb:{region}:{LOCAL_ACCOUNT}:table/{name}"
        if name in existing:
            continue
        args: dict[str, Any] = {k: props[k] for k in TABLE_KEYS if k in props}
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )


def _buckets(template: Template, names: dict[str, str], arns: dict[str, str], region: str) -> None:
    client = boto3.client("s3", region_name=region)
    for logical_id in template.of_type("AWS::S3::Bucket"):
        name = names[logical_id] = re.sub(r"[^a-z0-9-]", "-", local_name(logical_id).lower())
        arns[logical_id] = f"arn:aws:s3:::{name}"
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)


def _vector_buckets(
    template: Template, names: dict[str, str], arns: dict[str, str], region: str
) -> None:
    """S3 Vectors buckets; !Ref of one is its ARN, as in CloudFormation."""
    client = boto3.client("s3vectors", region_name=region)
    for logical_id, resource in template.of_type("AWS::S3Vectors::VectorBucket").items():
        name = re.sub(r"[^a-z0-9-]", "-", local_name(logical_id).lower())
        encryption = resource.get("Properties", {}).get("EncryptionConfiguration", {})
        with contextlib.suppress(client.exceptions.ConflictException):
            client.create_vector_bucket(
                vectorBucketName=name,
                encryptionConfiguration={"sseType": encryption.get("SseType", "AES256")},
            )
        arn = client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketArn"]
        names[logical_id] = arns[logical_id] = arn


def _bucket_notifications(template: Template, resolver: Resolver, region: str) -> None:
    """A bucket's NotificationConfiguration to SQS queues (with their key filters), set once
    the queues exist, as CloudFormation does; S3 then sends the object events to them."""
    client = boto3.client("s3", region_name=region)
    for logical_id, resource in template.of_type("AWS::S3::Bucket").items():
        notifications = resource.get("Properties", {}).get("NotificationConfiguration", {})
        queues = notifications.get("QueueConfigurations", [])
        if not queues:
            continue
        configuration = {"QueueConfigurations": [_queue_notification(q, resolver) for q in queues]}
        client.put_bucket_notification_configuration(
            Bucket=resolver.names[logical_id], NotificationConfiguration=configuration
        )


def _queue_notification(declared: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    """CloudFormation's QueueConfiguration as S3's API takes it (S3Key.Rules: Key.FilterRules)."""
    notification: dict[str, Any] = {
        "QueueArn": resolver.resolve(declared["Queue"]),
        "Events": [declared["Event"]],
    }
    rules = declared.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    if rules:
        filter_rules = [{"Name": r["Name"], "Value": resolver.resolve(r["Value"])} for r in rules]
        notification["Filter"] = {"Key": {"FilterRules": filter_rules}}
    return notification


def _queues(template: Template, resolver: Resolver, region: str) -> None:
    client = boto3.client("sqs", region_name=region)
    queues = template.of_type("AWS::SQS::Queue")
    # Dead-letter queues first: a redrive policy refers to its queue's ARN.
    ordered = sorted(queues, key=lambda lid: "RedrivePolicy" in queues[lid].get("Properties", {}))
    for logical_id in ordered:
        props = queues[logical_id].get("Properties", {})
        fifo = bool(props.get("FifoQueue"))
        name = local_name(logical_id) + (".fifo" if fifo else "")
        resolver.names[logical_id] = client.create_queue(
            QueueName=name, Attributes=_queue_attributes(props, resolver)
        )["QueueUrl"]
        resolver.arns[logical_id] = f"arn:aws:sqs:{region}:{LOCAL_ACCOUNT}:{name}"


def _queue_attributes(props: dict[str, Any], resolver: Resolver) -> Any:
    attributes: dict[str, str] = {}
    for key, value in props.items():
        if key in ("QueueName", "Tags"):
            continue
        value = resolver.resolve(value)
        if isinstance(value, dict):
            attributes[key] = json.dumps(value)
        elif isinstance(value, bool):
            attributes[key] = str(value).lower()
        else:
            attributes[key] = str(value)
    return attributes


def _secrets(template: Template, names: dict[str, str], arns: dict[str, str], region: str) -> None:
    client = boto3.client("secretsmanager", region_name=region)
    for logical_id, resource in template.of_type("AWS::SecretsManager::Secret").items():
        props = resource.get("Properties", {})
        name = local_name(logical_id)
        try:
            arn = client.create_secret(Name=name, SecretString=_secret_string(props))["ARN"]
        except client.exceptions.ResourceExistsException:
            arn = client.describe_secret(SecretId=name)["ARN"]
        names[logical_id] = arns[logical_id] = arn  # !Ref of a secret is its ARN


def _secret_string(props: dict[str, Any]) -> str:
    """The declared value, or (GenerateSecretString) a fresh random one, as AWS would make."""
    generate = props.get("GenerateSecretString")
    if generate is None:
        return str(props.get("SecretString", "{}"))
    return secrets.token_urlsafe(int(generate.get("PasswordLength", 32)))[
        : int(generate.get("PasswordLength", 32))
    ]


def _state_machines(template: Template, resolver: Resolver, region: str) -> None:
    client = boto3.client("stepfunctions", region_name=region)
    existing = {
        m["name"]: m["stateMachineArn"] for m in client.list_state_machines()["stateMachines"]
    }
    for logical_id, resource in template.of_type(
        "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"
    ).items():
        props = resource.get("Properties", {})
        name = local_name(logical_id)
        definition = _definition(template, props, resolver)
        role = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{name}"
        arn = (
            existing.get(name)
            or client.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=role
            )["stateMachineArn"]
        )
        resolver.names[logical_id] = resolver.arns[logical_id] = arn


def _definition(template: Template, props: dict[str, Any], resolver: Resolver) -> Any:
    if "DefinitionUri" in props:
        text = (template.path.parent / str(props["DefinitionUri"])).read_text(encoding="utf-8")
    else:
        text = json.dumps(props.get("Definition", {}))
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        text = text.replace("${" + key + "}", str(resolver.resolve(value)))
    return json.loads(text) if text.lstrip().startswith("{") else _yaml(text)


def _yaml(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)


def function_environment(template: Template, resolver: Resolver) -> dict[str, str]:
    """Every function's environment, resolved; conflicting values are a template error here,
    because the local platform runs all functions in one process."""
    merged: dict[str, str] = {}
    for spec in template.functions():
        for key, raw in spec.environment.items():
            value = resolver.resolve(raw)
            text = "" if value is None else str(value)
            if key in merged and merged[key] != text:
                raise ValueError(
                    f"{spec.logical_id}: {key}={text!r} conflicts with {merged[key]!r}"
                )
            merged[key] = text
    return merged
