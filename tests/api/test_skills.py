"""Skills: the list, and a chat completion's `skill`, whose system prompt reaches the
upstream first, before the caller's own system message; never the `skill` field itself."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from switchboard.bootstrap import Container

pytestmark = pytest.mark.anyio
SKILLS = {"general", "researcher", "coder", "writer", "data-analyst", "web-analyst"}


def sent_upstream(upstream: Any, marker: str) -> dict[str, Any]:
    """The body the fake upstream received for the request whose `user` is `marker`."""
    bodies = (r.body or {} for r in reversed(upstream.state.received))
    return next(body for body in bodies if body.get("user") == marker)


async def test_the_skills_are_listed(client: Any) -> None:
    response = await client.get("/skills")
    assert response.status_code == 200
    skills = response.json()["skills"]
    assert {skill["id"] for skill in skills} == SKILLS
    general = next(skill for skill in skills if skill["id"] == "general")
    assert general["name"] == "General Assistant"
    assert all(set(skill) == {"id", "name", "description"} for skill in skills)


def test_web_analyst_turns_on_its_tools(services: Container) -> None:
    assert services.kit_catalog.skill("web-analyst").tools == ("web_search", "url_fetch")
    assert services.kit_catalog.skill("coder").tools == ()


@pytest.mark.parametrize("skill", sorted(SKILLS))
@pytest.mark.parametrize("stream", [False, True])
async def test_a_skill_leads_the_messages_the_upstream_receives(
    skill: str, stream: bool, client: Any, upstream: Any, services: Container
) -> None:
    marker = uuid.uuid4().hex
    messages = [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Hello"},
    ]
    request = {"model": "fake-chat", "messages": messages, "skill": skill, "user": marker}
    response = await client.post("/v1/chat/completions", json=request | {"stream": stream})
    assert response.status_code == 200
    body = sent_upstream(upstream, marker)
    preset = services.kit_catalog.skill(skill).system_prompt
    assert body["messages"] == [{"role": "system", "content": preset}, *messages]
    assert "skill" not in body


async def test_without_a_skill_the_messages_are_the_callers(client: Any, upstream: Any) -> None:
    marker = uuid.uuid4().hex
    messages = [{"role": "user", "content": "Hello"}]
    request = {"model": "fake-chat", "messages": messages, "user": marker}
    assert (await client.post("/v1/chat/completions", json=request)).status_code == 200
    assert sent_upstream(upstream, marker)["messages"] == messages


@pytest.mark.parametrize("skill", ["astrologer", 7])
async def test_an_unknown_skill_is_a_400(client: Any, skill: Any) -> None:
    request = {"model": "local-chat", "messages": [{"role": "user", "content": "Hi"}]}
    response = await client.post("/v1/chat/completions", json=request | {"skill": skill})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "skill" and error["code"] == "unknown_skill"


async def test_an_app_route_takes_a_skill_too(
    client: Any, upstream: Any, services: Container
) -> None:
    app_id = (await client.post("/apps", json={"name": "skills"})).json()["id"]
    marker = uuid.uuid4().hex
    request = {
        "model": "fake-chat",
        "messages": [{"role": "user", "content": "Hello"}],
        "skill": "coder",
        "user": marker,
    }
    response = await client.post(f"/v1/{app_id}/chat/completions", json=request)
    assert response.status_code == 200
    first = sent_upstream(upstream, marker)["messages"][0]
    assert first == {"role": "system", "content": services.kit_catalog.skill("coder").system_prompt}
