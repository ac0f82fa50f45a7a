"""httpx's requests, responses and headers, made from parts already in httpx's form. No I/O.

httpx's constructors normalise every argument they are given: each header is type-checked,
encoded and lowered one call at a time, the URL is copied into a new object, the extensions
copied. On the SDK's send path the parts are normal already (the request builder holds its
headers as byte triples and one URL object per path; aiohttp hands over the answer's headers
as byte pairs), and that normalising was about a tenth of the SDK's own CPU per call on the
aiohttp transport (docs/performance.md). Sharing the URL object also lets the aiohttp
transport parse each URL once instead of once per request.

This module is the only one that relies on how httpx lays these objects out (their
attribute names). At import it builds one of each both ways and compares them; if a version
of httpx lays them out otherwise, every function here uses httpx's public constructors
instead, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

__all__ = [
    "FAST",
    "Triple",
    "header_triples",
    "header_value",
    "headers_from_pairs",
    "headers_from_triples",
    "names_any",
    "request",
    "response",
    "set_header",
]

Triple = tuple[bytes, bytes, bytes]
"""A header as httpx keeps it: the name as sent, the name lowered, the value."""

_new = object.__new__


def _fast_headers(triples: list[Triple]) -> httpx.Headers:
    """`httpx.Headers` holding ``triples`` (the list itself, not a copy)."""
    headers: httpx.Headers = _new(httpx.Headers)
    headers._list = triples
    headers._encoding = None
    return headers


def _fast_request(
    method: str,
    url: httpx.URL,
    headers: httpx.Headers,
    content: bytes,
    extensions: dict[str, Any],
) -> httpx.Request:
    """The `httpx.Request` that ``httpx.Request(method, url, headers=headers,
    content=content, extensions=extensions)`` makes when every header is given already:
    ``method`` in upper case, ``url`` kept (not copied), the body read (``.content``)."""
    request: httpx.Request = _new(httpx.Request)
    request.method = method
    request.url = url
    request.headers = headers
    request.extensions = extensions
    request.stream = httpx.ByteStream(content)
    request._content = content
    return request


def _fast_response(
    status_code: int,
    headers: httpx.Headers,
    stream: httpx.AsyncByteStream,
    request: httpx.Request,
    extensions: Mapping[str, Any],
) -> httpx.Response:
    """The `httpx.Response` that ``httpx.Response(status_code, headers=headers,
    stream=stream, request=request, extensions=extensions)`` makes."""
    response: httpx.Response = _new(httpx.Response)
    response.status_code = status_code
    response.headers = headers
    response._request = request
    response.next_request = None
    response.extensions = dict(extensions)
    response.history = []
    response.is_closed = False
    response.is_stream_consumed = False
    response.default_encoding = "utf-8"
    response.stream = stream
    response._num_bytes_downloaded = 0
    return response


def _public_headers(triples: list[Triple]) -> httpx.Headers:
    return httpx.Headers([(name, value) for name, _, value in triples])


def _public_request(
    method: str,
    url: httpx.URL,
    headers: httpx.Headers,
    content: bytes,
    extensions: dict[str, Any],
) -> httpx.Request:
    made = httpx.Request(
        method, url, headers=headers, stream=httpx.ByteStream(content), extensions=extensions
    )
    made._content = content  # what read() sets: .content works, as with content=
    return made


def _public_response(
    status_code: int,
    headers: httpx.Headers,
    stream: httpx.AsyncByteStream,
    request: httpx.Request,
    extensions: Mapping[str, Any],
) -> httpx.Response:
    return httpx.Response(  # copied: some httpx versions keep the mapping given
        status_code, headers=headers, stream=stream, request=request, extensions=dict(extensions)
    )


def _same_layout() -> bool:
    """Whether objects made here have exactly the attributes httpx's constructors give."""
    url = httpx.URL("http://example.com/path")
    pairs = [(b"Host", b"example.com"), (b"Content-Length", b"1")]
    triples = [(name, name.lower(), value) for name, value in pairs]
    stream = httpx.ByteStream(b"{}")
    built = httpx.Request("POST", url, headers=pairs, content=b"x")
    made = _fast_request("POST", url, _fast_headers(triples), b"x", {})
    answer = httpx.Response(200, headers=pairs, stream=stream, request=built)
    copy = _fast_response(200, _fast_headers(list(triples)), stream, made, {})
    return (
        vars(built).keys() == vars(made).keys()
        and vars(built.headers) == vars(made.headers)
        and vars(answer).keys() == vars(copy).keys()
        and vars(answer.headers) == vars(copy.headers)
    )


FAST: bool = _same_layout()
"""Whether this httpx lays its objects out as this module expects (else: constructors)."""

if FAST:
    headers_from_triples = _fast_headers
    request = _fast_request
    response = _fast_response
else:  # pragma: no cover - another httpx layout: the public constructors
    headers_from_triples = _public_headers
    request = _public_request
    response = _public_response


def headers_from_pairs(pairs: Iterable[tuple[bytes, bytes]]) -> httpx.Headers:
    """`httpx.Headers` from (name, value) byte pairs, such as aiohttp's ``raw_headers``."""
    return headers_from_triples([(name, name.lower(), value) for name, value in pairs])


def header_triples(headers: httpx.Headers) -> list[Triple]:
    """The headers as httpx keeps them, (name, lowered name, value); not to be changed."""
    if FAST:
        triples: list[Triple] = headers._list
        return triples
    return [(name, name.lower(), value) for name, value in headers.raw]  # pragma: no cover


def names_any(headers: httpx.Headers, lowered: frozenset[bytes]) -> bool:
    """Whether any header's lowered name is in ``lowered`` (byte strings)."""
    return any(name in lowered for _, name, _ in header_triples(headers))


def header_value(headers: httpx.Headers, lowered: bytes) -> str | None:
    """``headers.get(name)`` for the header whose lowered name is ``lowered``: its values
    joined by ``", "``, or None when absent. Decoded as httpx decodes them, ASCII first, so
    that a lookup does not decode every header to find the encoding."""
    values = [value for _, name, value in header_triples(headers) if name == lowered]
    if not values:
        return None
    try:
        return ", ".join([value.decode("ascii") for value in values])
    except UnicodeDecodeError:
        encoding = headers.encoding
        return ", ".join([value.decode(encoding) for value in values])


def set_header(headers: httpx.Headers, triple: Triple) -> None:
    """``headers[name] = value`` for a header already in httpx's form (as `Triple`): it
    replaces the headers of that name (the first in place), or comes after the others."""
    if not FAST:  # pragma: no cover - another httpx layout
        headers[triple[0].decode()] = triple[2].decode()
        return
    triples: list[Triple] = headers._list
    lowered = triple[1]
    found = [i for i, (_, name, _) in enumerate(triples) if name == lowered]
    for i in reversed(found[1:]):
        del triples[i]
    if found:
        triples[found[0]] = triple
    else:
        triples.append(triple)
