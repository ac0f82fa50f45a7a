"""`AsyncStream`: an SSE response read as models, by a decoder and a set of rules.

Nothing here knows a particular API. A stream is put together from three parts:

- the pure `SSEDecoder` (``_sse.py``), which turns bytes into `ServerSentEvent` objects;
- a *decode* callable, which turns one event into a model, returns ``None`` to skip it, or
  raises (`APIStreamError` for an error event, `APIResponseValidationError` for one that is
  malformed). `JSONEventDecoder` is the usual one: the event's JSON validated into a model;
- a *rules* object (`StreamRules`), which says of each decoded item whether to yield it,
  drop it, or yield it and finish (the answer is complete), and what to raise when the body
  ends before the answer is complete.

Chat completions bring their own rules (``resources/chat/_chunk_stream.py``); a stream of
named events (``event: response.output_text.delta``) uses the same decoder and class.

``data: [DONE]`` ends the body. Once the rules say the answer is complete, the stream does not
wait for the server to close the body: it reads what is left for at most
`AsyncStream.drain_timeout` seconds, so that a body whose end is already on its way is read
to its end and the connection goes back to the pool, then closes the response. Events found
in that rest still go through the rules (late usage or metadata is yielded, late content is
dropped). A server that keeps the connection open costs that much and one connection.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import anyio
import pydantic

from ._error_bodies import is_error_payload, request_id_of
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    APITimeoutError,
)
from ._models import GlooModel
from ._sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AsyncStream",
    "JSONEventDecoder",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamRules",
    "Verdict",
    "YieldAll",
    "is_error_payload",
]

_T = TypeVar("_T", bound=GlooModel)
_set_private = object.__setattr__
_T_contra = TypeVar("_T_contra", contravariant=True)

# Extra fields that make a model decoded on the fast path worth a second look.
_SUSPECT_KEYS = frozenset({"error", "detail", "message"})


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


def _default_is_error(event: ServerSentEvent, payload: object) -> bool:
    return event.event == "error" or is_error_payload(payload)


class JSONEventDecoder(Generic[_T]):
    """Decodes each event's JSON into ``cls``; an error event raises `APIStreamError`.

    An event named ``error``, or one that ``is_error`` says is an error body, raises
    `APIStreamError`; data that is not JSON, or not a ``cls``, raises
    `APIResponseValidationError`. Ordinary events are validated straight from their text
    (``model_validate_json``), about twice as fast as ``json.loads`` then ``model_validate``
    (see docs/performance.md); only an event whose extra fields look like an error's is
    decoded a second time to tell.

    Args:
        cls: the model of an event.
        response: the response the events come from (for errors and the request id).
        is_error: ``(event, payload) -> bool``, whether a decoded payload is an error; by
            default an ``event: error`` or `is_error_payload`.
    """

    def __init__(
        self,
        cls: type[_T],
        response: httpx.Response,
        *,
        is_error: Callable[[ServerSentEvent, object], bool] = _default_is_error,
    ) -> None:
        self._cls = cls
        self._response = response
        self._request_id = request_id_of(response.headers)
        # What a model's ``_request_id`` reads (see GlooModel), set straight into pydantic's
        # private slot: its __setattr__ costs more than the rest of this method's work.
        self._private = None if self._request_id is None else {"_request_id": self._request_id}
        self._is_error = is_error
        self._typed = "type" in cls.model_fields  # a declared "type" is not in the extras

    def __call__(self, event: ServerSentEvent) -> _T | None:
        if event.event != "error":
            try:
                model = self._cls.model_validate_json(event.data)
            except (pydantic.ValidationError, ValueError):
                pass  # not JSON, or not a model: the slow path below says which
            else:
                if not self._suspect(model):
                    if self._private is not None:
                        _set_private(model, "__pydantic_private__", self._private)
                    return model
        return self._decode_slowly(event)

    def _suspect(self, model: _T) -> bool:
        # Whether a model that validated may be an error body after all (checked slowly).
        extra = model.__pydantic_extra__
        if extra and (not _SUSPECT_KEYS.isdisjoint(extra) or extra.get("type") == "error"):
            return True
        return self._typed and getattr(model, "type", None) == "error"

    def _decode_slowly(self, event: ServerSentEvent) -> _T:
        request = self._response.request
        try:
            payload = json.loads(event.data)
        except ValueError as exc:
            if event.event == "error":
                raise APIStreamError.from_event(event.data, request) from None
            raise APIResponseValidationError(
                f"The stream sent an event that is not JSON: {event.data[:200]!r}",
                response=self._response,
            ) from exc
        if self._is_error(event, payload):
            raise APIStreamError.from_event(payload, request)
        try:
            model = self._cls.model_validate(payload)
        except pydantic.ValidationError as exc:
            raise APIResponseValidationError(
                f"The stream sent an event that is not a {self._cls.__name__}: {exc}",
                response=self._response,
                body=payload,
            ) from exc
        model._request_id = self._request_id
        return model


class AsyncStream(Generic[_T]):
    """An SSE response, iterated as models: ``async for chunk in stream``.

    Use it as an async context manager (``async with stream:``) or call `close` so that the
    connection is released when you stop early; a stream read to its end releases it by
    itself. An error event in the stream raises `APIStreamError`; a connection that drops
    mid-stream raises `APIConnectionError` (or `APITimeoutError`); a body that ends before the
    answer is complete raises what the stream's rules say (`IncompleteStreamError` for chat).

    Args:
        response: the unread response.
        cast_to: the model of every event, decoded with `JSONEventDecoder` (or pass
            ``decode``).
        decode: ``(event) -> model | None``; ``None`` skips the event.
        rules: the stream's `StreamRules`; by default every item is yielded and the stream
            ends with the body.

    Attributes:
        response: the underlying `httpx.Response`.
        request_id: the ``x-request-id`` (or ``request-id``) header of the response.
        drain_timeout: how long, in seconds, the rest of a complete stream's body is read
            before the response is closed.
    """

    drain_timeout: float = 0.25

    def __init__(
        self,
        *,
        response: httpx.Response,
        cast_to: type[_T] | None = None,
        decode: Callable[[ServerSentEvent], _T | None] | None = None,
        rules: StreamRules[_T] | None = None,
    ) -> None:
        if decode is None:
            if cast_to is None:
                raise TypeError("AsyncStream needs cast_to or decode")
            decode = JSONEventDecoder(cast_to, response)
        self.response = response
        self.request_id = request_id_of(response.headers)
        self._decode = decode
        self._rules: StreamRules[_T] = rules if rules is not None else YieldAll()
        self._observer: Callable[[_T], object] | None = None
        self._closed = False
        self._iterator = self._iterate()

    def __aiter__(self) -> AsyncStream[_T]:
        return self

    async def __anext__(self) -> _T:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncStream[_T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _observe(self, observer: Callable[[_T], object]) -> None:
        """Call ``observer(item)`` with each item before it is yielded (the usage meter).

        A hook, not a wrapper around the iterator: one more async generator in the chain
        would cost about as much per chunk as the stream rules (see docs/performance.md).
        """
        previous = self._observer
        if previous is None:
            self._observer = observer
        else:

            def both(item: _T) -> None:
                previous(item)
                observer(item)

            self._observer = both

    async def close(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        self._closed = True
        await self.response.aclose()
        with contextlib.suppress(RuntimeError):  # it may be running in another task
            await self._iterator.aclose()

    async def _iterate(self) -> AsyncGenerator[_T, None]:
        import httpx

        decoder = SSEDecoder()
        body = self.response.aiter_bytes()
        decode = self._decode
        accept = self._rules.accept
        rest: list[ServerSentEvent] | None = None  # set when the answer is complete
        ended = done = False
        try:
            try:
                self._check_content_type()
                while rest is None and not ended:
                    try:
                        events = decoder.feed(await body.__anext__())
                    except StopAsyncIteration:
                        events = decoder.flush()
                        ended = True
                    for i, event in enumerate(events):
                        if self._closed:
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
                        if self._observer is not None:
                            self._observer(item)
                        yield item
                        if verdict is Verdict.FINISH:
                            rest = events[i + 1 :]
                            break
                if rest is None:
                    if done and not self._closed:  # read past [DONE]: the connection is reused
                        await self._drain(body, decoder)
                    if not self._closed:
                        self._rules.end_of_body()
                    return
                for item in self._late_items(rest + await self._drain(body, decoder)):
                    if self._closed:
                        return
                    if self._observer is not None:
                        self._observer(item)
                    yield item
            except httpx.TimeoutException as exc:
                raise APITimeoutError(
                    "The stream timed out waiting for the next event.",
                    request=self.response.request,
                ) from exc
            except (httpx.TransportError, httpx.StreamError) as exc:
                if self._closed:
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
                    if self._closed:
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
            item = self._decode(event)
            if item is not None and self._rules.accept(item) is not Verdict.DROP:
                items.append(item)
        return items

    def _check_content_type(self) -> None:
        content_type = self.response.headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            return
        # A JSON answer to a streaming request: an error, or a server that ignored "stream".
        raise APIResponseValidationError(
            "Expected an event stream (text/event-stream) but the API answered with JSON. "
            "Call create() without stream=True to get the whole completion.",
            response=self.response,
        )
