"""The reading loop behind `AsyncStream`, and the rules a kind of stream gives it.

`StreamReader.iterate` is the stream's generator: it feeds the body to the `SSEDecoder` (with the
client's line and event limits), decodes each event, asks the `StreamRules` what to do with
the item, and drains what is left once the answer is complete. It holds the response, the
decode callable and the rules, never the `AsyncStream` itself: a stream that is dropped
half-read has no reference cycle, so it is freed at once and its generator's ``finally``
closes the response (and gives back the connection) without waiting for ``gc.collect()``.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import anyio

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ResponseTooLargeError,
)
from ._limits import limits_of
from ._sse import ServerSentEvent, SSEDecoder, SSELimitError

if TYPE_CHECKING:
    import httpx

__all__ = ["StreamReader", "StreamRules", "Verdict", "YieldAll", "close_soon"]

_T = TypeVar("_T")
_T_contra = TypeVar("_T_contra", contravariant=True)


class Verdict(enum.Enum):
    """What `AsyncStream` does with a decoded item, as the stream's rules decide."""

    YIELD = "yield"
    """Hand it to the consumer."""
    DROP = "drop"
    """Skip it."""
    FINISH = "finish"
    """Hand it to the consumer; the answer is now complete, so stop reading."""


class StreamRules(Protocol[_T_contra]):
    """What a kind of stream means: when an item is yielded, and when the stream is complete.

    One object per stream (it may keep state). `AsyncStream` calls `accept` for each decoded
    item, in order, and `end_of_body` when the body ended (``[DONE]`` or the end of the
    response) before `accept` returned `Verdict.FINISH`.
    """

    def accept(self, item: _T_contra) -> Verdict:
        """Say what to do with ``item``: yield it, drop it, or yield it and finish."""
        ...

    def end_of_body(self) -> None:
        """The body ended before the answer was complete: raise if that is an error."""
        ...


class YieldAll:
    """Rules that yield every item and accept any end of the body."""

    def accept(self, item: object) -> Verdict:
        return Verdict.YIELD

    def end_of_body(self) -> None:
        return None


class StreamReader(Generic[_T]):
    """What the stream's generator reads with: the response, the decoder, the rules."""

    def __init__(
        self,
        response: httpx.Response,
        decode: Callable[[ServerSentEvent], _T | None],
        rules: StreamRules[_T],
        drain_timeout: float,
    ) -> None:
        self.response = response
        self.decode = decode
        self.rules = rules
        self.drain_timeout = drain_timeout
        self.closed = False
        self.started = False
        # Called with each item before it is yielded (the usage meter): a hook, not one more
        # async generator in the chain, which would cost about as much per chunk as the rules.
        self.on_item: Callable[[_T], object] | None = None

    def observe(self, observer: Callable[[_T], object]) -> None:
        """Call ``observer(item)`` with each item before it is yielded, after any earlier one."""
        previous = self.on_item
        if previous is None:
            self.on_item = observer
            return

        def both(item: _T) -> None:
            previous(item)
            observer(item)

        self.on_item = both

    async def iterate(self) -> AsyncGenerator[_T, None]:
        import httpx

        self.started = True
        limits = limits_of(self.response)
        decoder = SSEDecoder(max_line_bytes=limits.line_bytes, max_event_bytes=limits.event_bytes)
        body = self.response.aiter_bytes()
        decode = self.decode
        accept = self.rules.accept
        rest: list[ServerSentEvent] | None = None  # set when the answer is complete
        ended = done = False
        try:
            try:
                await self._check_content_type(body)
                while rest is None and not ended:
                    try:
                        events = decoder.feed(await body.__anext__())
                    except StopAsyncIteration:
                        events = decoder.flush()
                        ended = True
                    for i, event in enumerate(events):
                        if self.closed:
                            return
                        if event.data == "[DONE]":
                            ended = done = True
                            break
                        item = decode(event)
                        if item is None:
                            continue
                        verdict = accept(item)
                        if verdict is Verdict.DROP:
                            continue
                        if self.on_item is not None:
                            self.on_item(item)
                        yield item
                        if verdict is Verdict.FINISH:
                            rest = events[i + 1 :]
                            break
                if rest is None:
                    if done and not self.closed:  # read past [DONE]: the connection is reused
                        await self._drain(body, decoder)
                    if not self.closed:
                        self.rules.end_of_body()
                    return
                for item in self._late_items(rest + await self._drain(body, decoder)):
                    if self.closed:
                        return
                    if self.on_item is not None:
                        self.on_item(item)
                    yield item
            except SSELimitError as exc:
                option = "max_stream_line_bytes" if exc.what == "line" else "max_stream_event_bytes"
                raise ResponseTooLargeError(
                    f"The stream sent an {exc.what} larger than {exc.limit} bytes, the limit of "
                    f"this client; the stream was closed. If such events are expected, raise "
                    f"{option}= of AsyncGloo.",
                    response=self.response,
                    limit=exc.limit,
                ) from None
            except httpx.TimeoutException as exc:
                raise APITimeoutError(
                    "The stream timed out waiting for the next event.",
                    request=self.response.request,
                ) from exc
            except (httpx.TransportError, httpx.StreamError) as exc:
                if self.closed:
                    return
                raise APIConnectionError(
                    f"The connection dropped in the middle of the stream ({type(exc).__name__}).",
                    request=self.response.request,
                ) from exc
        finally:
            await self.response.aclose()
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(RuntimeError):
                    await aclose()  # httpx's generator, so that none is left unfinished

    async def _drain(
        self, body: AsyncIterator[bytes], decoder: SSEDecoder
    ) -> list[ServerSentEvent]:
        """Read the rest of the body for at most `drain_timeout` seconds; return its events.

        A body read to its end lets the connection go back to the pool; one that does not end
        in time is abandoned (the response is closed, and so is its connection). A network
        error here is no error: the answer was already complete.
        """
        import httpx

        events: list[ServerSentEvent] = []
        with anyio.move_on_after(self.drain_timeout):
            try:
                async for piece in body:
                    if self.closed:
                        return events
                    events.extend(decoder.feed(piece))
                events.extend(decoder.flush())
            except (httpx.TransportError, httpx.StreamError):
                pass
        return events

    def _late_items(self, events: list[ServerSentEvent]) -> list[_T]:
        """The items of the events that came after the answer was complete, as the rules say."""
        items: list[_T] = []
        for event in events:
            if event.data == "[DONE]":
                break
            item = self.decode(event)
            if item is not None and self.rules.accept(item) is not Verdict.DROP:
                items.append(item)
        return items

    async def _check_content_type(self, body: AsyncIterator[bytes]) -> None:
        content_type = self.response.headers.get("content-type", "")
        kind = content_type.partition(";")[0].strip().lower()
        if kind == "text/event-stream":
            return
        if kind == "application/json":
            # A JSON answer to a streaming request: an error, or a server that ignored
            # "stream".
            raise APIResponseValidationError(
                "Expected an event stream (text/event-stream) but the API answered with JSON. "
                "Call create() without stream=True to get the whole completion.",
                response=self.response,
            )
        start = b""
        with contextlib.suppress(StopAsyncIteration):
            start = await body.__anext__()
        text = start[:_BODY_START].decode("utf-8", "replace")
        what = f"with {content_type!r}" if content_type else "without a content type"
        raise APIResponseValidationError(
            f"Expected an event stream (text/event-stream) but the API answered HTTP "
            f"{self.response.status_code} {what}, which starts: {text!r}. "
            "A proxy or gateway may have answered instead of the API: check the base URL.",
            response=self.response,
            body=text,
        )


_BODY_START = 200  # how much of a body that is not a stream its error shows
_CLOSING: set[object] = set()  # tasks closing dropped streams (a task needs a reference)


def close_soon(close: Callable[[], Awaitable[object]]) -> None:
    """Run ``close()`` (a dropped stream's clean-up) soon on the running loop (asyncio or
    trio); errors are ignored. Without a running loop, nothing is done: the generators are
    then finalised by the interpreter."""
    # Called from __del__, possibly at interpreter exit: nothing here may raise.
    with contextlib.suppress(Exception):
        _schedule(close)


def _schedule(close: Callable[[], Awaitable[object]]) -> None:
    import asyncio

    async def run() -> None:
        with contextlib.suppress(Exception):
            await close()

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(run())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)
        return
    import trio

    trio.lowlevel.spawn_system_task(run)
