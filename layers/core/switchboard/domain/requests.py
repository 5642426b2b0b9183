"""Request bodies of the inference API, validated with pydantic.

Fields follow OpenAI's API reference. Unknown fields are kept (`extra="allow"`) so that
newer SDK parameters pass through to OpenAI-compatible upstreams instead of failing.
"""

# No `from __future__ import annotations` here: pydantic would evaluate each field's string
# annotation (a compile and an eval apiece) when it builds a model class; written plainly, they
# are Python's objects already (about 1.1-1.4 ms of a cold start's import).
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from switchboard.domain.tokens import count_message_tokens
from switchboard.domain.tools import BUILTIN_TOOLS
from switchboard.errors import InvalidRequestError


class _Open(BaseModel):
    # defer_build: each model's validator is built when first used, not at import: a cold
    # start builds only what its first request needs (about 14 ms less CPU for a chat).
    model_config = ConfigDict(extra="allow", defer_build=True)


class TextPart(_Open):
    type: Literal["text"]
    text: str


class ImageURL(_Open):
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Open):
    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(_Open):
    data: str
    format: str


class AudioPart(_Open):
    type: Literal["input_audio"]
    input_audio: InputAudio


class FilePart(_Open):
    type: Literal["file"]
    file: dict[str, Any]


class RefusalPart(_Open):
    type: Literal["refusal"]
    refusal: str


UserPart = Annotated[TextPart | ImagePart | AudioPart | FilePart, Field(discriminator="type")]
AssistantPart = Annotated[TextPart | RefusalPart, Field(discriminator="type")]


class FunctionCall(_Open):
    name: str
    arguments: str


class ToolCall(_Open):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class SystemMessage(_Open):
    role: Literal["system", "developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(_Open):
    role: Literal["user"]
    content: str | list[UserPart]
    name: str | None = None


class AssistantMessage(_Open):
    role: Literal["assistant"]
    content: str | list[AssistantPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None

    @model_validator(mode="after")
    def _has_something(self) -> Self:
        if self.content is None and not self.tool_calls:
            raise ValueError("an assistant message needs content or tool_calls")
        return self


class ToolMessage(_Open):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


class FunctionDefinition(_Open):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(_Open):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(_Open):
    name: str


class NamedToolChoice(_Open):
    type: Literal["function"]
    function: NamedFunction


class JsonSchemaFormat(_Open):
    name: str
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None


class ResponseFormat(_Open):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_present(self) -> Self:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("json_schema is required when type is 'json_schema'")
        return self


class StreamOptions(_Open):
    include_usage: bool = False


class ChatCompletionRequest(_Open):
    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    n: int = Field(default=1, ge=1, le=128)
    seed: int | None = None
    user: str | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    # Switchboard's: the skill whose system prompt leads the messages (domain/kits.py); the
    # chat routes apply it before validation. Never sent upstream.
    skill: str | None = Field(default=None, exclude=True)
    stream: bool = False
    stream_options: StreamOptions | None = None
    # Switchboard's: the built-in tools the gateway may run for the model (true: all of
    # them). Never sent upstream (services/tool_loop.py).
    use_tools: bool | list[str] | None = None

    @field_validator("stop")
    @classmethod
    def _stop_sequences(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and not 1 <= len(value) <= 4:
            raise ValueError("stop may hold one to four sequences")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # InvalidRequestError passes through pydantic untouched, with the field it names.
        if self.max_tokens is not None and self.max_completion_tokens is not None:
            # One output limit: max_completion_tokens, which OpenAI put in max_tokens' place.
            # It alone is held, capped and sent upstream.
            self.max_tokens = None
        if self.stream_options is not None and not self.stream:
            raise InvalidRequestError(
                "stream_options is only allowed when stream is true.", param="stream_options"
            )
        if isinstance(self.tool_choice, NamedToolChoice):
            names = {tool.function.name for tool in self.tools or []} | self.builtin_names
            if self.tool_choice.function.name not in names:
                raise InvalidRequestError(
                    "tool_choice names a function that is not in tools.", param="tool_choice"
                )
        elif self.tool_choice in ("auto", "required") and not (self.tools or self.use_tools):
            raise InvalidRequestError("tool_choice requires tools.", param="tool_choice")
        return self

    @property
    def builtin_names(self) -> set[str]:
        """The built-in tools `use_tools` allows (the names: the tool loop checks them)."""
        if self.use_tools is True:
            return set(BUILTIN_TOOLS)
        return set(self.use_tools or ())

    @property
    def output_limit(self) -> int | None:
        """The client's cap on generated tokens. A request holds at most one of
        max_tokens and max_completion_tokens: given both, max_completion_tokens wins and
        max_tokens is dropped, so the upstream receives exactly the limit that was held."""
        return self.max_completion_tokens or self.max_tokens

    @property
    def stop_sequences(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    @cached_property
    def prompt_tokens(self) -> int:
        """The prompt's length by domain/tokens.py: the local models' exact count, an
        estimate for other models. Counted once per request, whoever asks."""
        return count_message_tokens(self.message_dicts())

    def message_dicts(self, **options: Any) -> list[dict[str, Any]]:
        """The messages as plain dicts, each as its own model_dump(**options) gives it, dumped
        by this request's serializer (built with its validator, on the first validation):
        each message class's own serializer would be built on its first use, about half a
        millisecond apiece at a cold start."""
        dumped = self.model_dump(include={"messages"}, **options)
        messages: list[dict[str, Any]] = dumped["messages"]
        return messages

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class EmbeddingRequest(_Open):
    model: str = Field(min_length=1)
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _non_empty(cls, value: str | list[str]) -> str | list[str]:
        texts = [value] if isinstance(value, str) else value
        if not texts:
            raise ValueError("input must not be an empty array")
        if len(texts) > 2048:
            raise ValueError("input may hold at most 2048 strings")
        if any(text == "" for text in texts):
            raise ValueError("input must not contain empty strings")
        return value

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)
