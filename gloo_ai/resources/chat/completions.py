"""``client.chat.completions`` (v2) and ``client.chat.completions_v1`` (deprecated v1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import pydantic
from pydantic import BaseModel

from ..._config import NOT_GIVEN, NotGiven
from ..._exceptions import InvalidArgumentError
from ..._response import APIResponse
from ..._streaming import AsyncStream
from ...tools import FunctionTool
from ...tools._function_tool import resolve_tool_fields
from ...types.chat import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionToolParam,
    ModelFamily,
    StreamOptions,
    ToolChoice,
    Tradition,
)
from ...types.chat.params import (
    ChatCompletionMessageParam,
    CompletionCreateParams,
    CompletionV1CreateParams,
    ToolCallFunctionParam,
    ToolCallParam,
)
from ...types.chat.parsed_chat_completion import ParsedChatCompletion
from .._base import (
    AsyncAPIResource,
    invalid_arguments,
    parse_model,
    raw_response_wrapper,
    request_options,
    warn_deprecated,
)
from ._chunk_stream import chunk_stream_parser
from ._parsing import ResponseFormatT, parse_completion, response_format_param
from ._stream_helpers import ChatCompletionStreamManager
from ._tool_runner import ToolLike, ToolRunResult, run_tool_loop

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AsyncCompletions",
    "AsyncCompletionsV1",
    "MessageInput",
    "ToolChoiceInput",
    "ToolInput",
]

V2_PATH = "/ai/v2/chat/completions"
V1_PATH = "/ai/v1/chat/completions"

MessageInput: TypeAlias = ChatCompletionMessageParam | ChatCompletionMessage | Mapping[str, Any]
"""A message: a typed message model, an assistant message from a response, or a plain dict."""

ToolInput: TypeAlias = ChatCompletionToolParam | FunctionTool[Any] | Mapping[str, Any]
"""A tool definition: a `ChatCompletionToolParam`, a `FunctionTool`, or a plain dict."""

ToolChoiceInput: TypeAlias = ToolChoice | Mapping[str, Any] | FunctionTool[Any]
"""``"none"``, ``"auto"``, ``"required"``, a named function, or the `FunctionTool` to force."""

_ChatResult: TypeAlias = ChatCompletion | AsyncStream[ChatCompletionChunk]


def _message_input(message: object) -> object:
    if isinstance(message, ChatCompletionMessage):
        return AssistantMessage(
            content=message.content,
            refusal=message.refusal,
            tool_calls=[
                ToolCallParam(
                    id=call.id,
                    function=ToolCallFunctionParam(
                        name=call.function.name, arguments=call.function.arguments
                    ),
                )
                for call in message.tool_calls
            ]
            if message.tool_calls
            else None,
        )
    if isinstance(message, (BaseModel, Mapping)):
        return message
    raise InvalidArgumentError(
        f"Each message must be a dict or a message model, not {type(message).__name__}: "
        'for example {"role": "user", "content": "Hello"}.'
    )


def _given(**fields: object) -> dict[str, object]:
    return {k: v for k, v in fields.items() if v is not None and not isinstance(v, NotGiven)}


def routing_fields(
    auto_routing: bool | NotGiven | None,
    model: str | NotGiven | None,
    model_family: str | NotGiven | None,
) -> dict[str, object]:
    """Gloo's routing rule: exactly one of auto_routing=True, model, model_family.

    None of them means auto routing, Gloo's recommended mode. With ``model`` or
    ``model_family``, ``auto_routing: false`` is sent explicitly, as Gloo's docs do.
    """
    chosen = []
    if auto_routing is True:
        chosen.append("auto_routing=True")
    if isinstance(model, str):
        chosen.append(f"model={model!r}")
    if isinstance(model_family, str):
        chosen.append(f"model_family={model_family!r}")
    if len(chosen) > 1:
        raise InvalidArgumentError(
            "Gloo routes a request by exactly one mechanism, but this call passed "
            f"{' and '.join(chosen)}. Pass only one of auto_routing=True, model=... or "
            "model_family=... (or none of them for auto routing)."
        )
    if isinstance(model, str):
        return {"auto_routing": False, "model": model}
    if isinstance(model_family, str):
        return {"auto_routing": False, "model_family": model_family}
    if auto_routing is False:
        raise InvalidArgumentError(
            "auto_routing=False needs model=... or model_family=... to say which model to "
            "use; omit auto_routing to let Gloo choose."
        )
    return {"auto_routing": True}


def _body(
    where: str,
    params_cls: type[pydantic.BaseModel],
    fields: dict[str, object],
    extra_body: Mapping[str, object] | None,
) -> dict[str, Any]:
    messages = fields.get("messages")
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Iterable):
        raise InvalidArgumentError(
            f"{where}: messages must be a list of messages, for example "
            '[{"role": "user", "content": "Hello"}].'
        )
    fields["messages"] = [_message_input(m) for m in messages]
    resolve_tool_fields(fields)
    try:
        params = params_cls.model_validate(fields)
    except pydantic.ValidationError as exc:
        raise invalid_arguments(where, exc) from None
    body = params.model_dump(mode="json", exclude_none=True)
    if extra_body:
        body.update(extra_body)
    return body


def _wants_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


class _CompletionsBase(AsyncAPIResource):
    async def _send(
        self,
        path: str,
        where: str,
        params_cls: type[pydantic.BaseModel],
        fields: dict[str, object],
        *,
        extra_body: Mapping[str, object] | None,
        stream: bool,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, object] | None,
        timeout: float | httpx.Timeout | NotGiven | None,
        max_retries: int | NotGiven,
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        body = _body(where, params_cls, fields, extra_body)
        options = request_options(
            stream=stream,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
            max_retries=max_retries,
        )
        result: _ChatResult = await self._request(
            "POST",
            path,
            body=body,
            options=options,
            parse=chunk_stream_parser(include_usage=_wants_usage(body))
            if stream
            else parse_model(ChatCompletion),
        )
        return result


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
        messages: Iterable[MessageInput],
        auto_routing: bool | NotGiven = ...,
        model: str | NotGiven = ...,
        model_family: ModelFamily | NotGiven = ...,
        tradition: Tradition | NotGiven = ...,
        temperature: float | NotGiven = ...,
        max_tokens: int | NotGiven = ...,
        tools: Iterable[ToolInput] | NotGiven = ...,
        tool_choice: ToolChoiceInput | NotGiven = ...,
        stream: Literal[False] | NotGiven = ...,
        stream_options: StreamOptions | Mapping[str, Any] | NotGiven = ...,
        response_format: Mapping[str, Any] | NotGiven = ...,
        extra_headers: Mapping[str, str] | None = ...,
        extra_query: Mapping[str, object] | None = ...,
        extra_body: Mapping[str, object] | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
        max_retries: int | NotGiven = ...,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        auto_routing: bool | NotGiven = ...,
        model: str | NotGiven = ...,
        model_family: ModelFamily | NotGiven = ...,
        tradition: Tradition | NotGiven = ...,
        temperature: float | NotGiven = ...,
        max_tokens: int | NotGiven = ...,
        tools: Iterable[ToolInput] | NotGiven = ...,
        tool_choice: ToolChoiceInput | NotGiven = ...,
        stream: Literal[True],
        stream_options: StreamOptions | Mapping[str, Any] | NotGiven = ...,
        response_format: Mapping[str, Any] | NotGiven = ...,
        extra_headers: Mapping[str, str] | None = ...,
        extra_query: Mapping[str, object] | None = ...,
        extra_body: Mapping[str, object] | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
        max_retries: int | NotGiven = ...,
    ) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        auto_routing: bool | NotGiven = ...,
        model: str | NotGiven = ...,
        model_family: ModelFamily | NotGiven = ...,
        tradition: Tradition | NotGiven = ...,
        temperature: float | NotGiven = ...,
        max_tokens: int | NotGiven = ...,
        tools: Iterable[ToolInput] | NotGiven = ...,
        tool_choice: ToolChoiceInput | NotGiven = ...,
        stream: bool,
        stream_options: StreamOptions | Mapping[str, Any] | NotGiven = ...,
        response_format: Mapping[str, Any] | NotGiven = ...,
        extra_headers: Mapping[str, str] | None = ...,
        extra_query: Mapping[str, object] | None = ...,
        extra_body: Mapping[str, object] | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
        max_retries: int | NotGiven = ...,
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...

    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        auto_routing: bool | NotGiven = NOT_GIVEN,
        model: str | NotGiven = NOT_GIVEN,
        model_family: ModelFamily | NotGiven = NOT_GIVEN,
        tradition: Tradition | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        max_tokens: int | NotGiven = NOT_GIVEN,
        tools: Iterable[ToolInput] | NotGiven = NOT_GIVEN,
        tool_choice: ToolChoiceInput | NotGiven = NOT_GIVEN,
        stream: bool | NotGiven = NOT_GIVEN,
        stream_options: StreamOptions | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        response_format: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion (``POST /ai/v2/chat/completions``).

        Gloo routes each request by exactly one mechanism: ``auto_routing=True`` (the default
        when none is given: Gloo picks the model), ``model`` (a Gloo model id such as
        ``"gloo-openai-gpt-5-mini"``) or ``model_family`` (``"openai"``, ``"anthropic"``,
        ``"google"``, ``"open source"``). Passing two raises `InvalidArgumentError` before
        anything is sent.

        Args:
            messages: the conversation: dicts or message models with role ``system``,
                ``user``, ``assistant`` or ``tool``; at least one.
            auto_routing: let Gloo choose the model for the request.
            model: a Gloo model id (see the model catalog).
            model_family: a model family; Gloo picks the model within it.
            tradition: ``"evangelical"``, ``"catholic"``, ``"mainline"`` or
                ``"not_faith_specific"``; omit it for a general Christian perspective.
            temperature: 0 to 2.
            max_tokens: at least 1; reasoning models need about 1024 or more.
            tools: function tools the model may call.
            tool_choice: ``"none"``, ``"auto"``, ``"required"``, or
                ``{"type": "function", "function": {"name": ...}}`` (OpenAI's form, which
                Gloo does not document).
            stream: return an `AsyncStream` of `ChatCompletionChunk` instead.
            stream_options: ``{"include_usage": True}`` adds a final usage-only chunk.
            response_format: for example ``{"type": "json_schema", "json_schema": {...}}``.
            extra_headers: headers to add to this request.
            extra_query: query parameters to add to this request.
            extra_body: fields to add to the JSON body (for fields this SDK does not know).
            timeout: this call's timeout, overriding the client's.
            max_retries: this call's retries, overriding the client's.

        Returns:
            A `ChatCompletion`, or an `AsyncStream[ChatCompletionChunk]` with ``stream=True``.

        Raises:
            InvalidArgumentError: the arguments are invalid; nothing was sent.
            APIStatusError: the API answered with an error status (a subclass per status).
            APIConnectionError: no answer arrived (`APITimeoutError` on a timeout).
        """
        fields = _given(
            messages=messages,
            tradition=tradition,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools if isinstance(tools, NotGiven) else list(tools),
            tool_choice=tool_choice,
            stream=stream if isinstance(stream, bool) else None,
            stream_options=stream_options,
            response_format=response_format,
        )
        fields.update(routing_fields(auto_routing, model, model_family))
        return await self._send(
            V2_PATH,
            "chat.completions.create",
            CompletionCreateParams,
            fields,
            extra_body=extra_body,
            stream=stream is True,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
            max_retries=max_retries,
        )

    # -- structured output and the tool loop (gloo_ai/_parsing.py, gloo_ai/_tools.py) --------

    async def parse(
        self,
        *,
        response_format: type[ResponseFormatT],
        messages: Iterable[MessageInput],
        **create_kwargs: Any,
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
            messages: the conversation, as for `create`.
            **create_kwargs: any other argument of `create` (``model``, ``tradition``,
                ``max_tokens``, ``tools``...), except ``stream``.

        Returns:
            A `ParsedChatCompletion`: ``choices[i].message.parsed`` is a ``response_format``
            instance, or None when the platform refused (``message.refusal`` is then set and
            ``finish_reason`` is ``"content_filter"``) or the model called tools.

        Raises:
            InvalidArgumentError: ``stream=True`` was passed, or ``response_format`` is not
                a pydantic model class; nothing was sent.
            LengthFinishReasonError: the answer was cut off at ``max_tokens``.
            ResponseParseError: the answer is not valid JSON or does not match the model.
        """
        if create_kwargs.get("stream"):
            raise InvalidArgumentError(
                "parse() cannot stream: it parses the whole answer. Remove stream=True, or use "
                "stream() with a json_schema response_format."
            )
        create_kwargs.pop("stream", None)
        fmt = response_format_param(response_format)
        raw: APIResponse[ChatCompletion] = await raw_response_wrapper(self.create)(
            messages=messages, response_format=fmt, **create_kwargs
        )
        return parse_completion(raw.parse(), response_format, raw.http_response)

    async def run_tools(
        self,
        *,
        messages: Iterable[MessageInput],
        tools: Sequence[ToolLike],
        max_steps: int = 10,
        on_tool_error: Literal["report", "raise"] = "report",
        **create_kwargs: Any,
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
            messages: the conversation, as for `create`.
            tools: typed functions (sync or async) or `FunctionTool` objects made from them.
            max_steps: the most model calls; at least 1.
            on_tool_error: ``"report"`` (the default) sends a failing tool's error,
                ``"Error: <type>: <message>"``, back to the model as the tool's result;
                ``"raise"`` stops the loop and raises it. Invalid arguments and unknown tool
                names are treated the same way (`ToolArgumentsError`, `UnknownToolError`).
            **create_kwargs: any other argument of `create` (``model``, ``tradition``,
                ``tool_choice``...), except ``stream`` and ``tools``. Note that
                ``tool_choice="required"`` or a named function applies to every step.

        Returns:
            A `ToolRunResult`: the final ``completion``, the whole ``messages`` transcript
            (the input messages first, the final assistant message last) and ``steps``.

        Raises:
            ToolLoopLimitError: the model still asked for tools at the ``max_steps``-th call.
            InvalidArgumentError: the arguments are invalid (for example a tool without a
                function to run); nothing was sent.
        """
        return await run_tool_loop(
            self.create,
            messages=messages,
            tools=tools,
            max_steps=max_steps,
            on_tool_error=on_tool_error,
            create_kwargs=create_kwargs,
        )

    # -- the stream helper (gloo_ai/_stream_helpers.py) ---------------------------------------

    def stream(
        self,
        *,
        messages: Iterable[MessageInput],
        auto_routing: bool | NotGiven = NOT_GIVEN,
        model: str | NotGiven = NOT_GIVEN,
        model_family: ModelFamily | NotGiven = NOT_GIVEN,
        tradition: Tradition | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        max_tokens: int | NotGiven = NOT_GIVEN,
        tools: Iterable[ToolInput] | NotGiven = NOT_GIVEN,
        tool_choice: ToolChoiceInput | NotGiven = NOT_GIVEN,
        stream_options: StreamOptions | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        response_format: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> ChatCompletionStreamManager:
        """Stream a chat completion as typed events: ``async with ...stream(...) as stream``.

        It takes the arguments of `create` (but ``stream``) and sends ``stream=True`` and,
        unless you pass ``stream_options``, ``{"include_usage": True}`` so that the final
        completion has its usage. The request is sent when the ``async with`` block is
        entered; leaving the block closes the stream and releases its connection.

        Example::

            async with client.chat.completions.stream(
                messages=[{"role": "user", "content": "What is grace?"}],
            ) as stream:
                async for text in stream.text_stream:
                    print(text, end="", flush=True)
                completion = await stream.get_final_completion()
            print(completion.usage)

        Args:
            messages: the conversation, as for `create`.
            auto_routing: let Gloo choose the model for the request.
            model: a Gloo model id.
            model_family: a model family; Gloo picks the model within it.
            tradition: the faith tradition the answer should reflect.
            temperature: 0 to 2.
            max_tokens: at least 1.
            tools: function tools the model may call.
            tool_choice: ``"none"``, ``"auto"``, ``"required"`` or a named function.
            stream_options: defaults to ``{"include_usage": True}``.
            response_format: for example ``{"type": "json_schema", "json_schema": {...}}``.
            extra_headers: headers to add to this request.
            extra_query: query parameters to add to this request.
            extra_body: fields to add to the JSON body.
            timeout: this call's timeout, overriding the client's.
            max_retries: retries of the opening of the stream, overriding the client's.

        Returns:
            A `ChatCompletionStreamManager`: ``async with`` it to get a `ChatCompletionStream`.
        """

        async def open_stream() -> AsyncStream[ChatCompletionChunk]:
            return await self.create(
                messages=messages,
                auto_routing=auto_routing,
                model=model,
                model_family=model_family,
                tradition=tradition,
                temperature=temperature,
                max_tokens=max_tokens,
                tools=tools,
                tool_choice=tool_choice,
                stream=True,
                stream_options={"include_usage": True}
                if isinstance(stream_options, NotGiven)
                else stream_options,
                response_format=response_format,
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
                max_retries=max_retries,
            )

        return ChatCompletionStreamManager(open_stream)


class AsyncCompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = raw_response_wrapper(completions.create)


class AsyncCompletionsV1(_CompletionsBase):
    """Deprecated chat completions v1: ``POST /ai/v1/chat/completions``.

    V1 takes Bedrock-style model ids such as ``"us.meta.llama3-3-70b-instruct-v1:0"`` and has
    no routing, ``tradition`` or routing metadata. Every call emits a `DeprecationWarning`;
    move to `AsyncCompletions.create` (v2).
    """

    @property
    def with_raw_response(self) -> AsyncCompletionsV1WithRawResponse:
        """The same methods, returning the `APIResponse` (status, headers, request id)."""
        return AsyncCompletionsV1WithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        model: str | NotGiven = ...,
        temperature: float | NotGiven = ...,
        max_tokens: int | NotGiven = ...,
        tools: Iterable[ToolInput] | NotGiven = ...,
        tool_choice: ToolChoiceInput | NotGiven = ...,
        stream: Literal[False] | NotGiven = ...,
        extra_headers: Mapping[str, str] | None = ...,
        extra_query: Mapping[str, object] | None = ...,
        extra_body: Mapping[str, object] | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
        max_retries: int | NotGiven = ...,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        model: str | NotGiven = ...,
        temperature: float | NotGiven = ...,
        max_tokens: int | NotGiven = ...,
        tools: Iterable[ToolInput] | NotGiven = ...,
        tool_choice: ToolChoiceInput | NotGiven = ...,
        stream: Literal[True],
        extra_headers: Mapping[str, str] | None = ...,
        extra_query: Mapping[str, object] | None = ...,
        extra_body: Mapping[str, object] | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
        max_retries: int | NotGiven = ...,
    ) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        model: str | NotGiven = ...,
        temperature: float | NotGiven = ...,
        max_tokens: int | NotGiven = ...,
        tools: Iterable[ToolInput] | NotGiven = ...,
        tool_choice: ToolChoiceInput | NotGiven = ...,
        stream: bool,
        extra_headers: Mapping[str, str] | None = ...,
        extra_query: Mapping[str, object] | None = ...,
        extra_body: Mapping[str, object] | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
        max_retries: int | NotGiven = ...,
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...

    async def create(
        self,
        *,
        messages: Iterable[MessageInput],
        model: str | NotGiven = NOT_GIVEN,
        temperature: float | NotGiven = NOT_GIVEN,
        max_tokens: int | NotGiven = NOT_GIVEN,
        tools: Iterable[ToolInput] | NotGiven = NOT_GIVEN,
        tool_choice: ToolChoiceInput | NotGiven = NOT_GIVEN,
        stream: bool | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion on the deprecated v1 endpoint.

        Args:
            messages: the conversation (roles ``system``, ``user``, ``assistant``, ``tool``).
            model: a Bedrock-style id; the platform's default is
                ``"us.meta.llama3-3-70b-instruct-v1:0"``.
            temperature: 0 to 1.
            max_tokens: at least 1.
            tools: function tools the model may call.
            tool_choice: ``"none"``, ``"auto"``, ``"required"`` or a named function.
            stream: return an `AsyncStream` of `ChatCompletionChunk` instead.
            extra_headers: headers to add to this request.
            extra_query: query parameters to add to this request.
            extra_body: fields to add to the JSON body.
            timeout: this call's timeout, overriding the client's.
            max_retries: this call's retries, overriding the client's.

        Returns:
            A `ChatCompletion`, or an `AsyncStream[ChatCompletionChunk]` with ``stream=True``.
        """
        warn_deprecated(
            "Gloo's chat completions v1 endpoint is deprecated: use "
            "client.chat.completions.create() (v2) with a gloo-* model id or auto routing."
        )
        fields = _given(
            messages=messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools if isinstance(tools, NotGiven) else list(tools),
            tool_choice=tool_choice,
            stream=stream if isinstance(stream, bool) else None,
        )
        return await self._send(
            V1_PATH,
            "chat.completions_v1.create",
            CompletionV1CreateParams,
            fields,
            extra_body=extra_body,
            stream=stream is True,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
            max_retries=max_retries,
        )


class AsyncCompletionsV1WithRawResponse:
    """``client.chat.completions_v1.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, completions: AsyncCompletionsV1) -> None:
        self.create = raw_response_wrapper(completions.create)
