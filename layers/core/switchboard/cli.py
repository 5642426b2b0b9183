"""The `switchboard` command: run the local platform, invoke handlers, inspect the wiring.

switchboard serve [--host H] [--port P]      the whole platform on one machine
switchboard invoke FUNCTION --event FILE     a function's real handler with an event
switchboard routes                           which function serves which route
switchboard models [--check FILE]            the model catalog (or check a catalog file)
switchboard create-admin --email E (--stack S | --table T)
                                             a first admin user and its API key, in a
                                             deployed stack's table (or any table)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_TEMPLATE = Path("template.yaml")
EVENTS_API_KEY = "sb_events_example_key_0123456789abcdefghijklmnop"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the platform locally")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument(
        "--aws-endpoint",
        default=None,
        help="use this running emulator (e.g. another platform's) instead of starting one",
    )
    invoke = commands.add_parser("invoke", help="run a function's handler with an event")
    invoke.add_argument("function", help="logical id (InferenceFunction) or folder (inference)")
    invoke.add_argument("--event", type=Path, required=True)
    commands.add_parser("routes", help="list the routes the template declares")
    models = commands.add_parser("models", help="list the model catalog")
    models.add_argument("--check", type=Path, default=None, help="validate this catalog file")
    admin = commands.add_parser("create-admin", help="create an admin user and print its key")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Admin User", help="first and last name")
    admin.add_argument("--credits-usd", type=int, default=0)
    where = admin.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="a deployed stack's name: its TableName output is used")
    where.add_argument("--table", help="the DynamoDB table's name")
    admin.add_argument("--key-prefix", default="sb_", help="the stack's ApiKeyPrefix")
    args = parser.parse_args(argv)
    handlers = {
        "serve": _serve,
        "invoke": _invoke,
        "routes": _routes,
        "models": _models,
        "create-admin": _create_admin,
    }
    return handlers[args.command](args)


def _serve(args: argparse.Namespace) -> int:
    from switchboard.local.server import serve

    return serve(args.template, host=args.host, port=args.port, endpoint=args.aws_endpoint)


def _invoke(args: argparse.Namespace) -> int:
    from switchboard.local.functions import LocalContext, load_handler
    from switchboard.local.platform import DEV_KEY_ENV, Platform
    from switchboard.local.template import Template

    os.environ.setdefault(DEV_KEY_ENV, EVENTS_API_KEY)
    event = json.loads(args.event.read_text(encoding="utf-8"))
    platform = Platform.start(args.template, run_workers=False)
    try:
        spec = _find_function(Template.load(args.template), args.function)
        result = load_handler(spec)(event, LocalContext(spec, f"local:{spec.logical_id}"))
    finally:
        platform.stop()
    print(json.dumps(result, indent=2))
    return 0


def _find_function(template: Any, name: str) -> Any:
    for spec in template.functions():
        if name in (spec.logical_id, spec.code_uri.name):
            return spec
    known = ", ".join(f"{s.logical_id} ({s.code_uri.name})" for s in template.functions())
    raise SystemExit(f"no function {name!r} in the template; known: {known}")


def _routes(args: argparse.Namespace) -> int:
    from switchboard.local.template import Template

    for spec in Template.load(args.template).functions():
        for route in spec.routes:
            print(f"{route.method:7} {route.path:36} {spec.logical_id}")
        for queue, _ in spec.queues:
            print(f"{'SQS':7} {queue:36} {spec.logical_id}")
        for schedule in spec.schedules:
            print(f"{'TIMER':7} {schedule:36} {spec.logical_id}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from switchboard.domain.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog(args.check or os.environ.get("MODEL_CATALOG") or None)
    except CatalogError as exc:
        print(f"invalid catalog: {exc}", file=sys.stderr)
        return 1
    for m in catalog.models:
        print(
            f"{m.id:28} {m.type.value:9} {m.provider.name:11} {m.upstream_model:40} "
            f"in ${m.input_price_per_mtok}/M  out ${m.output_price_per_mtok}/M"
        )
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from switchboard.adapters.aws.accounts import DynamoAccountRepository
    from switchboard.adapters.aws.keys import DynamoKeyRepository
    from switchboard.bootstrap import Container
    from switchboard.domain.accounts import NewUser, Role, usd_to_micro
    from switchboard.errors import SwitchboardError
    from switchboard.services.accounts import AccountService

    services = Container()
    table = args.table or _stack_output(services.client("cloudformation"), args.stack, "TableName")
    dynamodb = services.client("dynamodb")
    accounts = AccountService(
        DynamoAccountRepository(dynamodb, table),
        DynamoKeyRepository(dynamodb, table),
        args.key_prefix,
    )
    first, _, last = args.name.partition(" ")
    try:
        user = accounts.create_user(
            NewUser(
                args.email, first, last, Role.ADMIN, "enterprise", usd_to_micro(args.credits_usd)
            )
        )
    except SwitchboardError as exc:
        print(f"cannot create the user: {exc.message}", file=sys.stderr)
        return 1
    key = accounts.issue_key(user, "created by switchboard create-admin")
    print(f"user {user.user_id} ({user.email}), admin, ${args.credits_usd} of credit")
    print(f"API key (shown once): {key.secret}")
    return 0


def _stack_output(cloudformation: Any, stack: str, name: str) -> str:
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    for output in stacks[0].get("Outputs", []):
        if output["OutputKey"] == name:
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack} has no {name} output")


if __name__ == "__main__":
    sys.exit(main())
