"""Token counting for the local models and for estimates before a call.

The local models tokenize with `split_tokens`: words, single punctuation marks and the
spaces before words, about 1.3 pieces per English word, close to BPE counts. Their usage
figures are honest counts of these pieces.
"""

from __future__ import annotations

import re
from typing import Any

_PIECE = re.compile(r" ?[A-Za-z]+| ?\d{1,3}| ?[^\sA-Za-z\d]|\s+")
MESSAGE_OVERHEAD_TOKENS = 3  # role and separators per message, as OpenAI's chat format counts
REPLY_PRIMING_TOKENS = 3


def split_tokens(text: str) -> list[str]:
    return _PIECE.findall(text)


def count_tokens(text: str) -> int:
    return len(_PIECE.findall(text))


def count_message_tokens(messages: list[dict[str, Any]]) -> int:
    """Tokens of a chat prompt: its texts plus a fixed overhead per message."""
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS + count_tokens(message_text(message))
    return total


def message_text(message: dict[str, Any]) -> str:
    """The text a message carries: content strings and text parts, tool-call arguments."""
    content = message.get("content")
    pieces: list[str] = []
    if isinstance(content, str):
        pieces.append(content)
    elif isinstance(content, list):
        pieces.extend(part.get("text", "") for part in content if isinstance(part, dict))
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        pieces.append(f"{function.get('name', '')} {function.get('arguments', '')}")
    return " ".join(piece for piece in pieces if piece)
