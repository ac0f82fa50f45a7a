"""The typed events of a chat completion stream, discriminated by their ``type`` string.

`ChatCompletionAccumulator.add` returns them, and iterating a `ChatCompletionStream` yields
them; ``event.type`` tells them apart (type checkers narrow on it).
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from .chat_completion import ChatCompletion, CompletionUsage
from .chat_completion_chunk import ChatCompletionChunk

__all__ = [
    "ChatCompletionStreamEvent",
    "ChunkEvent",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "ToolCallArgumentsDeltaEvent",
    "ToolCallDoneEvent",
    "UsageEvent",
]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class ChunkEvent(_Event):
    """A chunk arrived; the first event of every chunk.

    Attributes:
        chunk: the chunk, as received.
        snapshot: the completion so far. It is the accumulator's live object, updated in place
            by later chunks: copy it (``snapshot.model_copy(deep=True)``) to keep this state.
    """

    type: Literal["chunk"] = "chunk"
    chunk: ChatCompletionChunk
    snapshot: ChatCompletion


class ContentDeltaEvent(_Event):
    """A piece of the answer's text arrived (never an empty piece).

    Attributes:
        delta: the new text.
        snapshot: the choice's whole text so far.
        choice_index: the choice it belongs to (0 unless several were asked for).
    """

    type: Literal["content.delta"] = "content.delta"
    delta: str
    snapshot: str
    choice_index: int = 0


class ContentDoneEvent(_Event):
    """The choice's text is complete (its ``finish_reason`` arrived).

    Attributes:
        content: the whole text.
        choice_index: the choice it belongs to.
    """

    type: Literal["content.done"] = "content.done"
    content: str
    choice_index: int = 0


class RefusalDeltaEvent(_Event):
    """A piece of a refusal arrived (Gloo declined to answer; see ``message.refusal``).

    Attributes:
        delta: the new text of the refusal.
        snapshot: the refusal so far.
        choice_index: the choice it belongs to.
    """

    type: Literal["refusal.delta"] = "refusal.delta"
    delta: str
    snapshot: str
    choice_index: int = 0


class RefusalDoneEvent(_Event):
    """The refusal is complete (its ``finish_reason``, usually ``content_filter``, arrived).

    Attributes:
        refusal: the whole refusal.
        choice_index: the choice it belongs to.
    """

    type: Literal["refusal.done"] = "refusal.done"
    refusal: str
    choice_index: int = 0


class ToolCallArgumentsDeltaEvent(_Event):
    """A piece of a tool call's JSON arguments arrived.

    Attributes:
        index: the tool call's index in the message.
        name: the function's name (sent with the call's first piece).
        arguments_delta: the new piece of the arguments.
        arguments: the arguments so far (not valid JSON until the call is done).
        choice_index: the choice it belongs to.
    """

    type: Literal["tool_calls.function.arguments.delta"] = "tool_calls.function.arguments.delta"
    index: int
    name: str
    arguments_delta: str
    arguments: str
    choice_index: int = 0


class ToolCallDoneEvent(_Event):
    """A tool call is complete: ``arguments`` is its whole JSON string.

    Fires when the next tool call starts (if this call's arguments are complete JSON, so that
    providers that interleave the deltas of parallel calls are not cut short), else when the
    choice's ``finish_reason`` arrives.

    Attributes:
        index: the tool call's index in the message.
        id: the tool call's id, to answer it with a ``tool`` message.
        name: the function's name.
        arguments: the JSON arguments, whole.
        choice_index: the choice it belongs to.
    """

    type: Literal["tool_calls.function.arguments.done"] = "tool_calls.function.arguments.done"
    index: int
    id: str
    name: str
    arguments: str
    choice_index: int = 0


class UsageEvent(_Event):
    """Token usage arrived (the usage-only chunk that ``include_usage`` adds at the end).

    Attributes:
        usage: the token counts.
    """

    type: Literal["usage"] = "usage"
    usage: CompletionUsage


ChatCompletionStreamEvent: TypeAlias = Annotated[
    ChunkEvent
    | ContentDeltaEvent
    | ContentDoneEvent
    | RefusalDeltaEvent
    | RefusalDoneEvent
    | ToolCallArgumentsDeltaEvent
    | ToolCallDoneEvent
    | UsageEvent,
    Field(discriminator="type"),
]
"""Any event of a chat completion stream; ``event.type`` says which."""
