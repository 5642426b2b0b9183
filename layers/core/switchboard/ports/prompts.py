"""Prompts and their versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from switchboard.domain.prompts import Owner, Prompt, PromptVersion


class PromptRepository(Protocol):
    """Prompts, their immutable versions and their tags, per owner (a user or an app)."""

    def create(self, prompt: Prompt) -> None: ...

    def get(self, owner: Owner, slug: str) -> Prompt | None: ...

    def list_prompts(
        self, owner: Owner, *, after: str | None, limit: int
    ) -> tuple[list[Prompt], bool]:
        """A page in slug order after the slug `after`, and whether more follow."""
        ...

    def add_version(self, prompt: Prompt, version: PromptVersion, tag: str | None) -> None:
        """ConflictError unless the prompt's latest version is still prompt.latest_version."""
        ...

    def get_version(self, owner: Owner, slug: str, number: int) -> PromptVersion | None: ...

    def list_versions(
        self, owner: Owner, slug: str, *, after: int | None, limit: int
    ) -> tuple[list[PromptVersion], bool]:
        """A page, newest first, of versions below the number `after`; whether more follow."""
        ...

    def set_tag(self, owner: Owner, slug: str, tag: str, number: int) -> None: ...
