"""Request models for chat completions. Plain dicts of the same shape are accepted too."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import Field, field_validator

from ..._models import RequestModel
from ..._warnings import warn_at_caller
from ..shared import FunctionDefinition, FunctionToolParam, NamedToolChoice, ToolChoice

__all__ = [
    "AssistantMessage",
    "ChatCompletionMessageParam",
    "ChatCompletionToolParam",
    "FunctionDefinition",
    "ModelFamily",
    "NamedToolChoice",
    "StreamOptions",
    "SystemMessage",
    "ToolCallFunctionParam",
    "ToolCallParam",
    "ToolChoice",
    "ToolMessage",
    "Tradition",
    "UserMessage",
]

Tradition = Literal["evangelical", "catholic", "mainline", "not_faith_specific"]
"""The faith tradition an answer should reflect; omit it for a general Christian perspective."""

_TRADITIONS: tuple[str, ...] = get_args(Tradition)

ModelFamily: TypeAlias = Literal["openai", "anthropic", "google", "open source"] | str
"""A model family for ``model_family`` routing (matched case-insensitively by Gloo)."""

MessageContent: TypeAlias = str | list[dict[str, Any]]


class SystemMessage(RequestModel):
    """Instructions for the model."""

    role: Literal["system"] = "system"
    content: MessageContent
    name: str | None = None


class UserMessage(RequestModel):
    """What the user says."""

    role: Literal["user"] = "user"
    content: MessageContent
    name: str | None = None


class ToolCallFunctionParam(RequestModel):
    """The function of a tool call, as sent back in an assistant message."""

    name: str
    arguments: str


class ToolCallParam(RequestModel):
    """A tool call the assistant made, as sent back in the conversation."""

    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunctionParam


class AssistantMessage(RequestModel):
    """A previous answer of the assistant: text, or the tool calls it made."""

    role: Literal["assistant"] = "assistant"
    content: MessageContent | None = None
    name: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallParam] | None = None


class ToolMessage(RequestModel):
    """The result of a tool call, answering the call with id ``tool_call_id``."""

    role: Literal["tool"] = "tool"
    content: MessageContent
    tool_call_id: str


ChatCompletionMessageParam = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage,
    Field(discriminator="role"),
]
"""Any message of a conversation (``role`` is ``system``, ``user``, ``assistant`` or ``tool``)."""


ChatCompletionToolParam = FunctionToolParam
"""A tool offered to the model (OpenAI's function-tool shape); see `FunctionToolParam`."""


class StreamOptions(RequestModel):
    """Streaming options; ``include_usage=True`` adds a final usage-only chunk."""

    include_usage: bool | None = None


class CompletionCreateParams(RequestModel):
    """Validates the fields of a v2 completion request (routing is checked separately)."""

    messages: list[ChatCompletionMessageParam] = Field(min_length=1)
    auto_routing: bool | None = None
    model: str | None = Field(default=None, min_length=1)
    model_family: ModelFamily | None = Field(default=None, min_length=1)
    tradition: Tradition | str | None = Field(default=None, min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    tools: list[ChatCompletionToolParam] | None = None
    tool_choice: ToolChoice | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    response_format: dict[str, Any] | None = None

    @field_validator("tradition")
    @classmethod
    def _known_tradition(cls, value: str | None) -> str | None:
        # Tolerant: a tradition the platform added after this release is sent as it is.
        if value is not None and value not in _TRADITIONS:
            warn_at_caller(
                f"tradition={value!r} is not one this version of gloo_ai knows "
                f"({', '.join(_TRADITIONS)}); it is sent as it is. Check its spelling."
            )
        return value


class CompletionV1CreateParams(RequestModel):
    """Validates the fields of a deprecated v1 completion request."""

    messages: list[ChatCompletionMessageParam] = Field(min_length=1)
    model: str | None = Field(default=None, min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    tools: list[ChatCompletionToolParam] | None = None
    tool_choice: ToolChoice | None = None
    stream: bool | None = None
