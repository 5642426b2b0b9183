"""Prompt use cases: create and list prompts, add versions, move tags, read, compile, and
`resolve` (a chat completion's `prompt` field, for the chat routes to call).

Whose prompts a call reaches: without `app_id`, the caller's own; with one, that app's, if the
caller may reach the app (its owner or an admin, as for every app route: AppService.get_for).
Everything else, another user's prompts included, is 404 prompt_not_found, as for a slug that
does not exist. Every method is blocking (boto3): routes run them in a thread.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from switchboard.domain.apps import App
from switchboard.domain.catalog import Catalog
from switchboard.domain.clock import utcnow
from switchboard.domain.principals import Principal
from switchboard.domain.prompt_models import (
    ModelBlock,
    model_version,
    parse_model_block,
    refuse_unknown,
)
from switchboard.domain.prompts import (
    MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS,
    PRODUCTION,
    Compiled,
    Owner,
    Prompt,
    PromptVersion,
    Selector,
    check_label,
    check_slug,
    check_text,
    compile_version,
    parse_selector,
    parse_version_number,
    prompt_not_found,
    select,
    settable_tag,
)
from switchboard.domain.validation import invalid_value
from switchboard.errors import ConflictError, InvalidRequestError, SwitchboardError
from switchboard.ports import PromptRepository

VERSION_ATTEMPTS = 25  # writers racing for the next number: each loses at most once per winner
RESOLVE_KEYS = ("slug", "version", "tag", "variables")


@dataclass(frozen=True, slots=True)
class Served:
    """A version as GET /prompts/{slug} serves it: which tag chose it, and any warning."""

    version: PromptVersion
    tag: str | None
    warning: str | None


class Resolved(NamedTuple):
    """What a chat completion naming a prompt runs: its messages (system, then user), the
    version's model block (None: the request must name a model), and which version it was."""

    messages: list[dict[str, str]]
    model: dict[str, Any] | None
    slug: str
    version: int
    warning: str | None


class PromptService:
    def __init__(
        self,
        prompts: PromptRepository,
        catalog: Catalog,
        app_access: Callable[[Principal, str], App],
        *,
        now: Callable[[], datetime] = utcnow,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._prompts = prompts
        self._catalog = catalog
        self._app_access = app_access
        self._now = now
        self._pause = pause

    def create(self, principal: Principal, body: dict[str, Any], app_id: str | None) -> Prompt:
        owner = self.owner(principal, body.get("app_id", app_id))
        prompt = Prompt(
            owner=owner,
            slug=check_slug(body.get("slug")),
            name=check_label(body.get("name"), "name", MAX_NAME_CHARS),
            description=check_label(body.get("description"), "description", MAX_DESCRIPTION_CHARS),
            created_at=self._now(),
        )
        self._prompts.create(prompt)
        return prompt

    def ensure(self, user_id: str, slug: str, text: str, system_text: str | None = None) -> Prompt:
        """The user's prompt of that slug, made with a first version tagged production if
        absent (idempotent: for the events that `switchboard invoke` feeds to handlers)."""
        owner = Owner("user", user_id)
        with contextlib.suppress(ConflictError):
            self._prompts.create(Prompt(owner, check_slug(slug), "", "", self._now()))
        prompt = self._prompts.get(owner, slug)
        if prompt is None:  # pragma: no cover (just created or found)
            raise prompt_not_found(slug)
        if prompt.latest_version == 0:
            first = PromptVersion(slug, 1, text, system_text, None, self._now())
            with contextlib.suppress(ConflictError):
                self._prompts.add_version(prompt, first, PRODUCTION)
        return self._prompts.get(owner, slug) or prompt

    def list_prompts(
        self, principal: Principal, app_id: str | None, *, after: str | None, limit: int
    ) -> tuple[list[Prompt], bool]:
        """A page in slug order; `after` is the last slug of the page before."""
        owner = self.owner(principal, app_id)
        start = check_slug(after, "after") if after is not None else None
        return self._prompts.list_prompts(owner, after=start, limit=limit)

    def get(self, principal: Principal, slug: str, app_id: str | None) -> Prompt:
        owner = self.owner(principal, app_id)
        prompt = self._prompts.get(owner, slug) if _plausible(slug) else None
        if prompt is None:
            raise prompt_not_found(slug)
        return prompt

    def add_version(
        self, principal: Principal, slug: str, body: dict[str, Any], app_id: str | None
    ) -> tuple[PromptVersion, str | None]:
        """The new version (numbered after the latest, whoever else adds one meanwhile) and
        the tag pointed at it, if the body gave one."""
        prompt = self.get(principal, slug, app_id)
        text = check_text(body.get("text"), "text")
        system = check_text(body.get("systemText"), "systemText", optional=True)
        model = parse_model_block(body.get("model"), self._catalog)
        tag = settable_tag(body["tag"]) if body.get("tag") is not None else None
        for attempt in range(VERSION_ATTEMPTS):
            version = PromptVersion(
                slug, prompt.latest_version + 1, str(text), system, model, self._now()
            )
            try:
                self._prompts.add_version(prompt, version, tag)
                return version, tag
            except ConflictError:
                self._pause(random.uniform(0, 0.01 * (attempt + 1)))
                prompt = self.get(principal, slug, app_id)
        raise ConflictError(
            "Too many versions are being created at once; try again.", code="version_conflict"
        )

    def versions(
        self,
        principal: Principal,
        slug: str,
        app_id: str | None,
        *,
        after: str | None,
        limit: int,
    ) -> tuple[list[PromptVersion], bool]:
        prompt = self.get(principal, slug, app_id)
        start = parse_version_number(after, "after") if after is not None else None
        return self._prompts.list_versions(prompt.owner, slug, after=start, limit=limit)

    def move_tag(
        self, principal: Principal, slug: str, tag: str, body: dict[str, Any], app_id: str | None
    ) -> Prompt:
        """Point `tag` at the body's version; the prompt as it now is."""
        prompt = self.get(principal, slug, app_id)
        tag = settable_tag(tag)
        number = parse_version_number(body.get("version"))
        select(prompt, Selector(version=number))  # 404 for a version that is not there
        self._prompts.set_tag(prompt.owner, slug, tag, number)
        return self.get(principal, slug, app_id)

    def serve(
        self, principal: Principal, slug: str, selector: Selector, app_id: str | None
    ) -> Served:
        prompt = self.get(principal, slug, app_id)
        number, tag, warning = select(prompt, selector)
        version = self._prompts.get_version(prompt.owner, slug, number)
        if version is None:  # pragma: no cover (written with the number, in one transaction)
            raise prompt_not_found(slug)
        return Served(version, tag, warning)

    def compile(
        self, principal: Principal, slug: str, body: dict[str, Any], app_id: str | None
    ) -> tuple[Served, Compiled]:
        selector = parse_selector(body.get("version"), body.get("tag"))
        served = self.serve(principal, slug, selector, app_id)
        return served, compile_version(served.version, body.get("variables"))

    def resolve(self, principal: Principal, ref: object, app_id: str | None = None) -> Resolved:
        """A chat completion's `prompt: {slug, version? or tag?, variables}`: the messages to
        send and the version's model block; 400 and 404 as for POST /prompts/{slug}/compile,
        with `param` under `prompt`."""
        if not isinstance(ref, dict):
            raise invalid_value(
                "prompt must be an object {slug, version? or tag?, variables}.",
                "prompt",
            )
        refuse_unknown(ref, RESOLVE_KEYS, "prompt")
        slug = check_slug(ref.get("slug"), "prompt.slug")
        try:
            served, compiled = self.compile(principal, slug, ref, app_id)
        except SwitchboardError as exc:
            if exc.param is not None and exc.param != "app_id":
                exc.param = f"prompt.{exc.param}"
            raise
        warning = " ".join(w for w in (served.warning, compiled.warning) if w) or None
        model = served.version.model
        model_dict = model.to_dict() if model is not None else None
        return Resolved(compiled.messages, model_dict, slug, served.version.version, warning)

    def owner(self, principal: Principal, app_id: object) -> Owner:
        """The caller itself, or the app named, if the caller may reach it (else 404)."""
        if app_id is None:
            return Owner("user", principal.user_id)
        if not isinstance(app_id, str):
            raise InvalidRequestError("app_id must be an app id.", param="app_id")
        return Owner("app", self._app_access(principal, app_id).app_id)

    def model_version(self, model: ModelBlock) -> str | None:
        """The catalog model's own snapshot (its upstream name), or None."""
        return model_version(model, self._catalog)


def _plausible(slug: str) -> bool:
    try:
        check_slug(slug)
    except InvalidRequestError:
        return False
    return True
