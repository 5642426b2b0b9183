"""Operator commands: users, their credits and keys, and the ledger check.

switchboard users create --email E --first-name F --last-name L [--plan P] [--credits-usd X]
                         [--role user|admin] [--password-stdin] [--rpm N --tpm N]
switchboard users show USER_ID
switchboard users credits USER_ID --amount-usd X --reason R     (X < 0: an adjustment)
switchboard keys create USER_ID --name N [--scopes '*'|ai:gateway]
switchboard ledger check [--user USER_ID]                       exit 1 if a ledger is off
switchboard create-admin --email E [--name "F L"] [--credits-usd X] [--password-stdin]

Each runs against a deployed stack (--stack NAME), a table (--table NAME, with
--aws-endpoint URL for an emulator), or, given neither, the `switchboard serve` running in
this directory (it leaves .switchboard/local.json there). They go through the services the
admin endpoints use, with the same validation; a SwitchboardError is printed by cli.main.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from switchboard.domain.money import format_usd, parse_usd, token_balance
from switchboard.errors import InvalidRequestError, NotFoundError, SwitchboardError

if TYPE_CHECKING:
    from switchboard.bootstrap import Container
    from switchboard.domain.accounts import NewUser
    from switchboard.services.accounts import Profile


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the operator commands; each parser's `run` default is its handler."""
    target = _target_options()
    _register_users(
        commands.add_parser("users", help="create and inspect users, add credits"), target
    )
    keys = commands.add_parser("keys", help="issue API keys")
    key = keys.add_subparsers(dest="action", required=True).add_parser(
        "create", parents=[target], help="a key for a user, shown once"
    )
    key.add_argument("user_id")
    key.add_argument("--name", required=True)
    key.add_argument("--scopes", choices=["*", "ai:gateway"], default="*")
    key.set_defaults(run=create_key)
    ledger = commands.add_parser("ledger", help="audit balances")
    check = ledger.add_subparsers(dest="action", required=True).add_parser(
        "check", parents=[target], help="do the ledger entries sum to the balances?"
    )
    check.add_argument("--user", help="check only this user")
    check.set_defaults(run=check_ledger)
    admin = commands.add_parser("create-admin", parents=[target], help="an admin and its key")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Admin User", help="first and last name")
    _add_account_options(admin)
    admin.set_defaults(run=create_admin)


def _register_users(users: argparse.ArgumentParser, target: argparse.ArgumentParser) -> None:
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", parents=[target], help="create a user")
    for name in ("--email", "--first-name", "--last-name"):
        create.add_argument(name, required=True)
    create.add_argument("--plan", default="maker")
    create.add_argument("--role", choices=["user", "admin"], default="user")
    _add_account_options(create)
    create.add_argument("--rpm", type=int, help="the user's own requests per minute (with --tpm)")
    create.add_argument("--tpm", type=int, help="the user's own tokens per minute (with --rpm)")
    create.set_defaults(run=create_user)
    show = actions.add_parser("show", parents=[target], help="a user and their balance")
    show.add_argument("user_id")
    show.set_defaults(run=show_user)
    credits = actions.add_parser("credits", parents=[target], help="a top-up or adjustment")
    credits.add_argument("user_id")
    credits.add_argument("--amount-usd", required=True, help="negative for an adjustment")
    credits.add_argument("--reason", required=True)
    credits.set_defaults(run=add_credits)


def _target_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    where = options.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack: its TableName output is used")
    where.add_argument("--table", help="a DynamoDB table's name")
    options.add_argument("--aws-endpoint", help="with --table: emulated AWS at this URL")
    options.add_argument("--key-prefix", help="API key prefix (default: the stack's, or sb_)")
    return options


def _add_account_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--credits-usd", default="0", help="opening balance, e.g. 25.50")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read a console password from stdin"
    )


# --- handlers ----------------------------------------------------------------------------


def create_user(args: argparse.Namespace) -> int:
    from switchboard.services.accounts import Profile

    new = _new_user(args, args.role, args.plan, (args.first_name, args.last_name))
    user = open_services(args).accounts.create_user(new)
    _print_user(Profile(user, new.opening_balance_micro_usd))
    return 0


def create_admin(args: argparse.Namespace) -> int:
    """`users create --role admin --plan enterprise`, and a key for the new admin."""
    first, _, last = args.name.strip().partition(" ")
    new = _new_user(args, "admin", "enterprise", (first, last.strip()))
    accounts = open_services(args).accounts
    user = accounts.create_user(new)
    key = accounts.issue_key(user, "created by switchboard create-admin")
    credit = format_usd(new.opening_balance_micro_usd)
    print(f"user {user.user_id} ({user.email}), admin, ${credit} of credit")
    print(f"API key (shown once): {key.secret}")
    return 0


def show_user(args: argparse.Namespace) -> int:
    _print_user(open_services(args).accounts.profile(args.user_id))
    return 0


def add_credits(args: argparse.Namespace) -> int:
    amount = parse_usd(args.amount_usd, param="amount_usd", allow_negative=True)
    reason = args.reason.strip()
    if amount == 0 or not reason:
        raise InvalidRequestError("--amount-usd must not be zero and --reason not empty.")
    balance = open_services(args).accounts.add_credits(args.user_id, amount, reason)
    _print_fields(
        user_id=args.user_id, credits_usd=format_usd(balance), token_balance=token_balance(balance)
    )
    return 0


def create_key(args: argparse.Namespace) -> int:
    from switchboard.api.requests import validate
    from switchboard.api.routes.keys import ScopedKeyRequest

    body = validate(ScopedKeyRequest, {"name": args.name, "scopes": [args.scopes]})
    accounts = open_services(args).accounts
    issued = accounts.issue_key(accounts.user(args.user_id), body.name, scopes=tuple(body.scopes))
    key = issued.record
    _print_fields(id=key.key_id, user_id=key.user_id, name=key.name, scopes=" ".join(key.scopes))
    print(f"API key (shown once): {issued.secret}")
    return 0


def check_ledger(args: argparse.Namespace) -> int:
    from switchboard.services.audit import LedgerAudit

    services = open_services(args)
    audit = LedgerAudit(services.ledger_repo)
    if args.user:
        services.accounts.user(args.user)  # an unknown user is an error, not "balanced"
    findings = [audit.check_user(args.user)] if args.user else audit.check_all()
    checked = unbalanced = 0
    for finding in findings:
        checked += 1
        if not finding.balanced:
            unbalanced += 1
            print(
                f"{finding.user_id}: balance ${format_usd(finding.balance_micro_usd)} over "
                f"{finding.entry_count} entries, but {finding.ledger_entries} ledger entries "
                f"sum to ${format_usd(finding.ledger_sum_micro_usd)} "
                f"(difference ${format_usd(finding.difference_micro_usd)}, "
                f"{finding.count_difference:+d} entries)"
            )
    outcome = f"{unbalanced} unbalanced" if unbalanced else "all balanced"
    print(f"checked {checked} user{'' if checked == 1 else 's'}: {outcome}")
    return 1 if unbalanced else 0


# --- where the commands run --------------------------------------------------------------


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


# --- users -------------------------------------------------------------------------------


def _new_user(args: argparse.Namespace, role: str, plan: str, name: tuple[str, str]) -> NewUser:
    """The user to create, validated as POST /admin/users validates it (before any AWS call);
    the password, if any, read from stdin and hashed."""
    from dataclasses import replace

    from switchboard.api.requests import validate
    from switchboard.api.routes.admin import CreateUserRequest
    from switchboard.domain.accounts import NewUser, Role
    from switchboard.domain.limits import RateLimits
    from switchboard.services.passwords import hash_password

    rpm, tpm = getattr(args, "rpm", None), getattr(args, "tpm", None)
    if (rpm is None) != (tpm is None):
        raise InvalidRequestError("Give both --rpm and --tpm, or neither.")
    limits = None if rpm is None else {"requests_per_minute": rpm, "tokens_per_minute": tpm}
    body = validate(
        CreateUserRequest,
        {
            "email": args.email,
            "first_name": name[0],
            "last_name": name[1],
            "plan": plan,
            "credits_usd": args.credits_usd,
            "role": role,
            "password": _read_password() if args.password_stdin else None,
            "rate_limits": limits,
        },
    )
    own = body.rate_limits
    new = NewUser(
        body.email, body.first_name, body.last_name, Role(body.role), body.plan,
        parse_usd(body.credits_usd, param="credits_usd"),
        limits=RateLimits(own.requests_per_minute, own.tokens_per_minute) if own else None,
    )  # fmt: skip
    if body.password is None:
        return new
    return replace(new, password_hash=hash_password(body.password))


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidRequestError("--password-stdin: no password on standard input.")
    return password


def _print_user(profile: Profile) -> None:
    user = profile.user
    _print_fields(
        id=user.user_id,
        email=user.email,
        name=f"{user.first_name} {user.last_name}",
        role=user.role.value,
        plan=user.plan,
        credits_usd=format_usd(profile.balance_micro_usd),
        token_balance=token_balance(profile.balance_micro_usd),
        created_at=user.created_at.isoformat(timespec="seconds"),
    )


def _print_fields(**fields: Any) -> None:
    width = max(len(name) for name in fields) + 2
    for name, value in fields.items():
        print(f"{name:{width}}{value}")
