"""The request of ``client.responses.create()``: its keyword arguments and body models (§7).

``input`` is a string, or a list of items: messages (``{"role", "content"}``, the content a
string or typed parts ``input_text`` / ``input_image``), function calls and their outputs.
Tools are flat function tools (``{"type": "function", "name", "parameters"}``), unlike chat
completions' nested ``function``; `FunctionTool` objects are converted for you.
"""

# No ``from __future__ import annotations`` here: ``Required`` must be seen at run time for
# ``__required_keys__`` to be right (the run-time check reads it).

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import Discriminator, Field, Tag, field_validator
from typing_extensions import Required

from ..._call_options import CallOptions
from ..._config import NotGiven
from ..._models import GlooModel, RequestModel
from ..._surface import Surface
from ..._warnings import warn_at_caller
from ...tools import FunctionTool

__all__ = [
    "ResponseCreateKwargs",
    "ResponseCreateParams",
    "ResponseFunctionCallOutputParam",
    "ResponseFunctionCallParam",
    "ResponseFunctionToolParam",
    "ResponseInputImageParam",
    "ResponseInputItemParam",
    "ResponseInputMessageParam",
    "ResponseInputTextParam",
    "ResponseNamedToolChoice",
    "ResponseOutputTextParam",
    "ResponseToolChoice",
    "ResponseToolParam",
]

_Tradition = Literal["evangelical", "catholic", "mainline", "not_faith_specific"]
_TRADITIONS: tuple[str, ...] = get_args(_Tradition)


class ResponseInputTextParam(RequestModel):
    """A text part of an input message: ``{"type": "input_text", "text"}``."""

    type: Literal["input_text"] = "input_text"
    text: str


class ResponseInputImageParam(RequestModel):
    """An image part of an input message: ``{"type": "input_image", "image_url"}``.

    ``image_url`` is an ``https://`` URL or a ``data:image/...;base64,`` URL.
    """

    type: Literal["input_image"] = "input_image"
    image_url: str = Field(min_length=1)
    detail: Literal["auto", "low", "high"] | None = None


class ResponseOutputTextParam(RequestModel):
    """A text part of an assistant message sent back as input: ``{"type": "output_text"}``."""

    type: Literal["output_text"] = "output_text"
    text: str


_InputPart = Annotated[
    ResponseInputTextParam | ResponseInputImageParam | ResponseOutputTextParam,
    Field(discriminator="type"),
]


class ResponseInputMessageParam(RequestModel):
    """A message of ``input``: ``{"role", "content"}``.

    Attributes:
        role: ``"user"``, ``"system"``, ``"developer"`` or ``"assistant"``.
        content: a string, or a non-empty list of parts (``input_text``, ``input_image``;
            ``output_text`` for an assistant's message).
    """

    type: Literal["message"] | None = None
    role: Literal["user", "system", "developer", "assistant"]
    content: str | Annotated[list[_InputPart], Field(min_length=1)]


class ResponseFunctionCallParam(RequestModel):
    """A function call of an earlier response, sent back in ``input`` before its output."""

    type: Literal["function_call"] = "function_call"
    call_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    arguments: str
    id: str | None = None


class ResponseFunctionCallOutputParam(RequestModel):
    """The result of a function call: ``{"type": "function_call_output", "call_id", "output"}``."""

    type: Literal["function_call_output"] = "function_call_output"
    call_id: str = Field(min_length=1)
    output: str


def _input_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, Mapping) else getattr(value, "type", None)
    return kind if kind in ("function_call", "function_call_output") else "message"


ResponseInputItemParam = Annotated[
    Annotated[ResponseInputMessageParam, Tag("message")]
    | Annotated[ResponseFunctionCallParam, Tag("function_call")]
    | Annotated[ResponseFunctionCallOutputParam, Tag("function_call_output")],
    Discriminator(_input_kind),
]
"""An item of ``input``: a message, a function call, or a function call's output."""


class ResponseFunctionToolParam(RequestModel):
    """A function tool, in the Responses shape: ``{"type": "function", "name", "parameters"}``."""

    type: Literal["function"] = "function"
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


def _tool_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, Mapping) else getattr(value, "type", None)
    return "function" if kind in (None, "function") else "built_in"


ResponseToolParam = Annotated[
    Annotated[ResponseFunctionToolParam, Tag("function")]
    | Annotated[dict[str, Any], Tag("built_in")],
    Discriminator(_tool_kind),
]
"""A tool: a function tool (validated), or a built-in tool such as
``{"type": "image_generation"}`` (sent as given)."""


class ResponseNamedToolChoice(RequestModel):
    """Force a call of one function: ``{"type": "function", "name"}``."""

    type: Literal["function"] = "function"
    name: str = Field(min_length=1)


ResponseToolChoice: TypeAlias = Literal["none", "auto", "required"] | ResponseNamedToolChoice
"""``"none"``, ``"auto"``, ``"required"``, or the function to force."""


class ResponseCreateParams(RequestModel):
    """Validates the body of a Responses API request."""

    model: str = Field(min_length=1, pattern=r"\S")
    input: (
        Annotated[str, Field(min_length=1, pattern=r"\S")]
        | Annotated[list[ResponseInputItemParam], Field(min_length=1)]
    )
    instructions: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    tools: list[ResponseToolParam] | None = None
    tool_choice: ResponseToolChoice | None = None
    tradition: _Tradition | str | None = Field(default=None, min_length=1)
    stream: bool | None = None

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


InputItem: TypeAlias = ResponseInputItemParam | GlooModel | Mapping[str, Any]
"""An input item: a param model, an output item of an earlier `Response`, or a plain dict."""

ToolParamInput: TypeAlias = ResponseFunctionToolParam | FunctionTool[Any] | Mapping[str, Any]
"""A tool: a `ResponseFunctionToolParam`, a `FunctionTool`, or a plain dict (a function tool
in either shape, or a built-in tool such as ``{"type": "image_generation"}``)."""


class ResponseCreateKwargs(CallOptions, total=False):
    """The keyword arguments of ``client.responses.create()`` (but ``stream``) and of
    ``client.responses.stream()``.

    ``model`` and ``input`` are required; the rest is optional: ``instructions``,
    ``max_output_tokens``, ``temperature``, ``tools``, ``tool_choice``, ``tradition``,
    ``surface`` and the `CallOptions` (``extra_headers``, ``extra_query``, ``extra_body``,
    ``timeout``, ``max_retries``).
    """

    model: Required[str]
    input: Required[str | Iterable[InputItem]]
    instructions: str | NotGiven
    max_output_tokens: int | NotGiven
    temperature: float | NotGiven
    tools: Iterable[ToolParamInput] | NotGiven
    tool_choice: ResponseToolChoice | Mapping[str, Any] | FunctionTool[Any] | NotGiven
    tradition: _Tradition | NotGiven
    surface: Surface | NotGiven
