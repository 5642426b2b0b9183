"""OpenAI chat requests to Bedrock Converse requests.

Pure mapping over plain dicts; no I/O. Anything the Converse API cannot express raises
InvalidRequestError before Bedrock is called. The answers come back through
bedrock_answers.py.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from switchboard.domain.catalog import ModelEntry
from switchboard.domain.requests import (
    AssistantMessage,
    ChatCompletionRequest,
    ImagePart,
    Message,
    NamedToolChoice,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from switchboard.errors import InvalidRequestError

_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def converse_request(request: ChatCompletionRequest, model: ModelEntry) -> dict[str, Any]:
    """The keyword arguments of boto3's converse() and converse_stream()."""
    if request.n > 1:
        raise InvalidRequestError(
            "This model returns one choice per request; set n to 1.", param="n"
        )
    system = [
        {"text": text}
        for message in request.messages
        if isinstance(message, SystemMessage)
        for text in _texts(message.content)
    ]
    body: dict[str, Any] = {"modelId": model.upstream_model, "messages": _messages(request)}
    if system:
        body["system"] = system
    optional = {
        "inferenceConfig": _inference_config(request),
        "toolConfig": _tool_config(request),
        "outputConfig": _output_config(request),
    }
    body.update({key: value for key, value in optional.items() if value})
    return body


def _texts(content: str | list[TextPart]) -> list[str]:
    texts = [content] if isinstance(content, str) else [part.text for part in content]
    return [text for text in texts if text]  # Bedrock rejects blank text blocks


def _messages(request: ChatCompletionRequest) -> list[dict[str, Any]]:
    """Conversation turns, with consecutive same-role turns merged: Bedrock requires user
    and assistant turns to alternate, and tool results travel in a user turn."""
    turns: list[dict[str, Any]] = []
    for message in request.messages:
        if isinstance(message, SystemMessage):
            continue
        role, blocks = _turn(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if not turns or turns[0]["role"] != "user":
        raise InvalidRequestError(
            "messages must contain a user message before any assistant message.",
            param="messages",
        )
    return turns


def _turn(message: Message) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(message, UserMessage):
        return "user", _user_blocks(message)
    if isinstance(message, AssistantMessage):
        return "assistant", _assistant_blocks(message)
    if isinstance(message, ToolMessage):
        result = {"toolUseId": message.tool_call_id, "content": _tool_result(message.content)}
        return "user", [{"toolResult": result}]
    raise AssertionError(f"unexpected message {type(message).__name__}")  # pragma: no cover


def _user_blocks(message: UserMessage) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"text": text} for text in _texts(message.content)]
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            blocks.extend({"text": text} for text in _texts(part.text))
        elif isinstance(part, ImagePart):
            blocks.append({"image": _image(part.image_url.url)})
        else:
            raise InvalidRequestError(
                f"Content parts of type '{part.type}' are not supported by this model.",
                param="messages",
            )
    return blocks


def _image(url: str) -> dict[str, Any]:
    """An image block from a data: URL; this gateway does not fetch remote images."""
    header, _, data = url.partition(",")
    media_type = header.removeprefix("data:").removesuffix(";base64").lower()
    image_format = _IMAGE_FORMATS.get(media_type)
    if not url.startswith("data:") or not header.endswith(";base64") or image_format is None:
        raise InvalidRequestError(
            "Images must be base64 data URLs of PNG, JPEG, GIF or WebP images for this model.",
            param="messages",
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise InvalidRequestError(
            "An image data URL is not valid base64.", param="messages"
        ) from exc
    return {"format": image_format, "source": {"bytes": raw}}


def _assistant_blocks(message: AssistantMessage) -> list[dict[str, Any]]:
    content = message.content
    texts = [content] if isinstance(content, str) else []
    if isinstance(content, list):
        texts = [part.text if isinstance(part, TextPart) else part.refusal for part in content]
    blocks: list[dict[str, Any]] = [{"text": text} for text in texts if text]
    for call in message.tool_calls or []:
        tool_use = {"toolUseId": call.id, "name": call.function.name}
        blocks.append({"toolUse": {**tool_use, "input": _arguments(call.function.arguments)}})
    return blocks


def _arguments(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequestError(
            "tool_calls[].function.arguments must be a JSON object.", param="messages"
        )
    return value


def _tool_result(content: str | list[TextPart]) -> list[dict[str, Any]]:
    return [{"text": text} for text in _texts(content)] or [{"text": ""}]


def _inference_config(request: ChatCompletionRequest) -> dict[str, Any]:
    config: dict[str, Any] = {
        "maxTokens": request.output_limit,
        "temperature": request.temperature,
        "topP": request.top_p,
        "stopSequences": request.stop_sequences or None,
    }
    return {key: value for key, value in config.items() if value is not None}


def _tool_config(request: ChatCompletionRequest) -> dict[str, Any]:
    if not request.tools or request.tool_choice == "none":
        return {}
    tools = []
    for tool in request.tools:
        function = tool.function
        spec: dict[str, Any] = {"name": function.name}
        if function.description:
            spec["description"] = function.description
        schema = function.parameters or {"type": "object", "properties": {}}
        spec["inputSchema"] = {"json": schema}
        tools.append({"toolSpec": spec})
    config: dict[str, Any] = {"tools": tools}
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        config["toolChoice"] = {"tool": {"name": choice.function.name}}
    elif choice is not None:
        config["toolChoice"] = {"auto": {}} if choice == "auto" else {"any": {}}
    return config


def _output_config(request: ChatCompletionRequest) -> dict[str, Any]:
    response_format = request.response_format
    if response_format is None or response_format.type == "text":
        return {}
    schema = response_format.json_schema
    if schema is None or schema.schema_ is None:
        raise InvalidRequestError(
            "This model supports response_format of type 'text' or 'json_schema' with a schema.",
            param="response_format",
        )
    definition = {"schema": json.dumps(schema.schema_), "name": schema.name}
    if schema.description:
        definition["description"] = schema.description
    return {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}
