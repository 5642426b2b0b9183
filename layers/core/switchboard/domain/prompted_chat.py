"""A chat completion that names a prompt: `prompt: {slug, version? or tag?, variables}`, a
top-level body field (the official SDKs send it through `extra_body`).

    data, ref = take_prompt(data)            # before validation: never sent upstream
    resolved = prompts.resolve(principal, ref, app_id)    # 404 / 400 before any hold
    data = with_prompt(data, resolved.messages, resolved.model)

The prompt's messages (system, then user) come first and any the body gives follow them;
`messages` may then be omitted or empty. The prompt's model applies when the body names
none (or `""`: the official SDKs require a model argument), and each of its parameters
unless the body sets that parameter itself.
"""

from __future__ import annotations

from typing import Any


def take_prompt(data: dict[str, Any]) -> tuple[dict[str, Any], object | None]:
    """The body without `prompt`, and the prompt reference it held (None: no prompt)."""
    return {k: v for k, v in data.items() if k != "prompt"}, data.get("prompt")


def with_prompt(
    data: dict[str, Any], messages: list[dict[str, str]], model: dict[str, Any] | None
) -> dict[str, Any]:
    """The body the prompt makes: its messages first, then the body's own (if a list: any
    other shape is left for validation to refuse); its model and parameters where the body
    sets none."""
    given = data.get("messages")
    if given is not None and not isinstance(given, list):
        return dict(data)  # validation names the wrong `messages`
    body = data | {"messages": [*messages, *(given or [])]}
    if model is None:
        return body
    if not body.get("model"):  # absent, null or "" (the SDKs require the argument)
        body["model"] = model["model"]
    for name, value in dict(model.get("parameters") or {}).items():
        if body.get(name) is None and not _other_limit(body, name):
            body[name] = value
    return body


def _other_limit(body: dict[str, Any], name: str) -> bool:
    """Whether the body already sets the output limit under its other name (a prompt's
    max_tokens does not add to a body's max_completion_tokens, nor the reverse)."""
    pair = {"max_tokens": "max_completion_tokens", "max_completion_tokens": "max_tokens"}
    return name in pair and body.get(pair[name]) is not None
