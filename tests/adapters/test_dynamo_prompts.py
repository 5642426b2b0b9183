"""Prompts, versions and tags on DynamoDB (moto's server): conditional writes keep version
numbers unique under real concurrency, tags only point at versions that exist, pages."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from switchboard.adapters.aws.prompts import DynamoPromptRepository
from switchboard.bootstrap import Container
from switchboard.domain.clock import utcnow
from switchboard.domain.prompt_models import ModelBlock
from switchboard.domain.prompts import Owner, Prompt, PromptVersion
from switchboard.errors import ConflictError, NotFoundError


@pytest.fixture
def store(services: Container) -> DynamoPromptRepository:
    return services.prompt_repo


@pytest.fixture
def owner() -> Owner:
    return Owner("user", f"usr_{uuid.uuid4().hex[:12]}")


def make(owner: Owner, slug: str = "greeting") -> Prompt:
    return Prompt(owner, slug, "Greeting", "Says hello", utcnow())


def version(prompt: Prompt, text: str = "Hi {{name}}") -> PromptVersion:
    model = ModelBlock("openai", "gpt-4o-mini", {"temperature": 0.7, "max_tokens": 64})
    return PromptVersion(prompt.slug, prompt.latest_version + 1, text, "Be kind", model, utcnow())


def test_create_get_and_refuse_a_second_of_the_same_slug(
    store: DynamoPromptRepository, owner: Owner
) -> None:
    prompt = make(owner)
    store.create(prompt)
    assert store.get(owner, "greeting") == prompt
    with pytest.raises(ConflictError) as caught:
        store.create(make(owner))
    assert caught.value.code == "prompt_exists"
    assert store.get(Owner("app", owner.id), "greeting") is None  # another owner's space
    store.create(make(Owner("app", owner.id)))


def test_versions_are_written_with_the_latest_number_and_tag(
    store: DynamoPromptRepository, owner: Owner
) -> None:
    prompt = make(owner)
    store.create(prompt)
    first = version(prompt)
    store.add_version(prompt, first, "production")
    prompt = store.get(owner, "greeting") or prompt
    assert (prompt.latest_version, prompt.tags) == (1, {"production": 1})
    assert store.get_version(owner, "greeting", 1) == first
    assert store.get_version(owner, "greeting", 2) is None
    with pytest.raises(ConflictError):  # a stale read: number 1 is taken
        store.add_version(make(owner), first, None)


def test_concurrent_writers_never_share_a_number(services: Container, owner: Owner) -> None:
    """Eight threads each add three versions through the service's retrying loop: 24
    versions numbered 1..24, each text once."""
    from switchboard.domain.principals import Principal

    principal = Principal(owner.id, "key", ("*",), "user", "maker")
    prompts = services.prompts
    prompts.create(principal, {"slug": "raced"}, None)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(3):
                prompts.add_version(principal, "raced", {"text": f"w{n}-{i}"}, None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found, more = services.prompt_repo.list_versions(owner, "raced", after=None, limit=100)
    assert not more
    assert [v.version for v in found] == list(range(24, 0, -1))
    assert sorted(v.text for v in found) == sorted(f"w{n}-{i}" for n in range(8) for i in range(3))
    assert services.prompt_repo.get(owner, "raced").latest_version == 24  # type: ignore[union-attr]


def test_raw_concurrent_writes_of_one_number_let_exactly_one_win(
    store: DynamoPromptRepository, owner: Owner
) -> None:
    prompt = make(owner)
    store.create(prompt)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def writer(n: int) -> None:
        start.wait()
        try:
            store.add_version(prompt, version(prompt, f"text {n}"), None)
            outcomes.append("won")
        except ConflictError:
            outcomes.append("lost")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost"] * 5 + ["won"]
    assert (store.get(owner, "greeting") or prompt).latest_version == 1


def test_tags_point_only_at_versions_that_exist(
    store: DynamoPromptRepository, owner: Owner
) -> None:
    prompt = make(owner)
    store.create(prompt)
    store.add_version(prompt, version(prompt), None)
    store.set_tag(owner, "greeting", "staging", 1)
    assert (store.get(owner, "greeting") or prompt).tags == {"staging": 1}
    with pytest.raises(NotFoundError):
        store.set_tag(owner, "greeting", "staging", 2)
    with pytest.raises(NotFoundError):
        store.set_tag(owner, "absent", "staging", 1)
    assert store.get(owner, "absent") is None  # no item made by the failed update


def test_pages_of_prompts_and_versions(store: DynamoPromptRepository, owner: Owner) -> None:
    for i, slug in enumerate(["c", "a", "b-2", "b"]):
        store.create(Prompt(owner, slug, "", "", utcnow() + timedelta(seconds=i)))
    page, more = store.list_prompts(owner, after=None, limit=2)
    assert [p.slug for p in page] == ["a", "b"] and more
    page, more = store.list_prompts(owner, after="b", limit=2)
    assert [p.slug for p in page] == ["b-2", "c"] and not more
    prompt = store.get(owner, "b") or make(owner)
    for _ in range(3):
        store.add_version(prompt, version(prompt), None)
        prompt = store.get(owner, "b") or prompt
    page, more = store.list_versions(owner, "b", after=None, limit=2)
    assert [v.version for v in page] == [3, 2] and more
    page, more = store.list_versions(owner, "b", after=2, limit=2)
    assert [v.version for v in page] == [1] and not more
    assert store.list_versions(owner, "b-2", after=None, limit=5) == ([], False)
