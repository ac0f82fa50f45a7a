"""The keyword arguments of ``client.chat.completions`` methods, declared once per family.

Each method takes ``**kwargs: Unpack[...]`` of one of these, so mypy refuses a misspelt
argument, and the method refuses it at run time (`InvalidArgumentError`, naming the close
match) before anything is sent. The values are validated by the request models in
`gloo_ai.types.chat.params`. Use them to type a wrapper::

    async def ask(**kwargs: Unpack[CompletionCreateKwargs]) -> ChatCompletion:
        return await client.chat.completions.create(**kwargs)
"""

# No ``from __future__ import annotations`` here: ``Required`` must be seen at run time for
# ``__required_keys__`` to be right (the run-time check reads it).

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from typing_extensions import Required

from ..._call_options import CallOptions
from ..._config import NotGiven
from ..._surface import Surface
from ...tools import FunctionTool
from ..shared import ToolChoice
from .chat_completion import ChatCompletionMessage
from .params import (
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
    ModelFamily,
    StreamOptions,
    Tradition,
)

__all__ = [
    "CompletionCreateKwargs",
    "CompletionParseKwargs",
    "CompletionRunToolsKwargs",
    "CompletionV1CreateKwargs",
    "MessageInput",
    "ToolChoiceInput",
    "ToolInput",
]

MessageInput: TypeAlias = ChatCompletionMessageParam | ChatCompletionMessage | Mapping[str, Any]
"""A message: a typed message model, an assistant message from a response, or a plain dict."""

ToolInput: TypeAlias = ChatCompletionToolParam | FunctionTool[Any] | Mapping[str, Any]
"""A tool definition: a `ChatCompletionToolParam`, a `FunctionTool`, or a plain dict."""

ToolChoiceInput: TypeAlias = ToolChoice | Mapping[str, Any] | FunctionTool[Any]
"""``"none"``, ``"auto"``, ``"required"``, a named function, or the `FunctionTool` to force."""


class _CompletionFields(CallOptions, total=False):
    """The v2 fields every method takes (the arguments of ``create`` are documented there)."""

    messages: Required[Iterable[MessageInput]]
    auto_routing: bool | NotGiven
    model: str | NotGiven
    model_family: ModelFamily | NotGiven
    tradition: Tradition | NotGiven
    temperature: float | NotGiven
    max_tokens: int | NotGiven
    tool_choice: ToolChoiceInput | NotGiven
    stream_options: StreamOptions | Mapping[str, Any] | NotGiven
    surface: Surface | NotGiven


class CompletionParseKwargs(_CompletionFields, total=False):
    """The keyword arguments of ``chat.completions.parse()``: those of ``create`` but
    ``stream`` and ``response_format`` (``parse`` takes a model class for it)."""

    tools: Iterable[ToolInput] | NotGiven


class CompletionRunToolsKwargs(_CompletionFields, total=False):
    """The keyword arguments of ``chat.completions.run_tools()``: those of ``create`` but
    ``stream`` and ``tools`` (``run_tools`` takes the functions to run for it)."""

    response_format: Mapping[str, Any] | NotGiven


class CompletionCreateKwargs(CompletionParseKwargs, CompletionRunToolsKwargs, total=False):
    """The keyword arguments of ``chat.completions.create()`` (but ``stream``, which selects
    the return type) and of ``chat.completions.stream()``.

    ``messages`` is required; everything else is optional: the v2 body fields
    (``auto_routing``, ``model``, ``model_family``, ``tradition``, ``temperature``,
    ``max_tokens``, ``tools``, ``tool_choice``, ``stream_options``, ``response_format``) and
    the `CallOptions` (``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
    ``max_retries``, ``max_rate_limit_retries``, ``retry_read_errors``).
    """


class CompletionV1CreateKwargs(CallOptions, total=False):
    """The keyword arguments of the deprecated ``chat.completions_v1.create()`` (but
    ``stream``): v1 has no routing, ``tradition``, ``stream_options`` or ``response_format``."""

    messages: Required[Iterable[MessageInput]]
    model: str | NotGiven
    temperature: float | NotGiven
    max_tokens: int | NotGiven
    tools: Iterable[ToolInput] | NotGiven
    tool_choice: ToolChoiceInput | NotGiven
