"""Where an operator command runs: a deployed stack (--stack NAME: its TableName output, its
ApiKeyPrefix and PlanLimits parameters, with your AWS credentials), a table (--table NAME,
with --aws-endpoint URL for an emulator), or, given neither, the `switchboard serve` running
in this directory, found through the state file it leaves (.switchboard/local.json).

The answer is a Container built from Settings made here; boto3 is pointed at an emulator
the way the local platform points it (local/emulator.py), never with endpoint_url.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from switchboard.errors import InvalidRequestError, NotFoundError, SwitchboardError

if TYPE_CHECKING:
    from switchboard.bootstrap import Container


def open_services(args: argparse.Namespace) -> Container:
    """A container for the chosen stack, table or local platform (one per command run)."""
    from switchboard.bootstrap import Container
    from switchboard.local.emulator import LOCAL_REGION
    from switchboard.settings import Settings

    if args.aws_endpoint and not args.table:
        raise InvalidRequestError("--aws-endpoint needs --table (the table's name there).")
    if args.stack:
        values = _stack_settings(args.stack)
    elif args.table:
        if args.aws_endpoint:
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            _use_endpoint(args.aws_endpoint, region or LOCAL_REGION)
        values = {"TABLE_NAME": args.table}
    else:
        values = _local_settings(Path.cwd())
    if args.key_prefix:
        values["API_KEY_PREFIX"] = args.key_prefix
    return Container(Settings.from_env(values))


def _stack_settings(stack: str) -> dict[str, str]:
    """The stack's table (TableName output), key prefix and plans (its parameters)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    except (BotoCoreError, ClientError) as exc:
        raise SwitchboardError(f"cannot read stack {stack}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])
    }
    if "TableName" not in outputs:
        raise NotFoundError(f"Stack {stack} has no TableName output.")
    return {
        "TABLE_NAME": outputs["TableName"],
        "API_KEY_PREFIX": parameters.get("ApiKeyPrefix", ""),
        "PLAN_LIMITS": parameters.get("PlanLimits", ""),
    }


def _local_settings(directory: Path) -> dict[str, str]:
    """The `switchboard serve` running in this directory, from the state file it wrote."""
    from switchboard.local.server import running_state

    state = running_state(directory)
    _use_endpoint(state["aws_endpoint"], state["region"])
    return {
        "TABLE_NAME": state["table"],
        "API_KEY_PREFIX": state["key_prefix"],
        "PLAN_LIMITS": state["plan_limits"],
    }


def _use_endpoint(endpoint: str, region: str) -> None:
    """Point boto3 at emulated AWS through the environment, before any client exists."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = region
