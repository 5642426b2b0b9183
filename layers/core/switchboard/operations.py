"""Operator commands: users, their credits and keys, and the ledger check.

switchboard users create --email E --first-name F --last-name L [--plan P] [--credits-usd X]
                         [--role user|admin] [--password-stdin] [--rpm N --tpm N]
switchboard users show USER_ID
switchboard users list | set | disable | enable ...             (user_admin.py)
switchboard usage USER_ID --start D --end D [--group-by G] | --entries   (user_admin.py)
switchboard users credits USER_ID --amount-usd X --reason R     (X < 0: an adjustment)
switchboard keys create USER_ID --name N [--scopes '*'|ai:gateway]
switchboard ledger check [--user USER_ID]                       exit 1 if a ledger is off
switchboard create-admin --email E [--name "F L"] [--credits-usd X] [--password-stdin]

Each runs against a deployed stack (--stack NAME), a table (--table NAME, with
--aws-endpoint URL for an emulator), or, given neither, the `switchboard serve` running in
this directory (targets.py). They validate with the admin endpoints' request models
(api/schemas/) and go through the same services; a SwitchboardError is printed by cli.main.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from switchboard.api.requests import validate
from switchboard.api.schemas.accounts import CreateUserRequest, CreditsRequest
from switchboard.api.schemas.keys import ScopedKeyRequest
from switchboard.domain.accounts import Role
from switchboard.domain.money import format_usd, token_balance
from switchboard.errors import InvalidRequestError
from switchboard.targets import open_services
from switchboard.user_admin import register_usage, register_user_actions

if TYPE_CHECKING:
    from switchboard.services.accounts import AccountService, Profile


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
    register_usage(commands, target)


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
    register_user_actions(actions, target)


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
    body = _user_body(args, args.role, args.plan, (args.first_name, args.last_name))
    _print_user(_register(open_services(args).accounts, body))
    return 0


def create_admin(args: argparse.Namespace) -> int:
    """`users create --role admin --plan enterprise`, and a key for the new admin."""
    first, _, last = args.name.strip().partition(" ")
    body = _user_body(args, "admin", "enterprise", (first, last.strip()))
    accounts = open_services(args).accounts
    profile = _register(accounts, body)
    user = profile.user
    key = accounts.issue_key(user, "created by switchboard create-admin")
    credit = format_usd(profile.balance_micro_usd)
    print(f"user {user.user_id} ({user.email}), admin, ${credit} of credit")
    print(f"API key (shown once): {key.secret}")
    return 0


def show_user(args: argparse.Namespace) -> int:
    _print_user(open_services(args).accounts.profile(args.user_id))
    return 0


def add_credits(args: argparse.Namespace) -> int:
    body = validate(CreditsRequest, {"amount_usd": args.amount_usd, "reason": args.reason})
    accounts = open_services(args).accounts
    balance = accounts.credit_usd(args.user_id, body.amount_usd, body.reason)
    _print_fields(
        user_id=args.user_id, credits_usd=format_usd(balance), token_balance=token_balance(balance)
    )
    return 0


def create_key(args: argparse.Namespace) -> int:
    body = validate(ScopedKeyRequest, {"name": args.name, "scopes": [args.scopes]})
    accounts = open_services(args).accounts
    issued = accounts.issue_key_for(args.user_id, body.name, tuple(body.scopes))
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


# --- users -------------------------------------------------------------------------------


def _user_body(
    args: argparse.Namespace, role: str, plan: str, name: tuple[str, str]
) -> CreateUserRequest:
    """The user to create, validated as POST /admin/users validates it (before any AWS
    call); the password, if any, read from stdin."""
    rpm, tpm = getattr(args, "rpm", None), getattr(args, "tpm", None)
    if (rpm is None) != (tpm is None):
        raise InvalidRequestError("Give both --rpm and --tpm, or neither.")
    limits = None if rpm is None else {"requests_per_minute": rpm, "tokens_per_minute": tpm}
    return validate(
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


def _register(accounts: AccountService, body: CreateUserRequest) -> Profile:
    limits = body.rate_limits.limits() if body.rate_limits else None
    return accounts.register(
        body.email, body.first_name, body.last_name, credits_usd=body.credits_usd,
        plan=body.plan, role=Role(body.role), password=body.password, limits=limits,
    )  # fmt: skip


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
