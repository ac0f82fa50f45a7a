"""``client.chat.grounded``: grounded completions (RAG), answers drawn from a publisher's
content, with their sources (gloo-api.md §4).

The same machinery as chat completions (``_request.py``: the routing rule, messages, tools,
the body) with the grounded fields; the answer is a `GroundedChatCompletion`, the stream a
chat stream whose first event may carry the citations (``_grounded_stream.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any, Literal, cast, overload

from typing_extensions import Unpack

from ..._call_options import UnexpectedArgumentError, check_arguments
from ..._config import NOT_GIVEN, NotGiven
from ..._exceptions import InvalidArgumentError
from ..._streaming import AsyncStream
from ..._surface import SurfacePaths
from ..._warnings import warn_at_caller
from ...types.chat.grounded_completion import GroundedChatCompletion, GroundedChatCompletionChunk
from ...types.chat.grounded_create_params import (
    DEFAULT_RAG_PUBLISHER,
    GroundedCompletionCreateKwargs,
    GroundedCompletionCreateParams,
)
from .._base import raw_response_wrapper
from ._grounded_stream import GroundedChatCompletionStreamManager, grounded_stream_parser
from ._request import _CompletionsBase

__all__ = ["GROUNDED_PATHS", "AsyncGrounded", "AsyncGroundedWithRawResponse"]

# The Gen-1 path on the standard surface; the Gen-2 one on guarded and direct (§0.1, §3.6).
GROUNDED_PATHS = SurfacePaths(
    "chat.grounded",
    standard="/ai/v2/chat/completions/grounded",
    guarded="/ai/v2/grounded/chat/completions",
    direct="/ai/v2/grounded/chat/completions",
)
_WHERE = "chat.grounded.create"


def check_grounded_arguments(where: str, kwargs: Mapping[str, Any]) -> None:
    """Refuse what Gloo would answer with a 4xx, with a message saying what to do.

    Raises:
        InvalidArgumentError: an explicit empty ``messages``, a ``sources_limit`` that is not
            an integer from 1 to 10, or an empty ``rag_publisher``.
    """
    messages = kwargs.get("messages")
    if (
        isinstance(messages, Sized)
        and not isinstance(messages, (str, bytes, Mapping))
        and len(messages) == 0
    ):
        raise InvalidArgumentError(
            f"{where}: messages is empty, and Gloo answers an empty list with 400. Pass "
            'at least one message, for example [{"role": "user", "content": "..."}].'
        )
    limit = kwargs.get("sources_limit", NOT_GIVEN)
    if (
        not isinstance(limit, NotGiven)
        and limit is not None
        and (not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10)
    ):
        raise InvalidArgumentError(
            f"{where}: sources_limit is how many sources retrieval may return, an integer "
            f"from 1 to 10; not {limit!r}."
        )
    publisher = kwargs.get("rag_publisher", NOT_GIVEN)
    if isinstance(publisher, str):
        if not publisher.strip():
            raise InvalidArgumentError(
                f"{where}: rag_publisher is empty. Pass your publisher's name as Gloo AI "
                f"Studio shows it, or omit it for {DEFAULT_RAG_PUBLISHER!r}."
            )
        if publisher != DEFAULT_RAG_PUBLISHER and publisher.lower() == "gloogrounded":
            warn_at_caller(
                f"rag_publisher={publisher!r}: publisher names are case-sensitive, and Gloo's "
                f"own dataset is {DEFAULT_RAG_PUBLISHER!r}; it is sent as it is."
            )


class AsyncGrounded(_CompletionsBase):
    """Grounded completions: ``POST /ai/v2/chat/completions/grounded`` (standard surface) or
    ``/ai/v2/grounded/chat/completions`` (guarded and direct), with Gloo's routing."""

    @property
    def with_raw_response(self) -> AsyncGroundedWithRawResponse:
        """The same methods, returning the `APIResponse` (status, headers, request id)."""
        return AsyncGroundedWithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] | NotGiven = ...,
        **kwargs: Unpack[GroundedCompletionCreateKwargs],
    ) -> GroundedChatCompletion: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **kwargs: Unpack[GroundedCompletionCreateKwargs]
    ) -> AsyncStream[GroundedChatCompletionChunk]: ...

    @overload
    async def create(
        self, *, stream: bool, **kwargs: Unpack[GroundedCompletionCreateKwargs]
    ) -> GroundedChatCompletion | AsyncStream[GroundedChatCompletionChunk]: ...

    async def create(
        self,
        *,
        stream: bool | NotGiven = NOT_GIVEN,
        **kwargs: Unpack[GroundedCompletionCreateKwargs],
    ) -> GroundedChatCompletion | AsyncStream[GroundedChatCompletionChunk]:
        """Create a grounded completion: an answer drawn from a publisher's content.

        Gloo retrieves passages of the publisher's content (``rag_publisher``, by default
        Gloo's own ``"GlooGrounded"`` dataset) that match the conversation and answers from
        them. The routing rule is the one of ``chat.completions.create``: exactly one of
        ``auto_routing=True`` (the default), ``model`` or ``model_family``.

        Args:
            stream: return an `AsyncStream` of `GroundedChatCompletionChunk` instead; with
                ``include_citations=True`` its first item carries the ``citations``.
            **kwargs: the request, `GroundedCompletionCreateKwargs`:

                - ``messages`` (required): the conversation, at least one message.
                - ``auto_routing``, ``model``, ``model_family``: the routing, as for chat.
                - ``rag_publisher``: the publisher's name (case-sensitive).
                - ``sources_limit``: how many sources retrieval may return, 1 to 10.
                - ``include_citations``: add the sources as ``citations``.
                - ``tradition``, ``temperature`` (0 to 2), ``max_tokens`` (at least 1).
                - ``tools``, ``tool_choice``, ``parallel_tool_calls``: function tools.
                - ``stream_options``: ``{"include_usage": True}`` adds a usage chunk.
                - ``surface``: ``"standard"`` sends to the Gen-1 path, ``"guarded"`` and
                  ``"direct"`` to the Gen-2 one; default the client's.
                - ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                  ``max_retries``: this call's options.

        Returns:
            A `GroundedChatCompletion` (``sources_returned``, ``citations``), or an
            `AsyncStream[GroundedChatCompletionChunk]` with ``stream=True``.

        Raises:
            InvalidArgumentError: the arguments are invalid (an unknown one, an empty
                ``messages`` list, ``sources_limit`` outside 1..10, two routing mechanisms,
                an unknown surface); nothing was sent.
            APIStatusError: the API answered with an error status (a subclass per status).
            APIConnectionError: no answer arrived (`APITimeoutError` on a timeout).
        """
        check_arguments(_WHERE, kwargs, GroundedCompletionCreateKwargs, also=("stream",))
        check_grounded_arguments(_WHERE, kwargs)
        result = await self._create(
            GROUNDED_PATHS,
            _WHERE,
            GroundedCompletionCreateParams,
            kwargs,
            stream=stream,
            routed=True,
            completion_cls=GroundedChatCompletion,
            stream_parser=grounded_stream_parser,
        )
        return cast("GroundedChatCompletion | AsyncStream[GroundedChatCompletionChunk]", result)

    def stream(
        self, **kwargs: Unpack[GroundedCompletionCreateKwargs]
    ) -> GroundedChatCompletionStreamManager:
        """Stream a grounded completion as typed events: ``async with ...stream(...) as s``.

        It takes the arguments of `create` (but ``stream``) and sends ``stream=True`` and,
        unless you pass ``stream_options``, ``{"include_usage": True}``. The arguments are
        checked at once; the request is sent when the ``async with`` block is entered.

        Example::

            async with client.chat.grounded.stream(
                messages=[{"role": "user", "content": "What is grace?"}],
                include_citations=True,
            ) as stream:
                async for event in stream:
                    if event.type == "citations":
                        print([c.item_title for c in event.citations])
                    elif event.type == "content.delta":
                        print(event.delta, end="")
                completion = await stream.get_final_completion()

        Args:
            **kwargs: `GroundedCompletionCreateKwargs`, as for `create`.

        Returns:
            A `GroundedChatCompletionStreamManager`: ``async with`` it to get a
            `GroundedChatCompletionStream`.

        Raises:
            InvalidArgumentError: an invalid argument, as for `create`; nothing will be sent.
        """
        where = "chat.grounded.stream"
        if "stream" in kwargs:
            raise UnexpectedArgumentError(f"{where}() always streams: remove the stream argument.")
        check_arguments(where, kwargs, GroundedCompletionCreateKwargs)
        check_grounded_arguments(where, kwargs)
        if isinstance(kwargs.get("stream_options", NOT_GIVEN), NotGiven):
            kwargs["stream_options"] = {"include_usage": True}

        async def open_stream() -> AsyncStream[GroundedChatCompletionChunk]:
            opened = await self.create(stream=True, **kwargs)
            return cast("AsyncStream[GroundedChatCompletionChunk]", opened)

        return GroundedChatCompletionStreamManager(open_stream)


class AsyncGroundedWithRawResponse:
    """``client.chat.grounded.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, grounded: AsyncGrounded) -> None:
        self.create = raw_response_wrapper(grounded.create)
