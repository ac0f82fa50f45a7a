"""``client.responses.stream(...)``: a stream of typed events, its text, the final response.

`ResponseStreamManager` is what ``stream(...)`` returns; ``async with`` it to send the
request and get a `ResponseStream` over the `AsyncStream` of events.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

from ..._exceptions import IncompleteStreamError
from ..._streaming import AsyncStream
from ...types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItem,
    ResponseOutputItemDoneEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["ResponseStream", "ResponseStreamManager"]


class ResponseStream:
    """A streamed response, iterated as typed events: ``async for event in stream``.

    The events are the `ResponseStreamEvent` models (``response.created``,
    ``response.output_text.delta``... ``response.completed``). Read it once: events are not
    replayed. `text_stream` yields just the text; `get_final_response` reads the rest and
    returns the whole `Response`.

    Its connection is released when the stream is read to its end, when it is closed
    (`close`, or leaving ``async with``) and when the task reading it is cancelled. An error
    event raises `APIStreamError`; a dropped connection raises `APIConnectionError`; a body
    that ends before ``response.completed`` raises `IncompleteStreamError` (with the ``text``
    so far), from iteration and from `get_final_response`.

    Args:
        raw: the `AsyncStream` of events (``create(..., stream=True)`` returns one).

    Attributes:
        response: the underlying `httpx.Response`.
        request_id: the ``x-request-id`` (or ``request-id``) header of the response.
    """

    def __init__(self, raw: AsyncStream[ResponseStreamEvent]) -> None:
        self._raw = raw
        self.response: httpx.Response = raw.response
        self.request_id = raw.request_id
        self._final: Response | None = None
        self._items: dict[int, ResponseOutputItem] = {}
        self._texts: list[str] = []
        self._closed = False
        self._iterator = self._events()

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> ResponseStreamEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> ResponseStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _events(self) -> AsyncGenerator[ResponseStreamEvent, None]:
        async for event in self._raw:
            if isinstance(event, ResponseTextDeltaEvent):
                self._texts.append(event.delta)
            elif isinstance(event, ResponseOutputItemDoneEvent):
                self._items[event.output_index] = event.item
            elif isinstance(event, (ResponseCompletedEvent, ResponseIncompleteEvent)):
                final = event.response
                if not final.output and self._items:
                    # The payload did not repeat the output: the items streamed are it.
                    final.output = [self._items[i] for i in sorted(self._items)]
                self._final = final
            yield event
            if self._closed:
                return

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The text of the answer as it arrives: only the ``output_text`` deltas.

        It reads the same events as iterating the stream (the other events are skipped), so
        use one or the other.
        """
        return self._text()

    async def _text(self) -> AsyncGenerator[str, None]:
        async for event in self:
            if isinstance(event, ResponseTextDeltaEvent):
                yield event.delta

    async def until_done(self) -> None:
        """Read the stream to its end, releasing the connection."""
        async for _ in self:
            pass

    async def get_final_response(self) -> Response:
        """Read the rest of the stream and return the whole response.

        Returns:
            The `Response` of ``response.completed`` (or ``response.incomplete``), with its
            ``output`` and ``usage``.

        Raises:
            IncompleteStreamError: the body ended, or the stream was closed, before
                ``response.completed``.
            APIStreamError: the API sent an error event.
            APIConnectionError: the connection dropped mid-stream.
        """
        await self.until_done()
        if self._final is None:
            raise IncompleteStreamError(
                "The stream was closed before response.completed: there is no final "
                "response. The text received so far is in the error's `text`.",
                text="".join(self._texts),
                request=self.response.request,
            )
        return self._final

    async def close(self) -> None:
        """Stop reading and release the connection. Safe twice, and from another task."""
        self._closed = True
        await self._raw.close()
        with contextlib.suppress(RuntimeError):  # it may be running in another task
            await self._iterator.aclose()


class ResponseStreamManager:
    """The async context manager that ``client.responses.stream(...)`` returns.

    Entering it sends the request (with ``stream=True``) and gives a `ResponseStream`;
    leaving it closes the stream. Errors before the stream starts (a 403 guardrail block, a
    4xx, a 5xx after retries) raise on entering, as ``create()`` raises them.

    Example::

        async with client.responses.stream(model=..., input="What is grace?") as stream:
            async for text in stream.text_stream:
                print(text, end="", flush=True)
            response = await stream.get_final_response()

    Args:
        open_stream: sends the request and returns its `AsyncStream` of events.
    """

    def __init__(
        self, open_stream: Callable[[], Awaitable[AsyncStream[ResponseStreamEvent]]]
    ) -> None:
        self._open_stream = open_stream
        self._stream: ResponseStream | None = None

    async def __aenter__(self) -> ResponseStream:
        if self._stream is not None:
            raise RuntimeError("This stream() was already entered; call stream() again.")
        self._stream = ResponseStream(await self._open_stream())
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
