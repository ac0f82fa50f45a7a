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
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

import pydantic

from ._error_bodies import is_error_payload, loads, request_id_of
from ._exceptions import APIResponseValidationError, APIStreamError
from ._models import GlooModel, set_request_id
from ._sse import ServerSentEvent, SSEDecoder
from ._stream_reader import StreamReader, StreamRules, Verdict, YieldAll, close_soon

if TYPE_CHECKING:
    import httpx

    from ._hooks import StreamObserver

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

# Extra fields that make a model decoded on the fast path worth a second look.
_SUSPECT_KEYS = frozenset({"error", "detail", "message"})


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
                    set_request_id(model, self._request_id)
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
            payload = loads(event.data)
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
        set_request_id(model, self._request_id)
        return model


class AsyncStream(Generic[_T]):
    """An SSE response, iterated as models: ``async for chunk in stream``.

    Use it as an async context manager (``async with stream:``) or call `close` so that the
    connection is released when you stop early; a stream read to its end releases it by
    itself, and so does one that is left (``break``) and dropped: nothing in it refers back
    to itself, so it is freed at once, without waiting for the garbage collector, and its
    connection goes back to the pool. An error event in the stream raises `APIStreamError`; a
    connection that drops mid-stream raises `APIConnectionError` (or `APITimeoutError`); a
    body that ends before the answer is complete raises what the stream's rules say
    (`IncompleteStreamError` for chat); a line or an event over the client's limits raises
    `ResponseTooLargeError`; an answer that is not ``text/event-stream`` raises
    `APIResponseValidationError` with the start of its body.

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
    _observer: StreamObserver | None = None  # set by the instrumentation, when enabled

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
        # The generator holds the reader, never the stream: no reference cycle.
        self._reader: StreamReader[_T] = StreamReader(
            response, decode, rules if rules is not None else YieldAll(), self.drain_timeout
        )
        self._iterator = self._reader.iterate()

    @property
    def _closed(self) -> bool:
        return self._reader.closed

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "drain_timeout":  # set on the instance after it was made
            self._reader.drain_timeout = float(value)  # type: ignore[arg-type]

    def __aiter__(self) -> AsyncStream[_T]:
        return self

    async def __anext__(self) -> _T:
        if self._observer is None:
            return await self._iterator.__anext__()
        return await self._observer.next(self._iterator)  # type: ignore[no-any-return]

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
        """Call ``observer(item)`` with each item before it is yielded (the usage meter)."""
        self._reader.observe(observer)

    async def close(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        self._reader.closed = True
        if self._observer is not None:
            self._observer.closed()
        await self.response.aclose()
        with contextlib.suppress(RuntimeError):  # it may be running in another task
            await self._iterator.aclose()

    def __del__(self) -> None:
        # A stream dropped unclosed (no cycle keeps it, so this runs at once): close it on the
        # running loop. A started generator is closed, which closes the response and httpx's
        # own generators in order (none is left for the collector, nor warned about by trio);
        # an unstarted one has no `finally` to run, so the response is closed directly.
        reader = self.__dict__.get("_reader")
        if reader is None or reader.closed or self.response.is_closed:
            return
        reader.closed = True
        close_soon(self._iterator.aclose if reader.started else self.response.aclose)
