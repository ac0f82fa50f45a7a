"""The typed events of a streamed response (``event:`` + ``data:`` SSE lines, §7).

Each event is typed by its ``type`` (the ``event:`` name); an event of a type this SDK does
not know is kept whole as `ResponseUnknownEvent`. The events that carry the whole response
(`ResponseCreatedEvent`, `ResponseInProgressEvent`, `ResponseCompletedEvent`,
`ResponseIncompleteEvent`) accept both shapes Gloo uses: the response's fields nested under
``response`` (as the docs show) or flat in the payload (as the live API sends them); either
way the event's ``response`` is the `Response`. Error events are not yielded: they raise
`APIStreamError`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Tag, model_validator

from ..._models import GlooModel
from .response import Response, ResponseContent, ResponseOutputItem, _type_of

__all__ = [
    "EVENT_TYPES",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseUnknownEvent",
]

_ENVELOPE = frozenset({"type", "sequence_number", "response"})


class _ResponseEvent(GlooModel):
    sequence_number: int | None = None
    response: Response

    @model_validator(mode="before")
    @classmethod
    def _flat_or_nested(cls, data: Any) -> Any:
        # The live API puts the response's fields flat in the payload; the docs nest them.
        if isinstance(data, dict) and not isinstance(data.get("response"), (dict, Response)):
            flat = {k: v for k, v in data.items() if k not in _ENVELOPE}
            envelope = {k: data[k] for k in ("type", "sequence_number") if k in data}
            return {**envelope, "response": flat}
        return data


class ResponseCreatedEvent(_ResponseEvent):
    """``response.created``: the response exists (``status`` ``"in_progress"``)."""

    type: Literal["response.created"] = "response.created"


class ResponseInProgressEvent(_ResponseEvent):
    """``response.in_progress``: the model is working."""

    type: Literal["response.in_progress"] = "response.in_progress"


class ResponseCompletedEvent(_ResponseEvent):
    """``response.completed``: the whole `Response`, with its ``usage``; the stream's end."""

    type: Literal["response.completed"] = "response.completed"


class ResponseIncompleteEvent(_ResponseEvent):
    """``response.incomplete``: the response stopped early (``incomplete_details`` says why,
    such as ``max_output_tokens``); also the stream's end."""

    type: Literal["response.incomplete"] = "response.incomplete"


class _ItemEvent(GlooModel):
    sequence_number: int | None = None
    output_index: int = 0
    item: ResponseOutputItem


class ResponseOutputItemAddedEvent(_ItemEvent):
    """``response.output_item.added``: an output item begins (``item``, at ``output_index``)."""

    type: Literal["response.output_item.added"] = "response.output_item.added"


class ResponseOutputItemDoneEvent(_ItemEvent):
    """``response.output_item.done``: an output item is complete."""

    type: Literal["response.output_item.done"] = "response.output_item.done"


class _PartEvent(GlooModel):
    sequence_number: int | None = None
    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    part: ResponseContent


class ResponseContentPartAddedEvent(_PartEvent):
    """``response.content_part.added``: a content part of a message begins."""

    type: Literal["response.content_part.added"] = "response.content_part.added"


class ResponseContentPartDoneEvent(_PartEvent):
    """``response.content_part.done``: a content part is complete."""

    type: Literal["response.content_part.done"] = "response.content_part.done"


class _TextEvent(GlooModel):
    sequence_number: int | None = None
    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    logprobs: list[Any] = Field(default_factory=list)


class ResponseTextDeltaEvent(_TextEvent):
    """``response.output_text.delta``: the next piece of text (``delta``)."""

    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    delta: str = ""


class ResponseTextDoneEvent(_TextEvent):
    """``response.output_text.done``: a text part is complete (``text``, all of it)."""

    type: Literal["response.output_text.done"] = "response.output_text.done"
    text: str = ""


class ResponseFunctionCallArgumentsDeltaEvent(GlooModel):
    """``response.function_call_arguments.delta``: the next piece of a call's arguments."""

    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )
    sequence_number: int | None = None
    item_id: str = ""
    output_index: int = 0
    delta: str = ""


class ResponseFunctionCallArgumentsDoneEvent(GlooModel):
    """``response.function_call_arguments.done``: a call's ``arguments`` are complete."""

    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    sequence_number: int | None = None
    item_id: str = ""
    output_index: int = 0
    arguments: str = ""


class ResponseUnknownEvent(GlooModel):
    """An event of a type this SDK does not know; its fields are kept as sent."""

    type: str = ""
    sequence_number: int | None = None


EVENT_TYPES: dict[str, type[GlooModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        ResponseCreatedEvent,
        ResponseInProgressEvent,
        ResponseCompletedEvent,
        ResponseIncompleteEvent,
        ResponseOutputItemAddedEvent,
        ResponseOutputItemDoneEvent,
        ResponseContentPartAddedEvent,
        ResponseContentPartDoneEvent,
        ResponseTextDeltaEvent,
        ResponseTextDoneEvent,
        ResponseFunctionCallArgumentsDeltaEvent,
        ResponseFunctionCallArgumentsDoneEvent,
    )
}
"""The model of each known event type."""

ResponseStreamEvent = Annotated[
    Annotated[ResponseCreatedEvent, Tag("response.created")]
    | Annotated[ResponseInProgressEvent, Tag("response.in_progress")]
    | Annotated[ResponseCompletedEvent, Tag("response.completed")]
    | Annotated[ResponseIncompleteEvent, Tag("response.incomplete")]
    | Annotated[ResponseOutputItemAddedEvent, Tag("response.output_item.added")]
    | Annotated[ResponseOutputItemDoneEvent, Tag("response.output_item.done")]
    | Annotated[ResponseContentPartAddedEvent, Tag("response.content_part.added")]
    | Annotated[ResponseContentPartDoneEvent, Tag("response.content_part.done")]
    | Annotated[ResponseTextDeltaEvent, Tag("response.output_text.delta")]
    | Annotated[ResponseTextDoneEvent, Tag("response.output_text.done")]
    | Annotated[
        ResponseFunctionCallArgumentsDeltaEvent, Tag("response.function_call_arguments.delta")
    ]
    | Annotated[
        ResponseFunctionCallArgumentsDoneEvent, Tag("response.function_call_arguments.done")
    ]
    | Annotated[ResponseUnknownEvent, Tag("unknown")],
    _type_of(frozenset(EVENT_TYPES)),
]
"""An event of a streamed response, typed by its ``type``."""
