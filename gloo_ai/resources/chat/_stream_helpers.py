"""``client.chat.completions.stream(...)``: a stream of typed events and the final completion.

`ChatCompletionStreamManager` is what ``stream(...)`` returns; ``async with`` it to send the
request and get a `ChatCompletionStream`, which runs a `ChatCompletionAccumulator` over the
chunks of an `AsyncStream`. Both are built on generic bases (`CompletionStreamBase`,
`CompletionStreamManagerBase`) that other completion streams share (grounded completions:
``_grounded_stream.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from typing_extensions import Self

from ..._exceptions import IncompleteStreamError
from ..._streaming import AsyncStream
from ...types.chat import ChatCompletion, ChatCompletionChunk, ContentDeltaEvent
from ...types.chat.chat_completion_stream_event import ChatCompletionStreamEvent
from ._accumulator import ChatCompletionAccumulator

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
    "CompletionStreamBase",
    "CompletionStreamManagerBase",
]

_K = TypeVar("_K", bound=ChatCompletionChunk)  # the chunks read
_C = TypeVar("_C", bound=ChatCompletion)  # the completion assembled
_E = TypeVar("_E")  # the events yielded


class _Closable(Protocol):
    async def close(self) -> None: ...


_S = TypeVar("_S", bound=_Closable)  # the stream a manager gives


class CompletionStreamBase(Generic[_K, _C, _E]):
    """What every streamed completion shares: iteration, text, close, the final completion.

    A subclass says how a chunk is assembled (`_add`, `_snapshot`, `_final`, `_ttft`),
    usually by an accumulator it holds. See `ChatCompletionStream` for the behaviour.

    Args:
        raw: the `AsyncStream` of chunks to read.

    Attributes:
        response: the underlying `httpx.Response`.
        request_id: the ``x-request-id`` (or ``request-id``) header of the response.
    """

    def __init__(self, raw: AsyncStream[_K]) -> None:
        self._raw = raw
        self.response: httpx.Response = raw.response
        self.request_id = raw.request_id
        self._closed = False
        self._iterator = self._events()

    # -- what a subclass provides -------------------------------------------------------------

    def _add(self, chunk: _K) -> Sequence[_E]:
        raise NotImplementedError

    def _snapshot(self) -> _C:
        raise NotImplementedError

    def _final(self) -> _C:
        raise NotImplementedError

    def _ttft(self) -> float | None:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[_E]:
        return self

    async def __anext__(self) -> _E:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _events(self) -> AsyncGenerator[_E, None]:
        try:
            async for chunk in self._raw:
                for event in self._add(chunk):
                    yield event
                    if self._closed:
                        return
        except IncompleteStreamError as exc:
            if exc.snapshot is None:
                exc.snapshot = self._snapshot().model_copy(deep=True)
            raise

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The text of the answer as it arrives: only the content deltas, as strings.

        It reads the same events as iterating the stream (the other events are skipped), so
        use one or the other.
        """
        return self._text()

    async def _text(self) -> AsyncGenerator[str, None]:
        async for event in self:
            if isinstance(event, ContentDeltaEvent):
                yield event.delta

    @property
    def current_completion_snapshot(self) -> _C:
        """The completion assembled so far (a live object, updated in place as chunks come)."""
        return self._snapshot()

    @property
    def ttft_ms(self) -> float | None:
        """Gloo's time to first token in milliseconds, once a chunk carried it."""
        return self._ttft()

    async def until_done(self) -> None:
        """Read the stream to its end, through the usage chunk, releasing the connection."""
        async for _ in self:
            pass

    async def get_final_completion(self) -> _C:
        """Read the rest of the stream and return the assembled completion.

        Returns:
            The completion: content, refusal, tool calls with their whole arguments, finish
            reasons, usage, routing metadata and ``ttft_ms``.

        Raises:
            IncompleteStreamError: the body ended, or the stream was closed, before every
                choice finished.
            APIStreamError: the API sent an error in the middle of the stream.
            APIConnectionError: the connection dropped mid-stream.
        """
        await self.until_done()
        return self._final()

    async def close(self) -> None:
        """Stop reading and release the connection. Safe twice, and from another task."""
        self._closed = True
        await self._raw.close()
        with contextlib.suppress(RuntimeError):  # it may be running in another task
            await self._iterator.aclose()


class ChatCompletionStream(
    CompletionStreamBase[ChatCompletionChunk, ChatCompletion, ChatCompletionStreamEvent]
):
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
        self._accumulator = ChatCompletionAccumulator()
        super().__init__(raw)

    def _add(self, chunk: ChatCompletionChunk) -> Sequence[ChatCompletionStreamEvent]:
        return self._accumulator.add(chunk)

    def _snapshot(self) -> ChatCompletion:
        return self._accumulator.snapshot

    def _final(self) -> ChatCompletion:
        return self._accumulator.final_completion()

    def _ttft(self) -> float | None:
        return self._accumulator.ttft_ms

    @property
    def accumulator(self) -> ChatCompletionAccumulator:
        """The `ChatCompletionAccumulator` that assembles this stream."""
        return self._accumulator


class CompletionStreamManagerBase(Generic[_K, _S]):
    """The async context manager a ``stream(...)`` helper returns (see
    `ChatCompletionStreamManager`): entering sends the request and wraps its stream.

    Args:
        open_stream: sends the request and returns its `AsyncStream` of chunks.
        wrap: makes the helper's stream of the raw one.
    """

    def __init__(
        self,
        open_stream: Callable[[], Awaitable[AsyncStream[_K]]],
        wrap: Callable[[AsyncStream[_K]], _S],
    ) -> None:
        self._open_stream = open_stream
        self._wrap = wrap
        self._stream: _S | None = None

    async def __aenter__(self) -> _S:
        if self._stream is not None:
            raise RuntimeError("This stream() was already entered; call stream() again.")
        self._stream = self._wrap(await self._open_stream())
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.close()


class ChatCompletionStreamManager(
    CompletionStreamManagerBase[ChatCompletionChunk, ChatCompletionStream]
):
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
        super().__init__(open_stream, ChatCompletionStream)
