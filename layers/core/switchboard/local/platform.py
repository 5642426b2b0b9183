"""The embedded platform: emulated AWS, the template's resources, every function's routes in
one ASGI app, the template's queue consumers and schedules, and a development account.

    platform = Platform.start(Path("template.yaml"))
    uvicorn.run(platform.app, ...)
    platform.stop()

Configuration reaches the code as in AWS: one Settings object, made here from the
environment the template gives its functions (a variable already set when the platform
starts wins, as with `sam local --env-vars`; `overrides` win over both). The libraries'
own variables among them (Powertools') are left in the process environment, where Lambda
puts them; boto3 finds the emulator through the variables local/emulator.py sets.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from switchboard.api.access_log import service_logger
from switchboard.api.app import create_app
from switchboard.bootstrap import reset_container
from switchboard.domain.account_changes import NewUser
from switchboard.domain.accounts import Role
from switchboard.domain.limits import RateLimits
from switchboard.domain.money import usd_to_micro
from switchboard.errors import ConflictError
from switchboard.local.emulator import LOCAL_REGION, Emulator
from switchboard.local.functions import load_module
from switchboard.local.resources import create_resources, function_environment
from switchboard.local.template import Template
from switchboard.local.workers import Workers
from switchboard.services.accounts import AccountService
from switchboard.settings import Settings

DEV_USER_ID = "usr_dev"
DEV_EMAIL = "dev@switchboard.local"
DEV_BALANCE_USD = 1_000
DEV_KEY_ENV = "SWITCHBOARD_DEV_API_KEY"
DEV_PASSWORD_ENV = "SWITCHBOARD_DEV_PASSWORD"  # the console's login; else a new one each start
DEV_LIMITS = RateLimits(requests_per_minute=100_000, tokens_per_minute=100_000_000)
LIBRARY_PREFIXES = ("POWERTOOLS_", "PYDANTIC_")
# Values of the template's environment that differ here (a variable set in the shell still
# wins): a batch's state machine looks at its lines every second, not every minute, and a
# video job's first asks its provider after a second, and vector stores embed with the e5
# model that runs offline.
LOCAL_DEFAULTS = {
    "BATCH_POLL_SECONDS": "1",
    "VIDEO_POLL_SECONDS": "1",
    "VECTOR_STORE_EMBEDDING_MODEL": "local-e5-small",
}


@dataclass
class Platform:
    app: Starlette
    emulator: Emulator
    workers: Workers
    dev_key: str
    dev_password: str = ""
    routes: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, function)

    @classmethod
    def start(
        cls,
        template_path: Path,
        *,
        endpoint: str | None = None,
        run_workers: bool = True,
        overrides: dict[str, str] | None = None,
        dev_key: str | None = None,
    ) -> Platform:
        """Start (or attach to, given `endpoint`) emulated AWS and wire the template to it.
        `overrides` replace environment values the template sets (tests shorten timeouts)."""
        emulator = Emulator.attach(endpoint) if endpoint else Emulator.start()
        emulator.configure_environment()
        region = os.environ["AWS_DEFAULT_REGION"] or LOCAL_REGION
        template = Template.load(template_path)
        resolver = create_resources(template, region, {"Stage": "local"})
        # Plain http on loopback: a Secure cookie would never be sent back.
        local = {"SESSION_COOKIE_SECURE": "false"} | (overrides or {})
        environment = function_environment(template, resolver) | LOCAL_DEFAULTS
        settings = platform_settings(environment, local)
        services = reset_container(settings)
        routes, table = mount_routes(template)
        password = os.environ.get(DEV_PASSWORD_ENV) or secrets.token_urlsafe(12)
        dev_key = register_dev_key(
            services.accounts, dev_key or os.environ.get(DEV_KEY_ENV), password
        )
        workers = Workers(template.functions(), resolver, region)
        if run_workers:
            workers.start()
        return cls(create_app(routes), emulator, workers, dev_key, password, table)

    def stop(self) -> None:
        self.workers.stop()
        self.emulator.stop()


def platform_settings(template_env: dict[str, str], overrides: dict[str, str]) -> Settings:
    """The settings of the one process all functions share: the template's function
    environment, a variable already set in the process winning (`MODEL_CATALOG=... make
    serve`), `overrides` winning over both. Variables that are not settings but library
    configuration (POWERTOOLS_*, PYDANTIC_*) go to the environment, unless already there."""
    values = dict(template_env)
    values |= {key: os.environ[key] for key in template_env if os.environ.get(key)}
    values |= overrides
    for key, value in values.items():
        if key.startswith(LIBRARY_PREFIXES):
            os.environ.setdefault(key, value)
    return Settings.from_env(values)


def mount_routes(template: Template) -> tuple[list[BaseRoute], list[tuple[str, str, str]]]:
    """Each function's routes, as its Api events declare them; a mismatch is an error here."""
    mounted: list[BaseRoute] = []
    table = []
    for spec in template.functions():
        if not spec.routes:
            continue
        module = load_module(spec)
        for api_route in spec.routes:
            if api_route.method == "OPTIONS":
                continue  # CORS preflights: every app's CorsMiddleware answers them
            route = _find_route(module.routes, api_route.path, api_route.method)
            if route is None:
                raise LookupError(
                    f"{spec.logical_id}: template declares {api_route.method} {api_route.path}, "
                    f"but {spec.code_uri}/app.py has no such route"
                )
            mounted.append(
                FunctionRoute(api_route.path, route.endpoint, [api_route.method], spec.logical_id)
            )
            table.append((api_route.method, api_route.path, spec.logical_id))
    # API Gateway prefers literal path segments to {parameters}, whatever the order:
    # /v1/models/{model_id} wins over /v1/{app_id}/embeddings for /v1/models/embeddings.
    order = sorted(range(len(mounted)), key=lambda i: _precedence(table[i][1]))
    return [mounted[i] for i in order], [table[i] for i in order]


class FunctionRoute(Route):
    """A route of one function. In AWS each function logs from its own process; here all of
    them share one process and one logger, so while this route serves a request its log
    lines name its function through a Powertools context key (per request, unlike the keys
    `inject_lambda_context` appends for every thread; the access log takes it off again)."""

    def __init__(self, path: str, endpoint: Any, methods: list[str], function_name: str) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.function_name = function_name

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        service_logger().thread_safe_append_keys(function_name=self.function_name)
        await super().handle(scope, receive, send)


def _precedence(path: str) -> list[int]:
    return [1 if part.startswith("{") else 0 for part in path.strip("/").split("/")]


def _find_route(routes: list[Any], path: str, method: str) -> Route | None:
    for route in routes:
        if isinstance(route, Route) and route.path == path and method in (route.methods or ()):
            return route
    return None


def register_dev_key(accounts: AccountService, chosen: str | None, password: str) -> str:
    """The development admin (enterprise plan, generous balance, `password` for the console
    when this platform creates it) and a key for it: `chosen` (SWITCHBOARD_DEV_API_KEY) or a
    new one."""
    from switchboard.services.passwords import hash_password  # argon2: only when starting

    admin = NewUser(
        DEV_EMAIL,
        "Dev",
        "Admin",
        Role.ADMIN,
        "enterprise",
        usd_to_micro(DEV_BALANCE_USD),
        limits=DEV_LIMITS,
        password_hash=hash_password(password),
    )
    user = accounts.ensure_user(DEV_USER_ID, admin)
    try:
        return accounts.issue_key(user, "development key", secret=chosen).secret
    except ConflictError:
        if chosen is None:
            raise
        return chosen  # already registered by another platform on the same emulator
