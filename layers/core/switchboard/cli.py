"""The `switchboard` command: run the local platform, invoke handlers, inspect the wiring.

switchboard serve [--host H] [--port P]      the whole platform on one machine
switchboard invoke FUNCTION --event FILE     a function's real handler with an event
switchboard routes                           which function serves which route
switchboard models [--check FILE]            the model catalog (or check a catalog file)
switchboard kits [--check FILE]              the kits and skills (or check a kit catalog file)
switchboard users | keys | ledger | create-admin ...
                                             operator commands (see operations.py)
switchboard batch submit|show|list|cancel    batches through the HTTP API (batch_client/)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_TEMPLATE = Path("template.yaml")
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"  # what `make serve` runs
EVENTS_API_KEY = "sb_events_example_key_0123456789abcdefghijklmnop"
EVENTS_APP_ID = "app_0123456789abcdef01234567"  # the app events/apps/ name
EVENTS_REQUEST_ID = "aireq_0123456789abcdef01234567"  # the queued request events/queue*/ name
EVENTS_PROMPT_SLUG = "events-greeting"  # the prompt events/prompts/ name


def main(argv: list[str] | None = None) -> int:
    from switchboard.errors import ServiceUnavailableError, SwitchboardError

    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except SwitchboardError as exc:
        cause = exc.__cause__  # what the data store said, for the operator (not for clients)
        detail = f" ({cause})" if isinstance(exc, ServiceUnavailableError) and cause else ""
        print(f"error: {exc.message}{detail}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    from switchboard import operations

    parser = argparse.ArgumentParser(
        prog="switchboard",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=operations.__doc__,
    )
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
    serve.add_argument("--template", type=Path, default=argparse.SUPPRESS)
    serve.set_defaults(run=_serve)
    invoke = commands.add_parser("invoke", help="run a function's handler with an event")
    invoke.add_argument("function", help="logical id (InferenceFunction) or folder (inference)")
    invoke.add_argument("--event", type=Path, required=True)
    invoke.set_defaults(run=_invoke)
    commands.add_parser("routes", help="list the routes the template declares").set_defaults(
        run=_routes
    )
    models = commands.add_parser("models", help="list the model catalog")
    models.add_argument("--check", type=Path, default=None, help="validate this catalog file")
    models.set_defaults(run=_models)
    kits = commands.add_parser("kits", help="list the kits and skills")
    kits.add_argument("--check", type=Path, default=None, help="validate this kit catalog")
    kits.set_defaults(run=_kits)
    operations.register(commands)
    _register_batch(commands.add_parser("batch", help="submit, follow and manage batches"))
    _register_prompts(commands.add_parser("prompts", help="list, read and compile prompts"))
    return parser


def _register_prompts(prompts: argparse.ArgumentParser) -> None:
    """`switchboard prompts ...`: clients of the HTTP API (switchboard/prompt_commands.py)."""
    from switchboard import prompt_commands

    prompt_commands.register(prompts, _api_options())


def _register_batch(batch: argparse.ArgumentParser) -> None:
    """`switchboard batch ...`: clients of the HTTP API (switchboard/batch_client/)."""
    api = _api_options()
    follow = argparse.ArgumentParser(add_help=False)
    follow.add_argument("--out-dir", type=Path, help="where the output and error files go")
    follow.add_argument(
        "--poll-seconds", type=_positive(float), default=1.0, help="between looks at the batch"
    )
    actions = batch.add_subparsers(dest="action", required=True)
    submit = actions.add_parser(
        "submit", parents=[api, follow], help="upload a JSONL file and start its batch"
    )
    submit.add_argument("file", type=Path)
    submit.add_argument("--endpoint", default="/v1/chat/completions")
    submit.add_argument("--metadata", action="append", type=_key_value, metavar="KEY=VALUE")
    submit.add_argument("--wait", action="store_true", help="follow it, then download results")
    submit.add_argument(
        "--via-upload", action="store_true", help="through storage, as files over 6 MB go"
    )
    show = actions.add_parser("show", parents=[api, follow], help="a batch, or follow it")
    show.add_argument("batch_id")
    show.add_argument("--wait", action="store_true", help="follow it, then download results")
    show.add_argument("--json", action="store_true", help="the batch object as the API gives it")
    listing = actions.add_parser("list", parents=[api], help="your batches, newest first")
    listing.add_argument("--limit", type=_positive(int), default=20)
    listing.add_argument("--after", metavar="BATCH_ID", help="the page after this batch")
    cancel = actions.add_parser("cancel", parents=[api], help="cancel a running batch")
    cancel.add_argument("batch_id")
    for parser, handler in ((submit, "submit"), (show, "show"), (listing, "list_batches"),
                            (cancel, "cancel")):  # fmt: skip
        parser.set_defaults(run=_batch_command(handler))


def _api_options() -> argparse.ArgumentParser:
    """--base-url and --api-key, for the commands that are clients of the HTTP API."""
    api = argparse.ArgumentParser(add_help=False)
    api.add_argument(
        "--base-url",
        default=os.environ.get("SWITCHBOARD_BASE_URL", DEFAULT_BASE_URL),
        help=f"the API (SWITCHBOARD_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    api.add_argument(
        "--api-key", default=os.environ.get("SWITCHBOARD_API_KEY"), help="(SWITCHBOARD_API_KEY)"
    )
    return api


def _batch_command(handler: str) -> Any:
    """Runs batch_client.commands.<handler>, imported (with httpx) only when it runs."""

    def run(args: argparse.Namespace) -> int:
        from switchboard.batch_client import commands

        result: int = getattr(commands, handler)(args)
        return result

    return run


def _key_value(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not key or not equals:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
        return number

    parse.__name__ = kind.__name__
    return parse


def _serve(args: argparse.Namespace) -> int:
    from switchboard.local.server import serve

    return serve(
        args.template,
        host=args.host,
        port=args.port,
        endpoint=args.aws_endpoint,
        state_dir=Path.cwd(),  # operator commands run here find this platform
    )


def _invoke(args: argparse.Namespace) -> int:
    from switchboard.bootstrap import container
    from switchboard.local.functions import LocalContext, load_handler
    from switchboard.local.platform import DEV_KEY_ENV, DEV_USER_ID, Platform
    from switchboard.local.template import Template

    spec = _find_function(Template.load(args.template), args.function)
    event = _read_event(args.event)
    dev_key = os.environ.get(DEV_KEY_ENV) or EVENTS_API_KEY  # the key the events carry
    # As `sam local invoke`: the function's log lines on stderr, its result alone on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        platform = Platform.start(args.template, run_workers=False, dev_key=dev_key)
        try:
            container().apps.ensure(EVENTS_APP_ID, DEV_USER_ID, "Events app")
            ensure_example_request(DEV_USER_ID)
            ensure_example_prompt(DEV_USER_ID)
            result = load_handler(spec)(event, LocalContext(spec, f"local:{spec.logical_id}"))
        finally:
            platform.stop()
    print(json.dumps(result, indent=2))
    return 0


def ensure_example_request(user_id: str) -> None:
    """The queued request the events name (holding no credits: a worker leaves it queued)."""
    from datetime import timedelta

    from switchboard.bootstrap import container
    from switchboard.domain.clock import utcnow
    from switchboard.domain.queue import QueuedInput, QueuedRequest

    requests = container().queued_request_repo
    if requests.get(EVENTS_REQUEST_ID) is None:
        example = QueuedRequest(
            EVENTS_REQUEST_ID, user_id, "local-chat", QueuedInput("An example."), utcnow()
        )
        requests.create(example, None, int((utcnow() + timedelta(days=2)).timestamp()))


def ensure_example_prompt(user_id: str) -> None:
    """The prompt the events name, with a first version tagged production."""
    from switchboard.bootstrap import container

    text = "Say hello to {{name}}."
    container().prompts.ensure(user_id, EVENTS_PROMPT_SLUG, text, "You are a friendly greeter.")


def _read_event(path: Path) -> Any:
    from switchboard.errors import InvalidRequestError, NotFoundError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFoundError(f"Cannot read the event file {path}: {exc.strerror or exc}.") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidRequestError(f"The event file {path} is not JSON: {exc}.") from exc


def _find_function(template: Any, name: str) -> Any:
    from switchboard.errors import NotFoundError

    for spec in template.functions():
        if name in (spec.logical_id, spec.code_uri.name):
            return spec
    known = ", ".join(f"{s.logical_id} ({s.code_uri.name})" for s in template.functions())
    raise NotFoundError(f"No function {name!r} in the template; known: {known}.")


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


def _kits(args: argparse.Namespace) -> int:
    """The kit catalog (KIT_CATALOG, or --check FILE), checked against the model catalog."""
    from switchboard.domain.catalog import CatalogError, load_catalog
    from switchboard.domain.kits import check_models, load_kit_catalog

    try:
        models = load_catalog(os.environ.get("MODEL_CATALOG") or None)
        kits = check_models(load_kit_catalog(args.check or os.environ.get("KIT_CATALOG")), models)
    except CatalogError as exc:
        print(f"invalid catalog: {exc}", file=sys.stderr)
        return 1
    for kit in kits.kits:
        price = f"${kit.price_per_1k_tokens}/1K"
        print(f"kit   {kit.id:16} {kit.model:16} {kit.max_tokens:>6} tokens  {price}")
    for skill in kits.skills:
        tools = f"  tools: {', '.join(skill.tools)}" if skill.tools else ""
        print(f"skill {skill.id:16} {skill.name}{tools}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
