"""`switchboard prompts ...`: the prompts routes over HTTP, for a terminal or a script.

    switchboard prompts list [--app-id A] [--limit N] [--after SLUG]
    switchboard prompts get SLUG [--version N | --tag T] [--app-id A]
    switchboard prompts versions SLUG [--limit N] [--after N] [--app-id A]
    switchboard prompts describe SLUG [--app-id A]
    switchboard prompts compile SLUG [--version N | --tag T] [--var NAME=VALUE ...] [--app-id A]

The API's answer is printed as JSON on stdout; an error (the API's message, or why it could
not be asked) goes to stderr with exit status 1. The base URL is the one the batch commands
take (…/v1): the prompts routes are beside /v1, at its root.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(prompts: argparse.ArgumentParser, api: argparse.ArgumentParser) -> None:
    """The actions of `switchboard prompts`; `api` holds --base-url and --api-key."""
    scoped = argparse.ArgumentParser(add_help=False, parents=[api])
    scoped.add_argument("--app-id", help="an app's prompts instead of your own")
    chosen = argparse.ArgumentParser(add_help=False)
    choice = chosen.add_mutually_exclusive_group()
    choice.add_argument("--version", type=int, help="this version")
    choice.add_argument("--tag", help="the version this tag points at")
    actions = prompts.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", parents=[scoped], help="your prompts, by slug")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--after", metavar="SLUG", help="the page after this slug")
    get = actions.add_parser("get", parents=[scoped, chosen], help="a prompt's version")
    versions = actions.add_parser("versions", parents=[scoped], help="versions, newest first")
    versions.add_argument("--limit", type=int, default=20)
    versions.add_argument("--after", metavar="N", help="the page below this version")
    describe = actions.add_parser("describe", parents=[scoped], help="versions and tags")
    compile_ = actions.add_parser("compile", parents=[scoped, chosen], help="fill a version")
    compile_.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    for parser in (get, versions, describe, compile_):
        parser.add_argument("slug")
    prompts.set_defaults(run=run)


def request_for(args: argparse.Namespace) -> tuple[str, str, dict[str, Any], Any]:
    """(method, path, query, JSON body or None) for the parsed action."""
    query: dict[str, Any] = {"app_id": args.app_id} if args.app_id else {}
    if args.action == "list":
        return "GET", "prompts", query | _page(args), None
    path = f"prompts/{args.slug}"
    if args.action == "versions":
        return "GET", f"{path}/versions", query | _page(args), None
    if args.action == "describe":
        return "GET", f"{path}/describe", query, None
    selector = {k: v for k, v in (("version", args.version), ("tag", args.tag)) if v is not None}
    if args.action == "get":
        return "GET", path, query | selector, None
    variables = dict(_variable(text) for text in args.var)
    return "POST", f"{path}/compile", query, selector | {"variables": variables}


def run(args: argparse.Namespace, transport: Any = None) -> int:
    import httpx

    if not args.api_key:
        print("error: no API key: pass --api-key or set SWITCHBOARD_API_KEY", file=sys.stderr)
        return 1
    root = args.base_url.rstrip("/").removesuffix("/v1") + "/"
    method, path, query, body = request_for(args)
    headers = {"Authorization": f"Bearer {args.api_key}"}
    with httpx.Client(base_url=root, headers=headers, timeout=30, transport=transport) as http:
        try:
            response = http.request(method, path, params=query, json=body)
        except httpx.HTTPError as exc:
            print(f"error: cannot reach {root}: {exc}", file=sys.stderr)
            return 1
    if response.is_error:
        print(f"error: {_message(response)}", file=sys.stderr)
        return 1
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0


def _page(args: argparse.Namespace) -> dict[str, Any]:
    return {"limit": args.limit} | ({"after": args.after} if args.after else {})


def _variable(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not name or not equals:
        raise SystemExit(f"error: --var takes NAME=VALUE, not {text!r}")
    return name, value


def _message(response: Any) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"
