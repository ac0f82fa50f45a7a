"""``client.chat.completions.stream(...)``: a stream of typed events and the final completion.

`ChatCompletionStreamManager` is what ``stream(...)`` returns; ``async with`` it to send the
request and get a `ChatCompletionStream`, which runs a `ChatCompletionAccumulator` over the
chunks of an `AsyncStream`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

from ..._exceptions import IncompleteStreamError
from ..._stream_reader import close_soon
from ..._streaming import AsyncStream
from ...types.chat import ChatCompletion, ChatCompletionChunk
from ...types.chat.chat_completion_stream_event import ChatCompletionStreamEvent
from ._accumulator import ChatCompletionAccumulator

if TYPE_CHECKING:
    import httpx

__all__ = ["ChatCompletionStream", "ChatCompletionStreamManager"]


class ChatCompletionStream:
    """A streamed chat completion, iterated as typed events: ``async for event in stream``.

    Each chunk gives a `ChunkEvent`, then its content, refusal and tool-call deltas, then
    "done" events when a choice finishes, then a `UsageEvent` for the usage chunk. Read it
    once: events are not replayed. `text_stream` yields just the text; `get_final_completion`
    reads the rest and returns the whole `ChatCompletion`.

    Its connection is released when the stream is read to its end (it then goes back to the
    pool), when it is closed (`close`, or leaving ``async with``) and when the task reading it
    is cancelled. `close` may be called from another task while one is iterating: that task's
    loop then ends normally, with no exception, as if the stream had ended (and
    `get_final_completion` raises `IncompleteStreamError` unless every choice had finished).

    An error event in the stream raises `APIStreamError`; a dropped connection raises
    `APIConnectionError` (`APITimeoutError` on a timeout); a body that ends before every
    choice has finished raises `IncompleteStreamError` (with the ``snapshot`` so far), from
    iteration and from `get_final_completion`. The stream ends as soon as the answer is
    complete (after the usage chunk, which ``stream()`` asks for), without waiting for the
    server to close the body.

    Args:
        raw: the `AsyncStream` of chunks to read (``create(..., stream=True)`` returns one).

    Attributes:
        response: the underlying `httpx.Response`.
        request_id: the ``x-request-id`` (or ``request-id``) header of the response.
    """

    def __init__(self, raw: AsyncStream[ChatCompletionChunk]) -> None:
        self._raw = raw
        self.response: httpx.Response = raw.response
        self.request_id = raw.request_id
        self._accumulator = ChatCompletionAccumulator()
        self._state = _State()
        # A module-level generator: it holds the stream's parts, never the stream itself, so
        # a stream that is dropped half-read has no reference cycle and is freed at once.
        self._iterator = _events(raw, self._accumulator, self._state)

    def __aiter__(self) -> ChatCompletionStream:
        return self

    async def __anext__(self) -> ChatCompletionStreamEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> ChatCompletionStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def _closed(self) -> bool:
        return self._state.closed

    def __del__(self) -> None:
        # Dropped unclosed: close the generator on the running loop (it closes nothing by
        # itself; the raw stream, freed with it, closes its own response).
        state = self.__dict__.get("_state")
        if state is not None and not state.closed:
            state.closed = True
            close_soon(self._iterator.aclose)

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The text of the answer as it arrives: only the content deltas, as strings.

        It reads the same events as iterating the stream (the other events are skipped), so
        use one or the other.
        """
        return self._text()

    async def _text(self) -> AsyncGenerator[str, None]:
        async for event in self:
            if event.type == "content.delta":
                yield event.delta

    @property
    def current_completion_snapshot(self) -> ChatCompletion:
        """The completion assembled so far (a live object, updated in place as chunks come)."""
        return self._accumulator.snapshot

    @property
    def accumulator(self) -> ChatCompletionAccumulator:
        """The `ChatCompletionAccumulator` that assembles this stream."""
        return self._accumulator

    @property
    def ttft_ms(self) -> float | None:
        """Gloo's time to first token in milliseconds, once a chunk carried it."""
        return self._accumulator.ttft_ms

    async def until_done(self) -> None:
        """Read the stream to its end, through the usage chunk, releasing the connection."""
        async for _ in self:
            pass

    async def get_final_completion(self) -> ChatCompletion:
        """Read the rest of the stream and return the assembled completion.

        Returns:
            The `ChatCompletion`: content, refusal, tool calls with their whole arguments,
            finish reasons, usage, routing metadata and ``ttft_ms``.

        Raises:
            IncompleteStreamError: the body ended, or the stream was closed, before every
                choice finished.
            APIStreamError: the API sent an error in the middle of the stream.
            APIConnectionError: the connection dropped mid-stream.
        """
        await self.until_done()
        return self._accumulator.final_completion()

    async def close(self) -> None:
        """Stop reading and release the connection. Safe twice, and from another task."""
        self._state.closed = True
        await self._raw.close()
        with contextlib.suppress(RuntimeError):  # it may be running in another task
            await self._iterator.aclose()


class _State:
    """What a `ChatCompletionStream` shares with its generator: whether it was closed."""

    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


async def _events(
    raw: AsyncStream[ChatCompletionChunk],
    accumulator: ChatCompletionAccumulator,
    state: _State,
) -> AsyncGenerator[ChatCompletionStreamEvent, None]:
    try:
        async for chunk in raw:
            for event in accumulator.add(chunk):
                yield event
                if state.closed:
                    return
    except IncompleteStreamError as exc:
        if exc.snapshot is None:
            exc.snapshot = accumulator.snapshot.model_copy(deep=True)
        raise


class ChatCompletionStreamManager:
    """The async context manager that ``client.chat.completions.stream(...)`` returns.

    Entering it sends the request (with ``stream=True``) and gives a `ChatCompletionStream`;
    leaving it closes the stream. Errors before the stream starts (4xx, 5xx after retries)
    raise on entering, as ``create()`` raises them.

    Example::

        async with client.chat.completions.stream(messages=[...]) as stream:
            async for text in stream.text_stream:
                print(text, end="", flush=True)
            completion = await stream.get_final_completion()

    Args:
        open_stream: sends the request and returns its `AsyncStream` of chunks.
    """

    def __init__(self, open_stream: Callable[[], Awaitable[AsyncStream[ChatCompletionChunk]]]):
        self._open_stream = open_stream
        self._stream: ChatCompletionStream | None = None

    async def __aenter__(self) -> ChatCompletionStream:
        if self._stream is not None:
            raise RuntimeError("This stream() was already entered; call stream() again.")
        self._stream = ChatCompletionStream(await self._open_stream())
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
