"""What the fake OpenAI-compatible upstream (fake_upstream.py) answers: chat completions,
streamed or whole, and embeddings, built from the request alone, so that the same request
gets the same text and usage every time. The requested model name may ask for a failure or
a misbehaviour (fake_upstream.py's docstring lists them)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
from collections.abc import AsyncIterator
from typing import Any

REPLY = "Hello from the fake upstream. This reply is always the same."
JSON_REPLY = '{"answer": "fake"}'
GRADE_REPLY = "7"  # what the `grader` model answers, whatever it is asked
CREATED = 1_735_689_600
FINGERPRINT = "fp_fake"
SECRET_ERROR_TEXT = "db-password=hunter2 at internal-host-10.0.0.7"


class Midstream(Exception):
    """Raised inside a streamed body: uvicorn then drops the connection."""


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """About four characters a token, four tokens of framing a message, three to prime."""
    return 3 + sum(4 + -(-len(text_of(m.get("content"))) // 4) for m in messages)


def tool_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """A call of the named tool, or the first one when tool_choice is "required"; for the
    `tool-caller` model, the next step of its script (scripted_call)."""
    if body.get("model") == "tool-caller":
        return scripted_call(body)
    choice, tools = body.get("tool_choice"), body.get("tools") or []
    if isinstance(choice, dict):
        name = choice["function"]["name"]
    elif choice == "required" and tools:
        name = tools[0]["function"]["name"]
    else:
        return None
    return {"id": "call_fake_0", "type": "function", "function": {"name": name, "arguments": "{}"}}


def scripted_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """`tool-caller` follows the script in the first user message, one call a round:
    "script: calculator 6*7 | get_time now" calls calculator, then (after its result)
    get_time, then answers. A step "forever" calls calculator in every round."""
    messages = body.get("messages") or []
    first = next((text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
    steps = [step.strip().split(" ", 1) for step in first.removeprefix("script:").split("|")]
    done = sum(1 for message in messages if message.get("role") == "tool")
    if steps and steps[0][0].strip() == "forever":
        steps = [["calculator", "1+1"]] * (done + 1)
    if done >= len(steps) or len(steps[done]) != 2:
        return None
    name, argument = steps[done][0].strip(), steps[done][1].strip()
    keys = {"calculator": "expression", "url_fetch": "url", "web_search": "query"}
    key = (keys | {"summarizer": "text", "weather": "location"}).get(name, "input")
    arguments = json.dumps({key: argument})
    function = {"name": name, "arguments": arguments}
    return {"id": f"call_fake_{done}", "type": "function", "function": function}


IGNORED_LIMIT_TOKENS = 2000
LONG_REPLY_TOKENS = 80_000  # 400 KB of text: more than a DynamoDB item should hold
SURROGATE = "\ud800"  # a lone high surrogate: JSON allows the escape, UTF-8 cannot hold it


def reply_pieces(body: dict[str, Any]) -> tuple[list[str], str]:
    """The reply as one piece a token, cut at the output limit, and its finish reason."""
    fmt = (body.get("response_format") or {}).get("type")
    text = JSON_REPLY if fmt in ("json_object", "json_schema") else REPLY
    if body.get("model") == "surrogate-reply":
        text = f"Broken {SURROGATE} text"
    if body.get("model") == "grader":
        text = GRADE_REPLY
    words = text.split(" ")
    pieces = [words[0]] + [" " + word for word in words[1:]]
    if body.get("model") == "ignores-limit":
        return [" word"] * IGNORED_LIMIT_TOKENS, "stop"
    if body.get("model") == "long-reply":
        return [" word"] * LONG_REPLY_TOKENS, "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit is not None and limit < len(pieces):
        return pieces[:limit], "length"
    return pieces, "stop"


def usage_of(body: dict[str, Any]) -> dict[str, Any] | None:
    pieces, _ = reply_pieces(body)
    completion = (len(pieces) if tool_call(body) is None else 5) * int(body.get("n") or 1)
    prompt = prompt_tokens(body.get("messages") or [])
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    model = body.get("model")
    if model == "usage-missing":
        return None
    if model == "usage-negative":
        usage |= {"prompt_tokens": -500, "completion_tokens": -1000, "total_tokens": -1500}
    if model == "usage-garbage":
        usage |= {"prompt_tokens": "12", "completion_tokens": 3.5}
    if model == "usage-absurd":
        usage |= {"completion_tokens": 1_000_000, "total_tokens": prompt + 1_000_000}
    return usage


def completion(body: dict[str, Any]) -> dict[str, Any]:
    pieces, finish = reply_pieces(body)
    call = tool_call(body)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces), "refusal": None}
    if call is not None:
        message, finish = {**message, "content": None, "tool_calls": [call]}, "tool_calls"
    choices = [
        {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
        for i in range(int(body.get("n") or 1))
    ]
    completion = {**envelope(body, "chat.completion"), "choices": choices}
    usage = usage_of(body)
    return completion if usage is None else completion | {"usage": usage}


def envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": kind,
        "created": CREATED,
        "model": body.get("model"),
        "system_fingerprint": FINGERPRINT,
    }


def deltas_of(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    call = tool_call(body)
    if call is not None:
        start = {
            **call,
            "index": 0,
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        rest = {"index": 0, "function": {"arguments": call["function"]["arguments"]}}
        return [
            {"role": "assistant", "content": None, "tool_calls": [start]},
            {"tool_calls": [rest]},
        ], "tool_calls"
    pieces, finish = reply_pieces(body)
    return [{"role": "assistant", "content": "", "refusal": None}] + [
        {"content": piece} for piece in pieces
    ], finish


def chunk(body: dict[str, Any], choices: list[dict[str, Any]], usage: Any = None) -> str:
    event = {**envelope(body, "chat.completion.chunk"), "choices": choices}
    if (body.get("stream_options") or {}).get("include_usage"):
        event["usage"] = usage
    return json.dumps(event, separators=(",", ":"))  # ASCII: a lone surrogate as its escape


async def stream_events(body: dict[str, Any], chunk_delay: float) -> AsyncIterator[str]:
    """Event data, one string each; the model name may break the stream on purpose."""
    model, n = body.get("model"), int(body.get("n") or 1)
    deltas, finish = deltas_of(body)
    for position, delta in enumerate(deltas):
        if position == 2 and model == "fail-midstream":
            raise Midstream("the upstream dropped the connection")
        if position == 2 and model == "fail-midstream-event":
            error = {"message": SECRET_ERROR_TEXT, "type": "server_error"}
            yield json.dumps({"error": error}, separators=(",", ":"))
            return
        if position and model == "slow-stream":
            await asyncio.sleep(chunk_delay)
        for i in range(n):
            yield chunk(
                body, [{"index": i, "delta": delta, "logprobs": None, "finish_reason": None}]
            )
    for i in range(n):
        yield chunk(body, [{"index": i, "delta": {}, "logprobs": None, "finish_reason": finish}])
    usage = usage_of(body)
    if (body.get("stream_options") or {}).get("include_usage") and usage is not None:
        yield chunk(body, [], usage)
    yield "[DONE]"


def vector_of(text: str, dimensions: int) -> list[float]:
    seed = hashlib.sha256(text.encode()).digest()
    raw = [((seed[i % 32] + i * 37) % 256) / 127.5 - 1.0 for i in range(dimensions)]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [x / norm for x in raw]


def embeddings(body: dict[str, Any], default_dimensions: int) -> dict[str, Any]:
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    dimensions = int(body.get("dimensions") or default_dimensions)
    data = []
    for index, text in enumerate(texts):
        vector = vector_of(str(text), dimensions)
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(-(-len(str(text)) // 4) for text in texts)
    if body.get("model") == "usage-negative":
        tokens = -500
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
