"""What the aiohttp transport translates between httpx and aiohttp: a request's headers,
an answer's extensions and body, and aiohttp's errors as httpx's. No I/O of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn

import httpx

from .. import _httpx_objects

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "FailedBody",
    "ResponseStream",
    "aiohttp_headers",
    "raise_mapped",
    "response_extensions",
]

# Request headers that describe the body as httpx framed it; aiohttp frames the bytes itself.
_FRAMING_HEADERS = frozenset({b"transfer-encoding", b"content-length"})


def aiohttp_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The request's headers as aiohttp takes them (text), less those that frame the body.

    Decoded as httpx's ``headers.encoding`` would: ASCII when every header is, which is
    checked by decoding them (one pass instead of two)."""
    triples = _httpx_objects.header_triples(headers)
    try:
        return [
            (name.decode("ascii"), value.decode("ascii"))
            for name, lowered, value in triples
            if lowered not in _FRAMING_HEADERS
        ]
    except UnicodeDecodeError:
        encoding = headers.encoding
        return [
            (name.decode(encoding), value.decode(encoding))
            for name, lowered, value in triples
            if lowered not in _FRAMING_HEADERS
        ]


def response_extensions(version: Any, reason: str | None) -> Mapping[str, Any]:
    """httpx's response extensions from aiohttp's version and reason (httpx copies them into
    the response); the common pair is encoded once."""
    if version == (1, 1) and reason == "OK":
        return _HTTP11_OK
    return {
        "http_version": f"HTTP/{version.major}.{version.minor}".encode(),
        "reason_phrase": (reason or "").encode("latin-1", "replace"),
    }


_HTTP11_OK: Final = {"http_version": b"HTTP/1.1", "reason_phrase": b"OK"}


class FailedBody(httpx.AsyncByteStream):
    """The body of an answer whose read failed in the transport: it raises the mapped
    error when httpx reads it, where a streamed body would have failed."""

    def __init__(self, aiohttp: ModuleType, exc: Exception, request: httpx.Request) -> None:
        self._aiohttp = aiohttp
        self._exc = exc
        self._request = request

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        raise_mapped(self._aiohttp, self._exc, self._request, connecting=False)


class ResponseStream(httpx.AsyncByteStream):
    """The body of an aiohttp response, as httpx reads it."""

    def __init__(self, aiohttp: ModuleType, response: Any, request: httpx.Request) -> None:
        self._aiohttp = aiohttp
        self._response = response
        self._request = request
        self._complete = False
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except Exception as exc:
            raise_mapped(self._aiohttp, exc, self._request, connecting=False)
        self._complete = True

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._complete:
            self._response.release()  # back to the pool for the next request
        else:
            self._response.close()  # abandoned mid-body: the connection cannot be reused


def raise_mapped(
    aiohttp: ModuleType, exc: Exception, request: httpx.Request, *, connecting: bool
) -> NoReturn:
    """Raise aiohttp's (or asyncio's) error ``exc`` as the matching httpx error."""
    message = str(exc) or type(exc).__name__
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    mapped: httpx.TransportError
    if connect_timeout is not None and isinstance(exc, connect_timeout):
        mapped = httpx.ConnectTimeout(message, request=request)
    elif isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        if connect_timeout is None and connecting and "connect" in message.lower():
            mapped = httpx.ConnectTimeout(message, request=request)  # aiohttp < 3.10
        else:
            mapped = httpx.ReadTimeout(message, request=request)
    elif isinstance(exc, aiohttp.ClientConnectorError):
        mapped = httpx.ConnectError(message, request=request)
    elif isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        mapped = httpx.RemoteProtocolError(message, request=request)
    elif isinstance(exc, aiohttp.InvalidURL):
        mapped = httpx.UnsupportedProtocol(message, request=request)
    elif isinstance(exc, (aiohttp.ClientError, OSError)):
        mapped = httpx.ReadError(message, request=request)
    else:
        raise exc
    raise mapped from exc
