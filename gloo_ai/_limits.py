"""How much of an answer the client reads: the caps on bodies, stream lines and events.

A hostile or broken server can send a body of any size. `BodyLimits` says how much a client
accepts (set per client: ``AsyncGloo(max_response_bytes=..., max_stream_line_bytes=...,
max_stream_event_bytes=...)``); the transport puts the limits in each request's extensions,
where `AsyncStream` finds them. `read_body` reads a 2xx body up to its cap, `read_error_body`
reads at most `ERROR_BODY_BYTES` of an error body (the status decides; the rest is not read),
and the transport reads every error body once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ._exceptions import ConfigurationError, ResponseTooLargeError
from ._sse import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_LINE_BYTES

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ERROR_BODY_BYTES",
    "EXTENSION",
    "WHOLE_BODY",
    "BodyLimits",
    "limits_of",
    "read_body",
    "read_error_body",
]

DEFAULT_MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024
"""The largest non-streamed body (64 MiB, after decompression) a client reads by default."""

ERROR_BODY_BYTES: Final = 1024 * 1024
"""How much of an error body (4xx, 5xx) is read: 1 MiB; the rest is dropped unread."""

EXTENSION: Final = "gloo_ai.limits"
"""The request extension that carries a call's `BodyLimits`."""

WHOLE_BODY: Final = "gloo_ai.whole_body"
"""The request extension that tells a transport the answer is read whole (not streamed), and
up to how many bytes: a transport may then read an answer of known length within that at
once, and return the response already read (``response.content`` set)."""


@dataclass(frozen=True)
class BodyLimits:
    """The most a client reads of an answer, in bytes.

    Attributes:
        response_bytes: a whole (non-streamed) body, after decompression.
        line_bytes: one line of an event stream.
        event_bytes: the data of one event of a stream.
    """

    response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    line_bytes: int = DEFAULT_MAX_LINE_BYTES
    event_bytes: int = DEFAULT_MAX_EVENT_BYTES

    @classmethod
    def checked(cls, response_bytes: object, line_bytes: object, event_bytes: object) -> BodyLimits:
        """The limits from the client's ``max_response_bytes``, ``max_stream_line_bytes`` and
        ``max_stream_event_bytes``, or `ConfigurationError` naming the bad one."""
        names = ("max_response_bytes", "max_stream_line_bytes", "max_stream_event_bytes")
        values = (response_bytes, line_bytes, event_bytes)
        for name, value in zip(names, values, strict=True):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(
                    f"{name} must be a whole number of bytes >= 1, not {value!r}."
                )
        return cls(*values)  # type: ignore[arg-type]


DEFAULT_LIMITS: Final = BodyLimits()


def limits_of(response: httpx.Response) -> BodyLimits:
    """The limits the transport set on the response's request (the defaults if none)."""
    request = response._request  # None for a response built without one (tests)
    found = request.extensions.get(EXTENSION) if request is not None else None
    return found if isinstance(found, BodyLimits) else DEFAULT_LIMITS


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """Read a 2xx body (or take the one the transport read), refusing one over ``limit`` bytes.

    A ``Content-Length`` over the limit is refused before a byte is read; otherwise the body
    is read until it passes the limit. Either way the response is closed and
    `ResponseTooLargeError` raised; a network error closes it too and propagates.
    """
    content: bytes | None = getattr(response, "_content", None)
    if content is not None and len(content) <= limit:  # read already (by the transport)
        return content
    length = response.headers.get("content-length", "")
    try:
        if length.isdigit() and int(length) > limit and "content-encoding" not in response.headers:
            raise _too_large(response, limit, "body")
        pieces: list[bytes] = []
        size = 0
        async for piece in response.aiter_bytes():
            size += len(piece)
            if size > limit:
                raise _too_large(response, limit, "body")
            pieces.append(piece)
    except BaseException:
        await response.aclose()
        raise
    content = b"".join(pieces)
    response._content = content  # what httpx's aread() sets: .content, .json(), .text work
    return content


async def read_error_body(response: httpx.Response) -> None:
    """Read at most `ERROR_BODY_BYTES` of an unread error body, then close the response.

    A network error while reading is ignored: the status alone then decides.
    """
    import httpx

    pieces: list[bytes] = []
    size = 0
    try:
        async for piece in response.aiter_bytes():
            pieces.append(piece[: ERROR_BODY_BYTES - size])
            size += len(piece)
            if size >= ERROR_BODY_BYTES:
                break
    except httpx.TransportError:
        pass
    finally:
        await response.aclose()
    response._content = b"".join(pieces)


def _too_large(response: httpx.Response, limit: int, what: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"The API answered with a {what} larger than {limit} bytes, the limit of this client; "
        "nothing more was read. If such an answer is expected, raise max_response_bytes= of "
        "AsyncGloo.",
        response=response,
        limit=limit,
    )
