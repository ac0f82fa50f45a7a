"""The answer of the Responses API: `Response`, its ``output`` items and ``usage`` (§7).

OpenAI's Responses shape. Each ``output`` item and each content part is typed by its
``type``; an item or part of a type this SDK does not know is kept whole, as
`ResponseUnknownItem` or `ResponseUnknownContent`, and every unknown field is kept too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from ..._models import GlooModel

__all__ = [
    "Response",
    "ResponseContent",
    "ResponseError",
    "ResponseFunctionToolCall",
    "ResponseImageGenerationCall",
    "ResponseOutputItem",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseOutputText",
    "ResponseReasoningItem",
    "ResponseUnknownContent",
    "ResponseUnknownItem",
    "ResponseUsage",
]


def _type_of(known: frozenset[str]) -> Any:
    """A discriminator: the ``type`` of a dict or model, or ``"unknown"`` if it is not known."""

    def discriminate(value: Any) -> str:
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        return kind if isinstance(kind, str) and kind in known else "unknown"

    return Discriminator(discriminate)


class ResponseOutputText(GlooModel):
    """A text part of a message: ``{"type": "output_text", "text", "annotations"}``."""

    type: Literal["output_text"] = "output_text"
    text: str = ""
    annotations: list[Any] = Field(default_factory=list)


class ResponseOutputRefusal(GlooModel):
    """A refusal part of a message: ``{"type": "refusal", "refusal"}``."""

    type: Literal["refusal"] = "refusal"
    refusal: str = ""


class ResponseUnknownContent(GlooModel):
    """A content part of a type this SDK does not know; its fields are kept as sent."""

    type: str = ""


ResponseContent = Annotated[
    Annotated[ResponseOutputText, Tag("output_text")]
    | Annotated[ResponseOutputRefusal, Tag("refusal")]
    | Annotated[ResponseUnknownContent, Tag("unknown")],
    _type_of(frozenset({"output_text", "refusal"})),
]
"""A content part of an output message: `ResponseOutputText`, `ResponseOutputRefusal`, or
`ResponseUnknownContent`."""


class ResponseOutputMessage(GlooModel):
    """An output message: ``{"type": "message", "role": "assistant", "content": [...]}``.

    Attributes:
        id: the item's id.
        role: ``"assistant"``.
        status: ``"in_progress"``, ``"completed"`` or ``"incomplete"``.
        content: its parts (`ResponseOutputText`, `ResponseOutputRefusal`...).
    """

    type: Literal["message"] = "message"
    id: str = ""
    role: str = "assistant"
    status: str | None = None
    content: list[ResponseContent] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The text parts joined."""
        return "".join(p.text for p in self.content if isinstance(p, ResponseOutputText))


class ResponseFunctionToolCall(GlooModel):
    """A call of a function tool: ``{"type": "function_call", "call_id", "name", "arguments"}``.

    Attributes:
        call_id: the id to answer with a ``function_call_output`` input item.
        name: the function's name.
        arguments: its arguments, a JSON string (``tool.parse_arguments`` parses them).
        id: the item's id.
        status: the item's status.
    """

    type: Literal["function_call"] = "function_call"
    call_id: str = ""
    name: str
    arguments: str = ""
    id: str | None = None
    status: str | None = None


class ResponseReasoningItem(GlooModel):
    """The model's reasoning: ``{"type": "reasoning", "summary": [...]}``.

    Attributes:
        id: the item's id.
        summary: summary parts (``{"type": "summary_text", "text"}``), where sent.
        content: reasoning text parts, where sent.
        encrypted_content: the opaque reasoning, where sent.
    """

    type: Literal["reasoning"] = "reasoning"
    id: str = ""
    summary: list[Any] = Field(default_factory=list)
    content: list[Any] | None = None
    encrypted_content: str | None = None
    status: str | None = None


class ResponseImageGenerationCall(GlooModel):
    """A generated image: ``{"type": "image_generation_call", "result": <base64>}``.

    Attributes:
        id: the item's id.
        status: ``"completed"``, ``"generating"``...
        result: the image, base64-encoded, where it is ready.
    """

    type: Literal["image_generation_call"] = "image_generation_call"
    id: str = ""
    status: str | None = None
    result: str | None = None


class ResponseUnknownItem(GlooModel):
    """An output item of a type this SDK does not know; its fields are kept as sent."""

    type: str = ""


ResponseOutputItem = Annotated[
    Annotated[ResponseOutputMessage, Tag("message")]
    | Annotated[ResponseFunctionToolCall, Tag("function_call")]
    | Annotated[ResponseReasoningItem, Tag("reasoning")]
    | Annotated[ResponseImageGenerationCall, Tag("image_generation_call")]
    | Annotated[ResponseUnknownItem, Tag("unknown")],
    _type_of(frozenset({"message", "function_call", "reasoning", "image_generation_call"})),
]
"""An item of ``Response.output``, typed by its ``type``."""


class ResponseUsage(GlooModel):
    """Token counts: ``input_tokens``, ``output_tokens``, ``total_tokens`` and details."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None


class ResponseError(GlooModel):
    """Why a response failed: ``code`` and ``message``."""

    code: str | int | None = None
    message: str | None = None


class Response(GlooModel):
    """A response of the Responses API (``client.responses.create``).

    Attributes:
        id: the response's id.
        object: ``"response"``.
        created_at: unix seconds.
        model: the model that answered.
        status: ``"completed"``, ``"in_progress"``, ``"failed"``, ``"incomplete"``...
        output: the items: messages, function calls, reasoning, generated images.
        usage: the token counts, where sent.
        error: why it failed, where it did.
    """

    id: str = ""
    object: str = "response"
    created_at: float | None = None
    model: str = ""
    status: str | None = None
    output: list[ResponseOutputItem] = Field(default_factory=list)
    usage: ResponseUsage | None = None
    error: ResponseError | None = None
    incomplete_details: dict[str, Any] | None = None
    instructions: Any = None
    max_output_tokens: int | None = None

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of the output messages, joined."""
        return "".join(item.text for item in self.output if isinstance(item, ResponseOutputMessage))

    @property
    def function_calls(self) -> list[ResponseFunctionToolCall]:
        """The function tool calls of the output, in order."""
        return [item for item in self.output if isinstance(item, ResponseFunctionToolCall)]
