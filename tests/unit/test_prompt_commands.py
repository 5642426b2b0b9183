"""`switchboard prompts ...`: the request each action makes, and what it prints (on
httpx.MockTransport)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from switchboard.cli import _parser
from switchboard.prompt_commands import run

BASE = ["--base-url", "http://api.example/v1", "--api-key", "sb_test"]


def call(argv: list[str], answer: httpx.Response) -> tuple[int, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    args = _parser().parse_args(["prompts", *argv, *BASE])
    return run(args, transport=httpx.MockTransport(handle)), seen


@pytest.mark.parametrize(
    ("argv", "method", "url", "body"),
    [
        (["list"], "GET", "http://api.example/prompts?limit=20", None),
        (
            ["list", "--app-id", "app_1", "--after", "b", "--limit", "5"],
            "GET",
            "http://api.example/prompts?app_id=app_1&limit=5&after=b",
            None,
        ),
        (
            ["get", "greeting", "--tag", "staging"],
            "GET",
            "http://api.example/prompts/greeting?tag=staging",
            None,
        ),
        (
            ["versions", "greeting"],
            "GET",
            "http://api.example/prompts/greeting/versions?limit=20",
            None,
        ),
        (["describe", "greeting"], "GET", "http://api.example/prompts/greeting/describe", None),
        (
            ["compile", "greeting", "--version", "2", "--var", "name=Ada", "--var", "x=a=b"],
            "POST",
            "http://api.example/prompts/greeting/compile",
            {"version": 2, "variables": {"name": "Ada", "x": "a=b"}},
        ),
    ],
)
def test_each_action_asks_its_route(
    argv: list[str], method: str, url: str, body: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    status, seen = call(argv, httpx.Response(200, json={"object": "list"}))
    assert status == 0 and json.loads(capsys.readouterr().out) == {"object": "list"}
    [request] = seen
    assert (request.method, str(request.url)) == (method, url)
    assert request.headers["Authorization"] == "Bearer sb_test"
    assert (json.loads(request.content) if request.content else None) == body


def test_an_api_error_is_its_message_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    error = {"error": {"message": "No prompt with slug 'x'.", "type": "invalid_request_error"}}
    status, _ = call(["get", "x"], httpx.Response(404, json=error))
    assert status == 1 and capsys.readouterr().err == "error: No prompt with slug 'x'.\n"


def test_version_and_tag_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["prompts", "get", "x", "--version", "1", "--tag", "t"])
