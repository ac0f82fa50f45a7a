"""Server-sent events: a pure decoder, and `AsyncStream`, which turns a response into models.

Gloo ends a completion stream by closing the body after the last chunk; it does not send
``data: [DONE]``, but other servers do, so both end the stream. The chunk whose
``finish_reason`` is set ends the content, yet the stream is read on to the end of the body so
that the usage-only chunk (empty ``choices``) that follows it is not lost and the connection
goes back to the pool.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

import pydantic

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    APITimeoutError,
    request_id_of,
)
from ._models import GlooModel

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncStream", "SSEDecoder", "ServerSentEvent"]

_T = TypeVar("_T", bound=GlooModel)


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of an SSE stream: its ``event`` name, joined ``data`` lines, ``id``, ``retry``."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Decodes SSE from bytes, as the WHATWG spec says; pure, so it is tested without HTTP.

    Bytes may be split anywhere, even inside a multi-byte character or between ``\\r`` and
    ``\\n``. Feed each piece to `feed` and call `flush` at the end of the body.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True
        self._after_cr = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode a piece of the body; return the events it completed."""
        return self._lines(self._decoder.decode(chunk))

    def flush(self) -> list[ServerSentEvent]:
        """End of body: return any event still pending (even without its blank line)."""
        events = self._lines(self._decoder.decode(b"", final=True))
        if self._buffer:
            self._line(self._buffer, events)
            self._buffer = ""
        self._dispatch(events)
        return events

    def _lines(self, text: str) -> list[ServerSentEvent]:
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._after_cr and text:
            # The last piece ended with "\r", already taken as a line end: a "\n" that
            # follows belongs to it.
            if text.startswith("\n"):
                text = text[1:]
            self._after_cr = False
        if not text:
            return []
        buffer = self._buffer + text
        if "\r" in buffer:
            self._after_cr = buffer.endswith("\r")
            buffer = buffer.replace("\r\n", "\n").replace("\r", "\n")
        lines = buffer.split("\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        for line in lines:
            self._line(line, events)
        return events

    def _line(self, line: str, events: list[ServerSentEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        if self._data:
            events.append(
                ServerSentEvent(
                    data="\n".join(self._data), event=self._event, id=self._id, retry=self._retry
                )
            )
        self._data = []
        self._event = None
        self._retry = None


class AsyncStream(Generic[_T]):
    """An SSE response, iterated as models: ``async for chunk in stream``.

    Use it as an async context manager (``async with stream:``) or call `close` so that the
    connection is released when you stop early; a stream read to its end releases it by
    itself. An error event in the stream raises `APIStreamError`; a connection that drops
    mid-stream raises `APIConnectionError` (or `APITimeoutError`).

    Attributes:
        response: the underlying `httpx.Response`.
        request_id: the ``x-request-id`` (or ``request-id``) header of the response.
    """

    def __init__(self, *, response: httpx.Response, cast_to: type[_T]) -> None:
        self.response = response
        self.request_id = request_id_of(response.headers)
        self._cast_to = cast_to
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

    async def close(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        self._closed = True
        await self.response.aclose()
        with contextlib.suppress(RuntimeError):  # it may be running in another task
            await self._iterator.aclose()

    async def _iterate(self) -> AsyncGenerator[_T, None]:
        import httpx

        request = self.response.request
        decoder = SSEDecoder()
        done = False
        try:
            try:
                self._check_content_type()
                async for chunk in self.response.aiter_bytes():
                    if done:
                        continue  # read past [DONE] to the end, so the connection is reused
                    for event in decoder.feed(chunk):
                        if event.data == "[DONE]":
                            done = True
                            break
                        if self._closed:
                            return
                        yield self._parse(event)
                if not done:
                    for event in decoder.flush():
                        if event.data == "[DONE]" or self._closed:
                            return
                        yield self._parse(event)
            except httpx.TimeoutException as exc:
                raise APITimeoutError(
                    "The stream timed out waiting for the next event.", request=request
                ) from exc
            except (httpx.TransportError, httpx.StreamError) as exc:
                if self._closed:
                    return
                raise APIConnectionError(
                    f"The connection dropped in the middle of the stream ({type(exc).__name__}).",
                    request=request,
                ) from exc
        finally:
            await self.response.aclose()

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

    def _parse(self, event: ServerSentEvent) -> _T:
        if event.event is None and '"error"' not in event.data:
            # The common case: validate straight from the JSON text, which is about twice
            # as fast as json.loads followed by model_validate (see docs/performance.md).
            try:
                model = self._cast_to.model_validate_json(event.data)
            except (pydantic.ValidationError, ValueError):
                pass  # not JSON, or not a chunk: the slow path below says which
            else:
                model._request_id = self.request_id
                return model
        try:
            payload = json.loads(event.data)
        except ValueError as exc:
            raise APIResponseValidationError(
                f"The stream sent an event that is not JSON: {event.data[:200]!r}",
                response=self.response,
            ) from exc
        if event.event == "error" or (
            isinstance(payload, dict) and "error" in payload and not payload.get("choices")
        ):
            raise APIStreamError.from_event(payload, self.response.request)
        try:
            model = self._cast_to.model_validate(payload)
        except pydantic.ValidationError as exc:
            raise APIResponseValidationError(
                f"The stream sent an event that is not a {self._cast_to.__name__}: {exc}",
                response=self.response,
                body=payload,
            ) from exc
        model._request_id = self.request_id
        return model
