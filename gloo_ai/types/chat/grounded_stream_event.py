"""The events of a streamed grounded completion: the chat events and `CitationsEvent`."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from .chat_completion_stream_event import (
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    ToolCallArgumentsDeltaEvent,
    ToolCallDoneEvent,
    UsageEvent,
)
from .grounded_completion import Citation

__all__ = ["CitationsEvent", "GroundedChatCompletionStreamEvent"]


class CitationsEvent(BaseModel):
    """Citations arrived (with ``include_citations=True``, the first event, before content).

    Attributes:
        citations: the citations this event added.
        snapshot: every citation received so far.
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["citations"] = "citations"
    citations: list[Citation]
    snapshot: list[Citation]


GroundedChatCompletionStreamEvent: TypeAlias = Annotated[
    ChunkEvent
    | CitationsEvent
    | ContentDeltaEvent
    | ContentDoneEvent
    | RefusalDeltaEvent
    | RefusalDoneEvent
    | ToolCallArgumentsDeltaEvent
    | ToolCallDoneEvent
    | UsageEvent,
    Field(discriminator="type"),
]
"""Any event of a grounded completion stream: a chat event, or `CitationsEvent`."""
