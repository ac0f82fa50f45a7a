"""``client.chat.completions``: chat completions v2 (``POST /ai/v2/chat/completions``).

Every method takes its arguments as ``**kwargs: Unpack[...]`` of a TypedDict declared once in
`gloo_ai.types.chat.completion_create_params`: mypy refuses a misspelt argument, and so does
the method at run time (`InvalidArgumentError`, naming the close match) before any I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast, overload

from typing_extensions import Unpack

from ..._call_options import UnexpectedArgumentError, check_arguments
from ..._config import NOT_GIVEN, NotGiven
from ..._response import APIResponse
from ..._streaming import AsyncStream
from ..._surface import SurfacePaths
from ...types.chat import ChatCompletion, ChatCompletionChunk
from ...types.chat.completion_create_params import (
    CompletionCreateKwargs,
    CompletionParseKwargs,
    CompletionRunToolsKwargs,
    MessageInput,
    ToolChoiceInput,
    ToolInput,
)
from ...types.chat.params import CompletionCreateParams
from ...types.chat.parsed_chat_completion import ParsedChatCompletion
from .._base import raw_response_wrapper
from ._parsing import ResponseFormatT, parse_completion, response_format_param
from ._request import _CompletionsBase, refuse_stream
from ._stream_helpers import ChatCompletionStreamManager
from ._tool_runner import ToolLike, ToolRunResult, run_tool_loop

__all__ = [
    "AsyncCompletions",
    "MessageInput",
    "ToolChoiceInput",
    "ToolInput",
]

V2_PATH = "/ai/v2/chat/completions"
V2_PATHS = SurfacePaths(
    "chat.completions",
    standard=V2_PATH,
    guarded="/ai/v2/guarded/chat/completions",
    direct="/ai/v2/direct/chat/completions",
)


class AsyncCompletions(_CompletionsBase):
    """Chat completions v2: ``POST /ai/v2/chat/completions``, with Gloo's routing."""

    @property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        """The same methods, returning the `APIResponse` (status, headers, request id)."""
        return AsyncCompletionsWithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] | NotGiven = ...,
        **kwargs: Unpack[CompletionCreateKwargs],
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **kwargs: Unpack[CompletionCreateKwargs]
    ) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(
        self, *, stream: bool, **kwargs: Unpack[CompletionCreateKwargs]
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...

    async def create(
        self,
        *,
        stream: bool | NotGiven = NOT_GIVEN,
        **kwargs: Unpack[CompletionCreateKwargs],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion (``POST /ai/v2/chat/completions``).

        Gloo routes each request by exactly one mechanism: ``auto_routing=True`` (the default
        when none is given: Gloo picks the model), ``model`` (a Gloo model id such as
        ``"gloo-openai-gpt-5-mini"``) or ``model_family`` (``"openai"``, ``"anthropic"``,
        ``"google"``, ``"open source"``). Passing two raises `InvalidArgumentError` before
        anything is sent. The arguments are declared in `CompletionCreateKwargs`; a misspelt
        one is refused by mypy and, at run time, by `InvalidArgumentError`.

        Args:
            stream: return an `AsyncStream` of `ChatCompletionChunk` instead.
            **kwargs: the request, `CompletionCreateKwargs`:

                - ``messages`` (required): the conversation: dicts or message models with
                  role ``system``, ``user``, ``assistant`` or ``tool``; at least one.
                - ``auto_routing``: let Gloo choose the model for the request.
                - ``model``: a Gloo model id (see the model catalog).
                - ``model_family``: a model family; Gloo picks the model within it.
                - ``tradition``: ``"evangelical"``, ``"catholic"``, ``"mainline"`` or
                  ``"not_faith_specific"``; omit it for a general Christian perspective.
                  Another value is sent as it is, with an `UnknownValueWarning`.
                - ``temperature``: 0 to 2.
                - ``max_tokens``: at least 1; reasoning models need about 1024 or more.
                - ``tools``: function tools the model may call.
                - ``tool_choice``: ``"none"``, ``"auto"``, ``"required"``, or
                  ``{"type": "function", "function": {"name": ...}}`` (OpenAI's form, which
                  Gloo does not document).
                - ``stream_options``: ``{"include_usage": True}`` adds a final usage-only
                  chunk.
                - ``response_format``: for example
                  ``{"type": "json_schema", "json_schema": {...}}``.
                - ``extra_headers``, ``extra_query``: headers and query parameters to add.
                - ``extra_body``: fields to add to the JSON body (for fields this SDK does
                  not know).
                - ``timeout``, ``max_retries``, ``max_rate_limit_retries``: this call's,
                  overriding the client's.
                - ``retry_read_errors``: re-send this call after a read timeout or a
                  dropped answer (it may then run, and be billed, twice).

        Returns:
            A `ChatCompletion`, or an `AsyncStream[ChatCompletionChunk]` with ``stream=True``.

        Raises:
            InvalidArgumentError: the arguments are invalid (an unknown or missing one, a
                value out of range, two routing mechanisms); nothing was sent.
            APIStatusError: the API answered with an error status (a subclass per status).
            APIConnectionError: no answer arrived (`APITimeoutError` on a timeout).
        """
        where = "chat.completions.create"
        check_arguments(where, kwargs, CompletionCreateKwargs, also=("stream",))
        return await self._create(
            V2_PATHS, where, CompletionCreateParams, kwargs, stream=stream, routed=True
        )

    # -- structured output and the tool loop (_parsing.py, _tool_runner.py) -------------------

    async def parse(
        self,
        *,
        response_format: type[ResponseFormatT],
        **kwargs: Unpack[CompletionParseKwargs],
    ) -> ParsedChatCompletion[ResponseFormatT]:
        """Ask for JSON matching a pydantic model, and parse the answer into it.

        Sends the strict ``json_schema`` response format built from the model
        (``{"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}``,
        the schema made strict: every property required, no additional properties).

        Example::

            class Verse(BaseModel):
                reference: str
                text: str

            completion = await client.chat.completions.parse(
                response_format=Verse,
                messages=[{"role": "user", "content": "A verse about hope, as JSON."}],
            )
            message = completion.choices[0].message
            if message.parsed is not None:
                print(message.parsed.reference)
            else:
                print("Refused:", message.refusal)

        Args:
            response_format: the pydantic model class to parse the answer into.
            **kwargs: `CompletionParseKwargs`: ``messages`` and any other argument of
                `create` (``model``, ``tradition``, ``max_tokens``, ``tools``...), except
                ``stream``.

        Returns:
            A `ParsedChatCompletion`: ``choices[i].message.parsed`` is a ``response_format``
            instance, or None when the platform refused (``message.refusal`` is then set and
            ``finish_reason`` is ``"content_filter"``) or the model called tools.

        Raises:
            InvalidArgumentError: ``stream=True`` or an unknown argument was passed, or
                ``response_format`` is not a pydantic model class; nothing was sent.
            LengthFinishReasonError: the answer was cut off at ``max_tokens``.
            ResponseParseError: the answer is not valid JSON or does not match the model.
        """
        refuse_stream(
            kwargs,
            "parse() cannot stream: it parses the whole answer. Remove stream=True, or use "
            "stream() with a json_schema response_format.",
        )
        check_arguments(
            "chat.completions.parse", kwargs, CompletionParseKwargs, also=("response_format",)
        )
        fmt = response_format_param(response_format)
        raw: APIResponse[ChatCompletion] = await raw_response_wrapper(self.create)(
            response_format=fmt, **kwargs
        )
        return parse_completion(raw.parse(), response_format, raw.http_response)

    async def run_tools(
        self,
        *,
        tools: Sequence[ToolLike],
        max_steps: int = 10,
        on_tool_error: Literal["report", "raise"] = "report",
        **kwargs: Unpack[CompletionRunToolsKwargs],
    ) -> ToolRunResult:
        """Call the model, run the tools it asks for, feed back the results; repeat.

        Each step calls `create` (never streaming). While the answer has tool calls, the
        assistant message is appended to the conversation, all the requested tools run
        concurrently (async functions on the event loop, sync ones in worker threads), and
        their results are appended in the order of the calls. The loop ends at an answer
        without tool calls.

        Example::

            async def get_weather(city: str) -> str:
                \"\"\"The current weather in a city.\"\"\"
                return "sunny"

            result = await client.chat.completions.run_tools(
                messages=[{"role": "user", "content": "Weather in Denver?"}],
                tools=[get_weather],
            )
            print(result.completion.choices[0].message.content, result.steps)

        Args:
            tools: typed functions (sync or async) or `FunctionTool` objects made from them.
            max_steps: the most model calls; at least 1.
            on_tool_error: ``"report"`` (the default) sends a failing tool's error,
                ``"Error: <type>: <message>"``, back to the model as the tool's result;
                ``"raise"`` stops the loop and raises it. Invalid arguments and unknown tool
                names are treated the same way (`ToolArgumentsError`, `UnknownToolError`).
            **kwargs: `CompletionRunToolsKwargs`: ``messages`` (the conversation, as for
                `create`) and any other argument of `create` (``model``, ``tradition``,
                ``tool_choice``...), except ``stream`` and ``tools``. Note that
                ``tool_choice="required"`` or a named function applies to every step.

        Returns:
            A `ToolRunResult`: the final ``completion``, the whole ``messages`` transcript
            (the input messages first, the final assistant message last) and ``steps``.

        Raises:
            ToolLoopLimitError: the model still asked for tools at the ``max_steps``-th call.
            InvalidArgumentError: the arguments are invalid (an unknown argument, a tool
                without a function to run...); nothing was sent.
        """
        refuse_stream(
            kwargs,
            "run_tools does not stream: it needs each whole answer to run its tool calls. "
            "Remove stream=True.",
        )
        check_arguments(
            "chat.completions.run_tools",
            kwargs,
            CompletionRunToolsKwargs,
            also=("tools", "max_steps", "on_tool_error"),
        )
        create_kwargs: dict[str, Any] = dict(kwargs)
        messages = create_kwargs.pop("messages")
        return await run_tool_loop(
            self.create,
            messages=messages,
            tools=tools,
            max_steps=max_steps,
            on_tool_error=on_tool_error,
            create_kwargs=create_kwargs,
        )

    # -- the stream helper (_stream_helpers.py) -------------------------------------------------

    def stream(self, **kwargs: Unpack[CompletionCreateKwargs]) -> ChatCompletionStreamManager:
        """Stream a chat completion as typed events: ``async with ...stream(...) as stream``.

        It takes the arguments of `create` (but ``stream``) and sends ``stream=True`` and,
        unless you pass ``stream_options``, ``{"include_usage": True}`` so that the final
        completion has its usage. The arguments are checked at once; the request is sent
        when the ``async with`` block is entered, and leaving the block closes the stream and
        releases its connection.

        Example::

            async with client.chat.completions.stream(
                messages=[{"role": "user", "content": "What is grace?"}],
            ) as stream:
                async for text in stream.text_stream:
                    print(text, end="", flush=True)
                completion = await stream.get_final_completion()
            print(completion.usage)

        Args:
            **kwargs: `CompletionCreateKwargs`, as for `create`; ``stream_options`` defaults
                to ``{"include_usage": True}``, and ``max_retries`` applies to the opening
                of the stream.

        Returns:
            A `ChatCompletionStreamManager`: ``async with`` it to get a `ChatCompletionStream`.

        Raises:
            InvalidArgumentError: an unknown or missing argument; nothing will be sent.
        """
        if "stream" in kwargs:
            raise UnexpectedArgumentError(
                "chat.completions.stream() always streams: remove the stream argument."
            )
        check_arguments("chat.completions.stream", kwargs, CompletionCreateKwargs)
        if isinstance(kwargs.get("stream_options", NOT_GIVEN), NotGiven):
            kwargs["stream_options"] = {"include_usage": True}

        async def open_stream() -> AsyncStream[ChatCompletionChunk]:
            # mypy does not pick an overload for ``**`` of a TypedDict: it infers Any.
            opened = await self.create(stream=True, **kwargs)
            return cast("AsyncStream[ChatCompletionChunk]", opened)

        return ChatCompletionStreamManager(open_stream)


class AsyncCompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = raw_response_wrapper(completions.create)
