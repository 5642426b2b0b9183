"""Prompts: a slug, immutable numbered versions and movable tags, owned by a user or an app.

    slug        lowercase letters, digits and hyphens, 1 to 64 characters; unique per owner
    version     1, 2, 3 ... in creation order; a version never changes once made
    tag         a name (as a slug) pointing at one version; `production` and `staging` are
                ordinary tags; `latest` always means the newest version and cannot be set
    selection   ?version=N or ?tag=T (not both); neither: `production`, or else the latest
                version with a warning saying so

A version holds `text` (the user message's template), an optional `systemText` (the system
message's) and an optional model block `{provider?, model, parameters?}`: the model must be a
chat model of the catalog, and the parameters are those a chat completion takes, checked by
the same rules (domain/requests.py). Templates: domain/prompt_templates.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchboard.domain.catalog import Catalog, ModelEntry, ModelType
from switchboard.domain.prompt_templates import Template, parse_template, value_text
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.validation import validate
from switchboard.errors import InvalidRequestError, NotFoundError

LATEST = "latest"
PRODUCTION = "production"
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
PARAMETERS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
)
_SLUG = re.compile(r"^[a-z0-9-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose a prompt is: a user (`kind` "user") or an app ("app")."""

    kind: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_key(cls, key: str) -> Owner:
        kind, _, owner_id = key.partition(":")
        return cls(kind, owner_id)


@dataclass(frozen=True, slots=True)
class ModelBlock:
    provider: str
    model: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prompt:
    owner: Owner
    slug: str
    name: str
    description: str
    created_at: datetime
    latest_version: int = 0  # 0: no version yet
    tags: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PromptVersion:
    slug: str
    version: int
    text: str
    system_text: str | None
    model: ModelBlock | None
    created_at: datetime

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self._system().variables + self._user().variables))

    def messages(self, values: dict[str, str]) -> list[dict[str, str]]:
        """The filled messages: system (if any), then user."""
        user = {"role": "user", "content": self._user().render(values)}
        if self.system_text is None:
            return [user]
        return [{"role": "system", "content": self._system().render(values)}, user]

    def _user(self) -> Template:
        return parse_template(self.text, "text")

    def _system(self) -> Template:
        return parse_template(self.system_text or "", "systemText")


@dataclass(frozen=True, slots=True)
class Selector:
    """Which version: a number, a tag, or neither (the default: production, else latest)."""

    version: int | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Compiled:
    messages: list[dict[str, str]]
    unused: tuple[str, ...]

    @property
    def warning(self) -> str | None:
        if not self.unused:
            return None
        return "Unused variables: " + ", ".join(self.unused) + "."


def check_slug(raw: object, param: str = "slug") -> str:
    if not isinstance(raw, str) or not _SLUG.match(raw):
        raise InvalidRequestError(
            f"{param} must be 1 to 64 lowercase letters, digits or hyphens.",
            param=param,
            code="invalid_slug",
        )
    return raw


def check_tag(raw: object, param: str = "tag") -> str:
    """A tag name: the rules of a slug."""
    return check_slug(raw, param)


def settable_tag(raw: object, param: str = "tag") -> str:
    """A tag that may be pointed at a version: any but `latest`."""
    tag = check_tag(raw, param)
    if tag == LATEST:
        raise InvalidRequestError(
            "The tag 'latest' always means the newest version and cannot be moved.",
            param=param,
            code="tag_not_movable",
        )
    return tag


def check_text(raw: object, param: str, *, optional: bool = False) -> str | None:
    if raw is None and optional:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid(f"{param} must be a non-empty string.", param)
    parse_template(raw, param)
    return raw


def check_label(raw: object, param: str, limit: int) -> str:
    """An optional name or description: a string of at most `limit` characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit:
        raise _invalid(f"{param} must be a string of at most {limit} characters.", param)
    return raw.strip()


def parse_version_number(raw: object, param: str = "version") -> int:
    """A version number from JSON (an integer) or a query string (digits)."""
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise _invalid(f"{param} must be a version number (1, 2, ...).", param)
    return raw


def parse_selector(version: object, tag: object) -> Selector:
    if version is not None and tag is not None:
        raise _invalid("Give version or tag, not both.", "version")
    if version is not None:
        return Selector(version=parse_version_number(version))
    if tag is not None:
        return Selector(tag=check_tag(tag))
    return Selector()


def select(prompt: Prompt, selector: Selector) -> tuple[int, str | None, str | None]:
    """(version number, tag used, warning) for a selector; 404 for what is not there."""
    if prompt.latest_version == 0:
        raise NotFoundError(
            f"The prompt '{prompt.slug}' has no version yet.",
            param="slug",
            code="version_not_found",
        )
    if selector.version is not None:
        if selector.version > prompt.latest_version:
            raise NotFoundError(
                f"The prompt '{prompt.slug}' has no version {selector.version}.",
                param="version",
                code="version_not_found",
            )
        return selector.version, None, None
    if selector.tag is not None:
        return _tagged(prompt, selector.tag), selector.tag, None
    if PRODUCTION in prompt.tags:
        return prompt.tags[PRODUCTION], PRODUCTION, None
    warning = (
        f"The prompt '{prompt.slug}' has no '{PRODUCTION}' tag: "
        f"serving the latest version ({prompt.latest_version})."
    )
    return prompt.latest_version, LATEST, warning


def tags_of(prompt: Prompt) -> dict[str, int]:
    """Every tag and its version, `latest` included (once there is a version)."""
    latest = {LATEST: prompt.latest_version} if prompt.latest_version else {}
    return latest | dict(sorted(prompt.tags.items()))


def compile_version(version: PromptVersion, variables: object) -> Compiled:
    """The filled messages; a missing variable is a 400 naming it, unused ones are reported."""
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise _invalid("variables must be an object of names to values.", "variables")
    used = version.variables
    for name in used:
        if name not in variables:
            raise InvalidRequestError(
                f"Missing variable '{name}' for prompt '{version.slug}' version {version.version}.",
                param=f"variables.{name}",
                code="missing_variable",
            )
    values = {name: value_text(variables[name], name) for name in used}
    unused = tuple(sorted(name for name in variables if name not in used))
    return Compiled(version.messages(values), unused)


def parse_model_block(raw: object, catalog: Catalog) -> ModelBlock | None:
    """`{provider?, model, parameters?}`: a catalog chat model and chat's own parameters."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _invalid("model must be an object {provider?, model, parameters?}.", "model")
    _no_unknown(raw, ("provider", "model", "parameters"), "model")
    entry = _chat_model(raw.get("model"), catalog)
    provider = raw.get("provider")
    if provider is not None and provider != entry.provider.name:
        raise _invalid(
            f"The model '{entry.id}' is served by '{entry.provider.name}', not '{provider}'.",
            "model.provider",
        )
    return ModelBlock(entry.provider.name, entry.id, _parameters(raw.get("parameters"), entry))


def model_version(block: ModelBlock, catalog: Catalog) -> str | None:
    """The model's own snapshot: its upstream name when the catalog's id differs from it."""
    entry = catalog.find(block.model)
    if entry is None or entry.upstream_model == entry.id:
        return None
    return entry.upstream_model


def prompt_not_found(slug: str) -> NotFoundError:
    return NotFoundError(f"No prompt with slug '{slug}'.", param="slug", code="prompt_not_found")


def _tagged(prompt: Prompt, tag: str) -> int:
    if tag == LATEST:
        return prompt.latest_version
    if tag not in prompt.tags:
        raise NotFoundError(
            f"The prompt '{prompt.slug}' has no tag '{tag}'.", param="tag", code="tag_not_found"
        )
    return prompt.tags[tag]


def _chat_model(raw: object, catalog: Catalog) -> ModelEntry:
    if not isinstance(raw, str) or not raw:
        raise _invalid("model.model must be a model id.", "model.model")
    entry = catalog.find(raw)
    if entry is None or entry.type is not ModelType.CHAT:
        raise InvalidRequestError(
            f"The model '{raw}' is not a chat model of the catalog.",
            param="model.model",
            code="model_not_found",
        )
    return entry


def _parameters(raw: object, entry: ModelEntry) -> dict[str, Any]:
    """Chat's parameters, judged by ChatCompletionRequest's own rules."""
    if raw is None:
        return {}
    param = "model.parameters"
    if not isinstance(raw, dict):
        raise _invalid(f"{param} must be an object.", param)
    _no_unknown(raw, PARAMETERS, param)
    probe = {"model": entry.id, "messages": [{"role": "user", "content": "."}]}
    try:
        validate(ChatCompletionRequest, probe | raw)
    except InvalidRequestError as exc:
        raise InvalidRequestError(
            exc.message, param=f"{param}.{exc.param}", code=exc.code or "invalid_value"
        ) from None
    cap = entry.max_output_tokens
    for name in ("max_tokens", "max_completion_tokens"):
        if cap is not None and raw.get(name) is not None and raw[name] > cap:
            raise _invalid(f"{name} may be at most {cap} for '{entry.id}'.", f"{param}.{name}")
    return {name: raw[name] for name in PARAMETERS if raw.get(name) is not None}


def _no_unknown(raw: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidRequestError(
            f"Unrecognized argument in {where}: {unknown[0]}",
            param=f"{where}.{unknown[0]}",
            code="unknown_parameter",
        )


def _invalid(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_value")
