"""Streamed grounded completions: the citations event, the accumulator, the stream helper.

The wire (gloo-api.md §4, §5): with ``include_citations=True``, Gloo sends the citations as
the first SSE event, before the content chunks; its exact shape is not documented. The SDK
accepts a ``data:`` JSON object carrying ``citations`` (and no ``choices``), with or without
an event name, and an event named ``citations`` whose data is the object or the bare list.
The chunks after it are chat chunks, read by chat's rules (``_chunk_stream.py``): the stream
is complete when every choice has finished (and the usage chunk came, when asked for).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from ..._sse import ServerSentEvent
from ..._streaming import AsyncStream, JSONEventDecoder
from ...types.chat import CompletionUsage
from ...types.chat.grounded_completion import (
    Citation,
    GroundedChatCompletion,
    GroundedChatCompletionChunk,
)
from ...types.chat.grounded_stream_event import CitationsEvent, GroundedChatCompletionStreamEvent
from ._accumulator import ChatCompletionAccumulator
from ._chunk_stream import ChunkRules, is_chunk_error
from ._stream_helpers import CompletionStreamBase, CompletionStreamManagerBase

if TYPE_CHECKING:
    import httpx

__all__ = [
    "GroundedChatCompletionStream",
    "GroundedChatCompletionStreamManager",
    "GroundedCompletionAccumulator",
    "grounded_stream_parser",
]

CITATIONS_EVENT = "citations"


def grounded_stream_parser(
    *, include_usage: bool
) -> Callable[[httpx.Response], AsyncStream[GroundedChatCompletionChunk]]:
    """The parser of an unread grounded-completion SSE response into a stream of chunks.

    Args:
        include_usage: whether the request asked for the final usage-only chunk.
    """

    def parse(response: httpx.Response) -> AsyncStream[GroundedChatCompletionChunk]:
        decode = JSONEventDecoder(GroundedChatCompletionChunk, response, is_error=is_chunk_error)

        def decode_event(event: ServerSentEvent) -> GroundedChatCompletionChunk | None:
            if event.event == CITATIONS_EVENT and event.data.lstrip().startswith("["):
                event = replace(event, data=f'{{"citations":{event.data}}}')
            return decode(event)

        return AsyncStream(
            response=response,
            decode=decode_event,
            rules=ChunkRules(include_usage=include_usage, request=response.request),
        )

    return parse


class _GroundedChatAccumulator(ChatCompletionAccumulator):
    _completion_cls = GroundedChatCompletion


class GroundedCompletionAccumulator:
    """Assembles `GroundedChatCompletionChunk` objects into a `GroundedChatCompletion`; pure.

    It does what `ChatCompletionAccumulator` does (content, refusals, tool calls, usage,
    routing metadata, ``ttft_ms``), and keeps the ``citations`` (each citation once, in the
    order received, whichever events carry them) and ``sources_returned`` (the first value
    sent). A chunk that carries citations adds a `CitationsEvent` after its `ChunkEvent`.

    Example::

        accumulator = GroundedCompletionAccumulator()
        async for chunk in await client.chat.grounded.create(..., stream=True):
            for event in accumulator.add(chunk):
                if event.type == "citations":
                    print([c.item_title for c in event.citations])
        completion = accumulator.final_completion()
    """

    def __init__(self) -> None:
        self._chat = _GroundedChatAccumulator()
        self._citations_seen = False

    @property
    def snapshot(self) -> GroundedChatCompletion:
        """The completion so far: a live object, updated in place by each `add`."""
        return cast("GroundedChatCompletion", self._chat.snapshot)

    @property
    def citations(self) -> list[Citation]:
        """The citations received so far."""
        return self.snapshot.citations

    @property
    def ttft_ms(self) -> float | None:
        """Gloo's time to first token in milliseconds, where a chunk carried it."""
        return self._chat.ttft_ms

    @property
    def usage(self) -> CompletionUsage | None:
        """The token usage, once the usage chunk arrived."""
        return self._chat.usage

    @property
    def finished(self) -> bool:
        """Whether every choice seen has its ``finish_reason`` (and at least one was seen)."""
        return self._chat.finished

    def add(self, chunk: GroundedChatCompletionChunk) -> list[GroundedChatCompletionStreamEvent]:
        """Add the next chunk; return the events it caused, in order.

        Args:
            chunk: the next chunk (or the citations event) of the stream.

        Returns:
            The events: a `ChunkEvent`, a `CitationsEvent` if the chunk carried citations,
            then the chat events of its choices and usage.

        Raises:
            APIStreamError: the chunk is an in-band error.
        """
        events: list[GroundedChatCompletionStreamEvent] = list(self._chat.add(chunk))
        snapshot = self.snapshot
        if chunk.sources_returned is not None and snapshot.sources_returned is None:
            snapshot.sources_returned = chunk.sources_returned
        if chunk.citations is not None:
            new = [c for c in chunk.citations if c not in snapshot.citations]
            if new or not self._citations_seen:
                snapshot.citations.extend(new)
                events.insert(1, CitationsEvent(citations=new, snapshot=list(snapshot.citations)))
            self._citations_seen = True
        return events

    def final_completion(self) -> GroundedChatCompletion:
        """The assembled completion: a copy, independent of later chunks.

        Raises:
            IncompleteStreamError: a choice has no ``finish_reason`` yet, or no chunk came.
        """
        return cast("GroundedChatCompletion", self._chat.final_completion())


class GroundedChatCompletionStream(
    CompletionStreamBase[
        GroundedChatCompletionChunk, GroundedChatCompletion, GroundedChatCompletionStreamEvent
    ]
):
    """A streamed grounded completion, iterated as typed events: ``async for event in stream``.

    The events of a `ChatCompletionStream`, plus a `CitationsEvent` when the citations
    arrive (first, with ``include_citations=True``). `text_stream` yields just the text;
    `get_final_completion` returns the `GroundedChatCompletion`, with its ``citations`` and
    ``sources_returned``. Errors and the release of the connection are as for
    `ChatCompletionStream`.

    Args:
        raw: the `AsyncStream` of chunks (``chat.grounded.create(..., stream=True)``).

    Attributes:
        response: the underlying `httpx.Response`.
        request_id: the ``x-request-id`` (or ``request-id``) header of the response.
    """

    def __init__(self, raw: AsyncStream[GroundedChatCompletionChunk]) -> None:
        self._accumulator = GroundedCompletionAccumulator()
        super().__init__(raw)

    def _add(
        self, chunk: GroundedChatCompletionChunk
    ) -> Sequence[GroundedChatCompletionStreamEvent]:
        return self._accumulator.add(chunk)

    def _snapshot(self) -> GroundedChatCompletion:
        return self._accumulator.snapshot

    def _final(self) -> GroundedChatCompletion:
        return self._accumulator.final_completion()

    def _ttft(self) -> float | None:
        return self._accumulator.ttft_ms

    @property
    def citations(self) -> list[Citation]:
        """The citations received so far (they come before the content)."""
        return self._accumulator.citations

    @property
    def accumulator(self) -> GroundedCompletionAccumulator:
        """The `GroundedCompletionAccumulator` that assembles this stream."""
        return self._accumulator


class GroundedChatCompletionStreamManager(
    CompletionStreamManagerBase[GroundedChatCompletionChunk, GroundedChatCompletionStream]
):
    """The async context manager that ``client.chat.grounded.stream(...)`` returns.

    Entering it sends the request (with ``stream=True``) and gives a
    `GroundedChatCompletionStream`; leaving it closes the stream. Errors before the stream
    starts raise on entering, as ``create()`` raises them.

    Args:
        open_stream: sends the request and returns its `AsyncStream` of chunks.
    """

    def __init__(
        self, open_stream: Callable[[], Awaitable[AsyncStream[GroundedChatCompletionChunk]]]
    ) -> None:
        super().__init__(open_stream, GroundedChatCompletionStream)
