"""Prompts: a slug, immutable numbered versions and movable tags, owned by a user or an app.

    slug        lowercase letters, digits and hyphens, 1 to 64 characters; unique per owner
    version     1, 2, 3 ... in creation order; a version never changes once made
    tag         a name (as a slug) pointing at one version; `production` and `staging` are
                ordinary tags; `latest` always means the newest version and cannot be set
    selection   ?version=N or ?tag=T (not both); neither: `production`, or else the latest
                version with a warning saying so

A version holds `text` (the user message's template), an optional `systemText` (the system
message's) and an optional model block (domain/prompt_models.py). Templates:
domain/prompt_templates.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from switchboard.domain.prompt_models import ModelBlock
from switchboard.domain.prompt_templates import Template, parse_template, value_text
from switchboard.domain.validation import invalid_value
from switchboard.errors import InvalidRequestError, NotFoundError

LATEST = "latest"
PRODUCTION = "production"
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
MAX_TEMPLATE_BYTES = 150_000  # UTF-8, each of text and systemText: an item holds 400 KB
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
        raise invalid_value(f"{param} must be a non-empty string.", param)
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise invalid_value(f"{param} may be at most {MAX_TEMPLATE_BYTES:,} bytes (UTF-8).", param)
    parse_template(raw, param)
    return raw


def check_label(raw: object, param: str, limit: int) -> str:
    """An optional name or description: a string of at most `limit` characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit:
        raise invalid_value(f"{param} must be a string of at most {limit} characters.", param)
    return raw.strip()


def parse_version_number(raw: object, param: str = "version") -> int:
    """A version number from JSON (an integer) or a query string (digits)."""
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise invalid_value(f"{param} must be a version number (1, 2, ...).", param)
    return raw


def parse_selector(version: object, tag: object) -> Selector:
    if version is not None and tag is not None:
        raise invalid_value("Give version or tag, not both.", "version")
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
        raise invalid_value("variables must be an object of names to values.", "variables")
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
