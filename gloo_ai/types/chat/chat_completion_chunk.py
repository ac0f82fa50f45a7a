"""One chunk of a streamed chat completion."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..._models import GlooModel
from .chat_completion import FinishReason, RoutingMetadata

__all__ = [
    "ChatCompletionChunk",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
]


class ChoiceDeltaToolCallFunction(GlooModel):
    """A piece of a tool call's function: its name (first piece) and part of its arguments."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCall(GlooModel):
    """A piece of one tool call; pieces with the same ``index`` belong together."""

    index: int = 0
    id: str | None = None
    type: Literal["function"] | str | None = None
    function: ChoiceDeltaToolCallFunction | None = None


class ChoiceDelta(GlooModel):
    """What a chunk adds to the message: role (first chunk), content, refusal, tool calls."""

    role: Literal["assistant"] | str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None


class ChunkChoice(GlooModel):
    """One choice of a chunk. A non-null ``finish_reason`` ends the content."""

    index: int = 0
    delta: ChoiceDelta = ChoiceDelta()
    finish_reason: FinishReason | None = None
    logprobs: Any = None


class ChatCompletionChunk(RoutingMetadata):
    """A streamed chunk.

    The last chunk, sent only with ``stream_options={"include_usage": True}``, has empty
    ``choices`` and carries ``usage``. Gloo may put routing metadata and ``ttft_ms`` (time to
    first token, in milliseconds) on chunks; every field is optional (``choices`` defaults to
    an empty list).
    """

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    ttft_ms: float | None = None
