"""The prompts routes through the platform's ASGI app: versions and tags, describe, serving,
compiling, pages, and isolation between users and apps (404 everywhere)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import Role, User
from switchboard.domain.principals import Principal
from switchboard.services.prompts import PromptService

pytestmark = pytest.mark.anyio

MODEL = {"model": "gpt-4o-mini", "parameters": {"temperature": 0.2, "max_tokens": 200}}


def assert_error(response: httpx.Response, status: int, param: str | None, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    assert error["type"] and error["message"]


async def create(http: httpx.AsyncClient, slug: str = "greeting", **extra: Any) -> dict[str, Any]:
    response = await http.post("/prompts", json={"slug": slug, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add(
    http: httpx.AsyncClient, text: str, slug: str = "greeting", **extra: Any
) -> dict[str, Any]:
    response = await http.post(f"/prompts/{slug}/versions", json={"text": text, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_and_describe_a_prompt(client: httpx.AsyncClient) -> None:
    made = await create(client, name="Greeting", description="Says hello")
    assert made["object"] == "prompt" and made["slug"] == "greeting"
    assert (made["name"], made["description"]) == ("Greeting", "Says hello")
    assert made["owner"]["type"] == "user" and made["latest_version"] is None
    assert made["tags"] == {}
    assert_error(
        await client.post("/prompts", json={"slug": "greeting"}), 409, "slug", "prompt_exists"
    )
    first = await add(client, "Hello {{name}}", systemText="You are {{tone}}.", model=MODEL)
    assert first["version"] == 1 and first["variables"] == ["tone", "name"]
    assert first["model"] == {"provider": "openai", "version": None, **MODEL}
    second = await add(client, "Hi {{ name }}!", tag="staging")
    assert (second["version"], second["tag"], second["model"]) == (2, "staging", None)
    described = (await client.get("/prompts/greeting/describe")).json()
    assert described["availableVersions"] == [1, 2]
    assert described["availableTags"] == {"latest": 2, "staging": 2}


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({}, "slug", "invalid_slug"),
        ({"slug": "Has Caps"}, "slug", "invalid_slug"),
        ({"slug": "x" * 65}, "slug", "invalid_slug"),
        ({"slug": "ok", "name": 3}, "name", "invalid_value"),
        ({"slug": "ok", "app_id": "app_nope"}, "app_id", "app_not_found"),
    ],
)
async def test_bad_prompts_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any], param: str, code: str
) -> None:
    response = await client.post("/prompts", json=body)
    assert_error(response, 404 if code == "app_not_found" else 400, param, code)


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({}, "text", "invalid_value"),
        ({"text": "Hi {{ first name }}"}, "text", "invalid_template"),
        ({"text": "Hi", "systemText": "{{"}, "systemText", "invalid_template"),
        ({"text": "Hi", "model": {"model": "no-such-model"}}, "model.model", "model_not_found"),
        (
            {"text": "Hi", "model": {"model": "gpt-4o-mini", "parameters": {"temperature": 9}}},
            "model.parameters.temperature",
            None,
        ),
        ({"text": "Hi", "tag": "latest"}, "tag", "tag_not_movable"),
    ],
)
async def test_bad_versions_are_400(
    client: httpx.AsyncClient, body: dict[str, Any], param: str, code: str | None
) -> None:
    await create(client)
    response = await client.post("/prompts/greeting/versions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and (code is None or error["code"] == code)
    assert (await client.get("/prompts/greeting/describe")).json()["availableVersions"] == []


async def test_moving_production_changes_what_get_serves(client: httpx.AsyncClient) -> None:
    await create(client)
    await add(client, "one {{x}}", model=MODEL)
    await add(client, "two {{x}}")
    fallback = (await client.get("/prompts/greeting")).json()
    assert fallback["prompt"]["version"] == 2 and fallback["prompt"]["tag"] == "latest"
    assert "production" in fallback["warning"]
    moved = await client.put("/prompts/greeting/tags/production", json={"version": 1})
    assert moved.status_code == 200 and moved.json()["tags"]["production"] == 1
    served = (await client.get("/prompts/greeting")).json()
    assert served == {
        "warning": None,
        "prompt": {
            "text": "one {{x}}",
            "systemText": None,
            "slug": "greeting",
            "version": 1,
            "tag": "production",
            "model": {"provider": "openai", "version": None, **MODEL},
        },
    }
    await add(client, "three {{x}}")
    assert (await client.get("/prompts/greeting")).json()["prompt"]["version"] == 1
    await client.put("/prompts/greeting/tags/production", json={"version": 3})
    assert (await client.get("/prompts/greeting")).json()["prompt"]["text"] == "three {{x}}"
    old = (await client.get("/prompts/greeting", params={"version": 1})).json()["prompt"]
    assert (old["text"], old["tag"]) == ("one {{x}}", None)
    latest = (await client.get("/prompts/greeting", params={"tag": "latest"})).json()
    assert latest["prompt"]["version"] == 3 and latest["warning"] is None


async def test_tag_rules_over_http(client: httpx.AsyncClient) -> None:
    await create(client)
    await add(client, "one")
    put = client.put
    assert_error(
        await put("/prompts/greeting/tags/latest", json={"version": 1}),
        400,
        "tag",
        "tag_not_movable",
    )
    assert_error(
        await put("/prompts/greeting/tags/production", json={"version": 2}),
        404,
        "version",
        "version_not_found",
    )
    assert_error(
        await put("/prompts/greeting/tags/production", json={"version": "one"}),
        400,
        "version",
        "invalid_value",
    )
    assert_error(
        await put("/prompts/greeting/tags/Bad!", json={"version": 1}), 400, "tag", "invalid_slug"
    )
    get = client.get
    assert_error(
        await get("/prompts/greeting", params={"tag": "canary"}), 404, "tag", "tag_not_found"
    )
    assert_error(
        await get("/prompts/greeting", params={"version": "9"}), 404, "version", "version_not_found"
    )
    assert_error(
        await get("/prompts/greeting", params={"version": "1", "tag": "latest"}),
        400,
        "version",
        "invalid_value",
    )


async def test_catalog_snapshot_is_the_models_version(client: httpx.AsyncClient) -> None:
    await create(client)
    await add(client, "Hi", model={"provider": "fake", "model": "fake-chat"})
    model = (await client.get("/prompts/greeting")).json()["prompt"]["model"]
    assert model == {
        "provider": "fake",
        "model": "fake-chat",
        "version": "fake-upstream-chat",
        "parameters": {},
    }


async def test_compile_fills_messages_and_reports_variables(client: httpx.AsyncClient) -> None:
    await create(client)
    await add(client, "Write about {{topic}}.", systemText="You write for {{audience}}.")
    await add(client, "Summarise {{topic}}.")
    url = "/prompts/greeting/compile"
    body = {"version": 1, "variables": {"topic": "tides", "audience": "children", "extra": 1}}
    compiled = (await client.post(url, json=body)).json()
    assert compiled["messages"] == [
        {"role": "system", "content": "You write for children."},
        {"role": "user", "content": "Write about tides."},
    ]
    assert compiled["unusedVariables"] == ["extra"] and "extra" in compiled["warning"]
    missing = await client.post(url, json={"version": 1, "variables": {"topic": "tides"}})
    assert_error(missing, 400, "variables.audience", "missing_variable")
    assert "audience" in missing.json()["error"]["message"]
    latest = (await client.post(url, json={"variables": {"topic": "tides"}})).json()
    assert latest["version"] == 2 and latest["messages"][0]["content"] == "Summarise tides."
    assert "production" in latest["warning"]


async def test_pages_of_prompts_and_versions(client: httpx.AsyncClient) -> None:
    for slug in ("c", "a", "b"):
        await create(client, slug)
    first = (await client.get("/prompts", params={"limit": 2})).json()
    assert [p["slug"] for p in first["data"]] == ["a", "b"]
    assert first["object"] == "list" and first["has_more"] and first["next_cursor"] == "b"
    rest = (await client.get("/prompts", params={"limit": 2, "after": "b"})).json()
    assert [p["slug"] for p in rest["data"]] == ["c"]
    assert not rest["has_more"] and rest["next_cursor"] is None
    for n in range(3):
        await add(client, f"v{n}", slug="a")
    page = (await client.get("/prompts/a/versions", params={"limit": 2})).json()
    assert [v["version"] for v in page["data"]] == [3, 2] and page["next_cursor"] == "2"
    page = (await client.get("/prompts/a/versions", params={"after": "2"})).json()
    assert [v["version"] for v in page["data"]] == [1] and not page["has_more"]
    assert_error(await client.get("/prompts", params={"limit": 0}), 400, "limit", "invalid_value")
    bad_cursor = await client.get("/prompts", params={"after": "x" * 2000})
    assert_error(bad_cursor, 400, "after", "invalid_slug")
    bad_after = await client.get("/prompts/a/versions", params={"after": "two"})
    assert_error(bad_after, 400, "after", "invalid_value")


async def test_prompts_are_their_owners_alone(
    connect: Callable[..., Any], new_user: Callable[..., User]
) -> None:
    """Another user finds neither a user's prompts nor an app's, and an admin no user's: 404 on
    every route; the app's owner reaches the app's prompts only through app_id."""
    owner, other, admin = new_user(), new_user(), new_user(role=Role.ADMIN)
    async with connect(owner) as mine:
        app_id = (await mine.post("/apps", json={"name": "Bot"})).json()["id"]
        await create(mine, "private")
        await add(mine, "Hi {{x}}", slug="private")
        await create(mine, "shared", app_id=app_id)
        unscoped = await mine.post("/prompts/shared/versions", json={"text": "A"})
        assert_error(unscoped, 404, "slug", "prompt_not_found")  # not the user's own
    async with connect(owner) as mine:
        response = await mine.post("/prompts/shared/versions?app_id=" + app_id, json={"text": "A"})
        assert response.status_code == 201
        listed = (await mine.get("/prompts", params={"app_id": app_id})).json()
        assert [p["slug"] for p in listed["data"]] == ["shared"]
        assert listed["data"][0]["owner"] == {"type": "app", "id": app_id}
    async with connect(other) as theirs:
        for app in (None, app_id):
            await _all_404(theirs, "private" if app is None else "shared", app)
        assert (await theirs.get("/prompts")).json()["data"] == []
        refused = await theirs.post("/prompts", json={"slug": "x", "app_id": app_id})
        assert refused.status_code == 404
    async with connect(admin) as admins:
        await _all_404(admins, "private", None)
        # as on every app route, an admin reaches an app (AppService.get_for), prompts too
        reached = await admins.get("/prompts/shared", params={"app_id": app_id})
        assert reached.status_code == 200 and reached.json()["prompt"]["text"] == "A"


async def _all_404(http: httpx.AsyncClient, slug: str, app_id: str | None) -> None:
    query = f"?app_id={app_id}" if app_id else ""
    calls = [
        http.get(f"/prompts/{slug}{query}"),
        http.get(f"/prompts/{slug}/describe{query}"),
        http.get(f"/prompts/{slug}/versions{query}"),
        http.post(f"/prompts/{slug}/versions{query}", json={"text": "x"}),
        http.put(f"/prompts/{slug}/tags/production{query}", json={"version": 1}),
        http.post(f"/prompts/{slug}/compile{query}", json={"variables": {"x": 1}}),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 404, response.text


async def test_resolve_gives_chat_its_messages_and_model(
    client: httpx.AsyncClient, services: Container, new_user: Callable[..., User]
) -> None:
    """What the chat routes will call for `prompt: {slug, version? or tag?, variables}`."""
    user = new_user()
    principal = Principal(user.user_id, "k", ("*",), "user", "maker")
    prompts: PromptService = services.prompts
    prompts.create(principal, {"slug": "support"}, None)
    prompts.add_version(principal, "support", {"text": "Q: {{q}}", "model": MODEL}, None)
    prompts.add_version(
        principal, "support", {"text": "Question: {{q}}", "tag": "production"}, None
    )
    resolved = prompts.resolve(
        principal, {"slug": "support", "version": 1, "variables": {"q": "why?"}}
    )
    messages, model = resolved.messages, resolved.model
    assert messages == [{"role": "user", "content": "Q: why?"}]
    assert model == {"provider": "openai", **MODEL}
    assert (resolved.slug, resolved.version, resolved.warning) == ("support", 1, None)
    default = prompts.resolve(principal, {"slug": "support", "variables": {"q": "?"}})
    assert (default.version, default.model) == (2, None)
    with pytest.raises(Exception) as caught:
        prompts.resolve(principal, {"slug": "support", "variables": {}})
    assert getattr(caught.value, "param", None) == "prompt.variables.q"
    with pytest.raises(Exception) as caught:
        prompts.resolve(principal, {"slug": "support", "vars": {}})
    assert getattr(caught.value, "param", None) == "prompt.vars"


async def test_concurrent_versions_over_http_get_distinct_numbers(
    client: httpx.AsyncClient,
) -> None:
    """Ten POSTs at once (each in its own worker thread, as routes run the service): ten
    versions, numbered 1 to 10, none lost, none twice."""
    await create(client)
    answers = await asyncio.gather(
        *(client.post("/prompts/greeting/versions", json={"text": f"v{n}"}) for n in range(10))
    )
    assert [a.status_code for a in answers] == [201] * 10
    assert sorted(a.json()["version"] for a in answers) == list(range(1, 11))
    listed = (await client.get("/prompts/greeting/versions", params={"limit": 20})).json()
    assert sorted(v["text"] for v in listed["data"]) == sorted(f"v{n}" for n in range(10))
