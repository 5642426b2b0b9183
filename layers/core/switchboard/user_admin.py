"""Operator commands that change users and read their usage (with operations.py's target
options: --stack, --table [--aws-endpoint], or the local `switchboard serve`):

switchboard users list [--limit N] [--after USER_ID]
switchboard users set USER_ID [--plan P] [--role user|admin] [--rpm N --tpm N | --clear-limits]
switchboard users disable USER_ID | users enable USER_ID
switchboard usage USER_ID --start YYYY-MM-DD --end YYYY-MM-DD [--group-by day|model|app]
switchboard usage USER_ID --entries [--limit N]

A change is validated as PATCH /admin/users/{id} validates it and goes through the same
service: the user's keys carry it from their next read (KEY_CACHE_SECONDS on each container,
the revocation bound), their sessions likewise.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from switchboard.api.requests import validate
from switchboard.api.schemas.accounts import UpdateUserRequest
from switchboard.api.schemas.usage import entry_view
from switchboard.domain.accounts import Role, User
from switchboard.domain.principals import ALL_SCOPES, Principal
from switchboard.errors import InvalidRequestError
from switchboard.targets import open_services


def register_user_actions(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], target: argparse.ArgumentParser
) -> None:
    listing = actions.add_parser("list", parents=[target], help="every user, a page at a time")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--after", help="the last user id of the previous page")
    listing.set_defaults(run=list_users)
    change = actions.add_parser("set", parents=[target], help="change plan, role or limits")
    change.add_argument("user_id")
    change.add_argument("--plan")
    change.add_argument("--role", choices=["user", "admin"])
    change.add_argument("--rpm", type=int, help="their own requests per minute (with --tpm)")
    change.add_argument("--tpm", type=int, help="their own tokens per minute (with --rpm)")
    change.add_argument("--clear-limits", action="store_true", help="back to the plan's")
    change.set_defaults(run=set_user)
    for name, state in (("disable", True), ("enable", False)):
        toggle = actions.add_parser(name, parents=[target], help=f"{name} a user")
        toggle.add_argument("user_id")
        toggle.set_defaults(run=set_user, disabled=state)


def register_usage(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], target: argparse.ArgumentParser
) -> None:
    usage = commands.add_parser("usage", parents=[target], help="a user's usage or ledger")
    usage.add_argument("user_id")
    usage.add_argument("--start", help="the first UTC day, YYYY-MM-DD")
    usage.add_argument("--end", help="the last UTC day, YYYY-MM-DD")
    usage.add_argument("--group-by", choices=["day", "model", "app"], default="day")
    usage.add_argument("--entries", action="store_true", help="the newest ledger entries")
    usage.add_argument("--limit", type=int, default=20)
    usage.set_defaults(run=show_usage)


def list_users(args: argparse.Namespace) -> int:
    users, cursor = open_services(args).accounts.users(after=args.after, limit=args.limit)
    for user in users:
        print(_user_line(user))
    if cursor:
        print(f"more: --after {cursor}")
    return 0


def set_user(args: argparse.Namespace) -> int:
    body = validate(UpdateUserRequest, _changes(args))
    profile, keys = open_services(args).accounts.change_user(args.user_id, body.changes())
    print(_user_line(profile.user))
    print(f"{len(keys)} key(s) updated; other containers follow within KEY_CACHE_SECONDS")
    return 0


def show_usage(args: argparse.Namespace) -> int:
    services = open_services(args)
    services.accounts.user(args.user_id)  # an unknown user is an error, not "no usage"
    principal = Principal(args.user_id, "operator", (ALL_SCOPES,), Role.ADMIN.value, "")
    if args.entries:
        page = services.usage.entries(principal, after=None, limit=args.limit)
        for entry in page.entries:
            print(json.dumps(entry_view(entry)))
        return 0
    totals = services.usage.totals(principal, args.start, args.end, args.group_by)
    print(json.dumps(totals, indent=2))
    return 0


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    disabled = getattr(args, "disabled", None)
    if disabled is not None:
        return {"disabled": disabled}
    if (args.rpm is None) != (args.tpm is None):
        raise InvalidRequestError("Give both --rpm and --tpm, or neither.")
    changes: dict[str, Any] = {"plan": args.plan, "role": args.role}
    if args.rpm is not None:
        changes["rate_limits"] = {"requests_per_minute": args.rpm, "tokens_per_minute": args.tpm}
    elif args.clear_limits:
        changes["rate_limits"] = None
    changes = {name: value for name, value in changes.items()
               if value is not None or name == "rate_limits"}  # fmt: skip
    if not changes:
        raise InvalidRequestError("Nothing to change: give --plan, --role, limits or both.")
    return changes


def _user_line(user: User) -> str:
    limits = f" {user.limits.requests_per_minute}/{user.limits.tokens_per_minute}" if (
        user.limits) else ""  # fmt: skip
    state = " DISABLED" if user.disabled else ""
    return f"{user.user_id}  {user.email}  {user.role.value}  {user.plan}{limits}{state}"
