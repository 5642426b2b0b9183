"""What the local chat model understands as a request for a built-in tool, when it is
offered that tool (`use_tools`) and the caller's `tool_choice` is not "none":

    "calculate 2+2", "compute (3+4)*5", "what is 15% of 80?"   -> calculator {expression}
    "fetch https://example.com/page", "read https://…"         -> url_fetch {url}
    "summarize https://…", "summarise: <text>"                 -> summarizer {url | text}
    "search for <query>", "search the web for <query>"          -> web_search {query}
    "weather in Paris", "what's the weather for Lyon?"          -> weather {location}

Anything else it answers as it always does. After a tool's result it answers from it
("The tool returned: ..."). It is a scripted assistant, not a language model.
"""

from __future__ import annotations

import re
from typing import Any

_URL = r"(?P<url>https?://[^\s<>\"']+)"
_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    ("summarizer", re.compile(r"\bsummari[sz]e\s*(?:this\s*)?" + _URL, re.I)),
    ("summarizer", re.compile(r"\bsummari[sz]e\s*(?:this)?\s*:\s*(?P<text>.+)", re.I | re.S)),
    ("url_fetch", re.compile(r"\b(?:fetch|read|open|get|download)\s+" + _URL, re.I)),
    ("weather", re.compile(r"\bweather\s+(?:in|for|at)\s+(?P<location>[^?!.,;\n]+)", re.I)),
    ("web_search", re.compile(r"\bsearch\s+(?:the\s+web\s+)?(?:for\s+)?(?P<query>[^?!\n]+)", re.I)),
    (
        "calculator",
        re.compile(
            r"\b(?:calculate|compute|evaluate|what\s+is|what's)\s+"
            r"(?P<expression>[-+*/^%().,\w\s]*\d[-+*/^%().,\w\s]*?)\s*[?.!]*\s*$",
            re.I,
        ),
    ),
]


def intended_call(text: str, offered: set[str]) -> tuple[str, dict[str, Any]] | None:
    """The built-in tool `text` asks for, among those `offered`, with its arguments."""
    for name, pattern in _INTENTS:
        if name not in offered:
            continue
        match = pattern.search(text)
        if match is None:
            continue
        arguments = {k: v.strip().rstrip(".") for k, v in match.groupdict().items() if v}
        if name == "calculator" and not re.search(r"[-+*/^%()]", arguments["expression"]):
            continue  # "what is 42" asks for no arithmetic
        return name, arguments
    return None
