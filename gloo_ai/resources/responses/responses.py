"""``client.responses``: the Responses API (``POST /ai/v1/responses``, gloo-api.md §7).

OpenAI Responses-compatible, and what Gloo calls "the recommended way to build on Gloo AI":
text, vision (``input_image`` parts), reasoning, function tools and image generation. The
standard surface serves ``/ai/v1/responses``, the guarded one ``/ai/v2/guarded/responses``;
no direct path is known, so ``surface="direct"`` is refused before sending.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, cast, overload

from typing_extensions import Unpack

from ..._call_options import UnexpectedArgumentError, check_arguments, split_call_options
from ..._config import NOT_GIVEN, NotGiven
from ..._exceptions import PermissionDeniedError
from ..._streaming import AsyncStream
from ..._surface import SurfacePaths
from ...types.responses import Response, ResponseCreateKwargs, ResponseStreamEvent
from ...types.usage import UsageTotals
from .._base import AsyncAPIResource, parse_model, raw_response_wrapper, request_options
from .._options import given
from ._request import guardrail_block, response_body
from ._stream import response_stream_parser
from ._stream_helpers import ResponseStreamManager

if TYPE_CHECKING:
    import httpx

__all__ = ["RESPONSES_PATHS", "AsyncResponses"]

RESPONSES_PATHS = SurfacePaths(
    "responses",
    standard="/ai/v1/responses",
    guarded="/ai/v2/guarded/responses",
    direct=None,
)


class AsyncResponses(AsyncAPIResource):
    """``client.responses``: create a response, or stream one as typed events."""

    @property
    def with_raw_response(self) -> AsyncResponsesWithRawResponse:
        """The same methods, returning the `APIResponse` (status, headers, request id)."""
        return AsyncResponsesWithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] | NotGiven = ...,
        **kwargs: Unpack[ResponseCreateKwargs],
    ) -> Response: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **kwargs: Unpack[ResponseCreateKwargs]
    ) -> AsyncStream[ResponseStreamEvent]: ...

    @overload
    async def create(
        self, *, stream: bool, **kwargs: Unpack[ResponseCreateKwargs]
    ) -> Response | AsyncStream[ResponseStreamEvent]: ...

    async def create(
        self,
        *,
        stream: bool | NotGiven = NOT_GIVEN,
        **kwargs: Unpack[ResponseCreateKwargs],
    ) -> Response | AsyncStream[ResponseStreamEvent]:
        """Create a response (``POST /ai/v1/responses``; guarded: ``/ai/v2/guarded/responses``).

        Example::

            response = await client.responses.create(
                model="gloo-openai-gpt-5-mini",
                input="What does the Bible say about hope?",
                instructions="Answer in two sentences.",
            )
            print(response.output_text)

        Args:
            stream: return an `AsyncStream` of `ResponseStreamEvent` instead.
            **kwargs: the request, `ResponseCreateKwargs`:

                - ``model`` (required): a Gloo model id, such as ``"gloo-openai-gpt-5-mini"``.
                - ``input`` (required): a string, or a list of items: messages
                  (``{"role": "user", "content": ...}``, the content a string or parts
                  ``{"type": "input_text", "text"}`` / ``{"type": "input_image",
                  "image_url"}``), the function calls of an earlier response and their
                  ``{"type": "function_call_output", "call_id", "output"}``.
                - ``instructions``: a system prompt.
                - ``max_output_tokens``: at least 1.
                - ``temperature``: 0 to 2.
                - ``tools``: function tools (`FunctionTool` objects, or dicts in either the
                  flat Responses shape or chat's nested one; sent flat).
                - ``tool_choice``: ``"none"``, ``"auto"``, ``"required"``, a `FunctionTool`,
                  or ``{"type": "function", "name": ...}``.
                - ``tradition``: ``"evangelical"``, ``"catholic"``, ``"mainline"`` or
                  ``"not_faith_specific"`` (the guarded surface reads it).
                - ``surface``: ``"standard"`` or ``"guarded"`` for this call (the client's by
                  default); ``"direct"`` has no Responses path and is refused.
                - ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                  ``max_retries``.

        Returns:
            A `Response` (``output`` items, ``usage``, the ``output_text`` property), or an
            `AsyncStream[ResponseStreamEvent]` with ``stream=True``.

        Raises:
            InvalidArgumentError: a missing or empty ``model`` or ``input``, a value out of
                range, an unknown argument, or ``surface="direct"``; nothing was sent.
            PermissionDeniedError: 403; for the Responses API, usually Gloo's guardrails
                blocking the prompt (the message says so).
            APIStatusError: another error status (a subclass per status).
            APIConnectionError: no answer arrived (`APITimeoutError` on a timeout).
        """
        where = "responses.create"
        check_arguments(where, kwargs, ResponseCreateKwargs, also=("stream",))
        fields, options = split_call_options(kwargs)
        path = self._surface_path(RESPONSES_PATHS, fields.pop("surface", NOT_GIVEN))
        fields = given(fields)
        if isinstance(stream, bool):
            fields["stream"] = stream
        body = response_body(where, fields, options.get("extra_body"))
        request = request_options(
            stream=stream is True,
            extra_headers=options.get("extra_headers"),
            extra_query=options.get("extra_query"),
            timeout=options.get("timeout", NOT_GIVEN),
            max_retries=options.get("max_retries", NOT_GIVEN),
        )
        count = self._count_usage
        try:
            result: Response | AsyncStream[ResponseStreamEvent] = await self._request(
                "POST",
                path,
                body=body,
                options=request,
                parse=response_stream_parser(count) if stream is True else _counted(count),
            )
        except PermissionDeniedError as exc:
            raise guardrail_block(exc) from None
        return result

    def _count_usage(self, response: Response) -> None:
        """Add a response's usage to ``client.usage`` (once per answer, after any retries)."""
        usage = response.usage
        if usage is None:
            return
        details = usage.input_tokens_details or {}
        cached = details.get("cached_tokens")
        self._requester.shared.get(UsageTotals).add_tokens(
            response.model,
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            cached_tokens=cached if isinstance(cached, int) else 0,
            requests=1,
        )

    def stream(self, **kwargs: Unpack[ResponseCreateKwargs]) -> ResponseStreamManager:
        """Stream a response as typed events: ``async with client.responses.stream(...)``.

        It takes the arguments of `create` (but ``stream``) and sends ``stream=True``. The
        arguments are checked at once; the request is sent when the ``async with`` block is
        entered, and leaving the block closes the stream and releases its connection.

        Example::

            async with client.responses.stream(
                model="gloo-openai-gpt-5-mini", input="What is grace?"
            ) as stream:
                async for text in stream.text_stream:
                    print(text, end="", flush=True)
                response = await stream.get_final_response()
            print(response.usage)

        Args:
            **kwargs: `ResponseCreateKwargs`, as for `create`.

        Returns:
            A `ResponseStreamManager`: ``async with`` it to get a `ResponseStream`.

        Raises:
            InvalidArgumentError: an unknown or missing argument; nothing will be sent.
        """
        if "stream" in kwargs:
            raise UnexpectedArgumentError(
                "responses.stream() always streams: remove the stream argument."
            )
        check_arguments("responses.stream", kwargs, ResponseCreateKwargs)

        async def open_stream() -> AsyncStream[ResponseStreamEvent]:
            # mypy does not pick an overload for ``**`` of a TypedDict: it infers Any.
            opened = await self.create(stream=True, **kwargs)
            return cast("AsyncStream[ResponseStreamEvent]", opened)

        return ResponseStreamManager(open_stream)


def _counted(count: Callable[[Response], None]) -> Callable[[httpx.Response], Response]:
    parse = parse_model(Response)

    def parse_and_count(http: httpx.Response) -> Response:
        response = parse(http)
        count(response)
        return response

    return parse_and_count


class AsyncResponsesWithRawResponse:
    """``client.responses.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, responses: AsyncResponses) -> None:
        self.create = raw_response_wrapper(responses.create)
