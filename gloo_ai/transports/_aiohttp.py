"""An httpx transport that sends through aiohttp (``pip install 'gloo-ai[aiohttp]'``).

httpx's own transport (httpcore) rescans its whole pool on every request, which costs
milliseconds of CPU per request at high concurrency; aiohttp's connector does not (see
docs/performance.md). This transport keeps httpx's API (requests, responses, errors, auth,
timeouts) and replaces only the connection pool and the HTTP/1.1 parser. asyncio only.

aiohttp is imported when a transport is created, never when ``gloo_ai`` is imported.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from .. import _httpx_objects
from .._config import DEFAULT_CONNECTION_LIMITS, DEFAULT_TIMEOUT
from .._exceptions import ConfigurationError
from .._limits import ERROR_BODY_BYTES, WHOLE_BODY
from ._aiohttp_convert import (
    FailedBody,
    ResponseStream,
    aiohttp_headers,
    raise_mapped,
    response_extensions,
)

if TYPE_CHECKING:
    import ssl
    from types import ModuleType

__all__ = ["AiohttpTransport", "aiohttp_client"]

_INSTALL_HINT = (
    "AiohttpTransport needs aiohttp, which is not installed. Install it with: "
    "pip install 'gloo-ai[aiohttp]'"
)
_NEEDS_ASYNCIO = (
    "AiohttpTransport runs on asyncio only, and no asyncio event loop is running here "
    "(trio?). Under trio, use AsyncGloo's default transport (do not pass an http_client "
    "built on AiohttpTransport)."
)

# The default transport's cap (aiohttp's own default, 100, would make the 101st concurrent
# call wait for as long as a model thinks).
DEFAULT_LIMIT = DEFAULT_CONNECTION_LIMITS.max_connections or 1000

# How many parsed URLs and timeouts a transport keeps (the SDK uses a handful of each).
_CACHE_SIZE = 256


def _import_aiohttp() -> ModuleType:
    try:
        import aiohttp
    except ImportError as exc:
        raise ConfigurationError(_INSTALL_HINT) from exc
    return aiohttp


def _url_class() -> Any:
    import yarl  # an aiohttp dependency

    return yarl.URL


def _running_asyncio_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise ConfigurationError(_NEEDS_ASYNCIO) from None


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` backed by one `aiohttp.ClientSession` (asyncio only).

    Use it through an `httpx.AsyncClient`::

        http = httpx.AsyncClient(transport=AiohttpTransport())
        async with AsyncGloo(http_client=http) as client:
            ...
        await http.aclose()

    The session is created on first use, in the running event loop, and belongs to that
    loop. Timeouts come from each request (``connect`` and ``read``, as for httpx's own
    transport; aiohttp has no write timeout, and ``pool`` is added to the connect time);
    aiohttp's errors are raised as httpx's (`httpx.ConnectError`, `httpx.ConnectTimeout`,
    `httpx.ReadTimeout`, `httpx.RemoteProtocolError`, `httpx.ReadError`), so `AsyncGloo`
    retries and reports them as it does with the default transport. Under trio it raises
    `ConfigurationError`.

    Args:
        limit: the most connections open at once (aiohttp's ``TCPConnector(limit=)``);
            further requests wait for a free one. The default, 1,000, is the default
            transport's ``max_connections`` (aiohttp's own default is 100).
        limit_per_host: the most connections to one host; 0 for no limit of its own.
        keepalive_timeout: seconds an idle connection is kept for reuse.
        ssl: an `ssl.SSLContext`, or False to skip certificate checks; default: aiohttp's
            default verification.
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        limit_per_host: int = 0,
        keepalive_timeout: float = 30.0,
        ssl: ssl.SSLContext | bool = True,
    ) -> None:
        if not isinstance(limit, int) or limit < 1:
            raise ConfigurationError(f"limit must be an int >= 1, not {limit!r}.")
        self._aiohttp = _import_aiohttp()
        self._url = _url_class()
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._keepalive_timeout = keepalive_timeout
        self._ssl = ssl
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False
        self._urls: dict[int, tuple[httpx.URL, Any]] = {}
        self._timeouts: dict[tuple[float | None, ...], Any] = {}
        self._owner_checks_loop = False

    def _skip_own_loop_checks(self) -> None:
        """Skip this transport's own event loop and fork checks once its session exists:
        for an owner that makes both before every request it sends here (AsyncGloo's pool,
        which then builds a new transport), and saves the two system calls they cost."""
        self._owner_checks_loop = True

    def _get_session(self) -> Any:
        session = self._session
        if session is not None and self._owner_checks_loop:
            return session
        loop = _running_asyncio_loop()
        if self._closed:
            raise RuntimeError("This AiohttpTransport has been closed.")
        if self._session is not None and (loop is not self._loop or os.getpid() != self._pid):
            raise ConfigurationError(
                "This AiohttpTransport belongs to another event loop (or to the process this "
                "one was forked from), and its connections cannot be used here. Create the "
                "transport, its httpx.AsyncClient and AsyncGloo inside the event loop (and "
                "process) that uses them."
            )
        if self._session is None:
            aiohttp = self._aiohttp
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=self._limit_per_host,
                keepalive_timeout=self._keepalive_timeout,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # httpx decodes the body, keeps the cookies and follows redirects.
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._loop = loop
            self._pid = os.getpid()
        return self._session

    def _client_timeout(self, timeout: Mapping[str, float | None]) -> Any:
        connect = timeout.get("connect")
        pool = timeout.get("pool")
        read = timeout.get("read")
        key = (connect, pool, read)
        found = self._timeouts.get(key)
        if found is None:
            found = self._aiohttp.ClientTimeout(
                total=None,
                connect=None if connect is None or pool is None else connect + pool,
                sock_connect=connect,
                sock_read=read,
            )
            if len(self._timeouts) >= _CACHE_SIZE:
                self._timeouts.clear()
            self._timeouts[key] = found
        return found

    def _aiohttp_url(self, url: httpx.URL) -> Any:
        """aiohttp's URL for ``url``, parsed once per `httpx.URL` object (the SDK reuses
        one per path); the entry holds the object, so its id cannot be reused meanwhile."""
        found = self._urls.get(id(url))
        if found is not None and found[0] is url:
            return found[1]
        parsed = self._url(str(url), encoded=True)
        if len(self._urls) >= _CACHE_SIZE:
            self._urls.clear()
        self._urls[id(url)] = (url, parsed)
        return parsed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through aiohttp; return a response whose body streams.

        When the request carries the `WHOLE_BODY` extension (the SDK reads the answer whole)
        and the answer's length is known and within it, the body is read here in one step
        and the response comes back already read.
        """
        session = self._get_session()
        aiohttp = self._aiohttp
        try:
            body = request.content  # a body the SDK built is known already
        except httpx.RequestNotRead:
            body = await request.aread()
        pairs = aiohttp_headers(request.headers)
        timeout = self._client_timeout(request.extensions.get("timeout") or {})
        try:
            response = await session.request(
                request.method,
                self._aiohttp_url(request.url),
                headers=pairs,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            )
        except Exception as exc:
            raise_mapped(aiohttp, exc, request, connecting=True)
        stream: httpx.AsyncByteStream
        content: bytes | None = None
        whole = request.extensions.get(WHOLE_BODY)
        length = response.content_length
        status = response.status
        if (
            whole is not None
            and length is not None
            and length <= (whole if status < 300 else min(whole, ERROR_BODY_BYTES))
            and "Content-Encoding" not in response.headers
        ):
            try:
                content = await response.read()
            except Exception as exc:
                response.close()
                stream = FailedBody(aiohttp, exc, request)
            else:
                response.release()
                stream = httpx.ByteStream(content)
        else:
            stream = ResponseStream(aiohttp, response, request)
        answer = _httpx_objects.response(
            status,
            _httpx_objects.headers_from_pairs(response.raw_headers),
            stream,
            request,
            response_extensions(response.version, response.reason),
        )
        if content is not None:
            answer._content = content  # read: .content and .json() work at once
        return answer

    def abandon(self) -> None:
        """Close the sockets of a session whose event loop has finished (or was forked from).

        Such a session cannot be closed the normal way (that needs its loop); this closes its
        sockets directly and marks it closed, so that it neither leaks them nor warns about
        an unclosed session. It reaches into aiohttp's and asyncio's internals, so every step
        is optional: at worst a socket is left to the garbage collector.
        """
        session, self._session = self._session, None
        connector = getattr(session, "connector", None)
        if connector is None:
            return
        protocols = [proto for conns in connector._conns.values() for proto, _ in conns]
        protocols.extend(connector._acquired)
        for proto in protocols:
            transport: Any = getattr(proto, "transport", None)
            sock = getattr(transport, "_sock", None)
            if sock is not None:
                transport._sock = None
                sock.close()
        connector._conns.clear()
        connector._acquired.clear()
        connector._closed = True

    async def aclose(self) -> None:
        """Close the aiohttp session and its connections."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def aiohttp_client(
    *,
    limit: int = DEFAULT_LIMIT,
    limit_per_host: int = 0,
    keepalive_timeout: float = 30.0,
    ssl: ssl.SSLContext | bool = True,
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` that sends through an `AiohttpTransport` (asyncio only).

    Most code wants ``AsyncGloo(transport="aiohttp")`` instead, which builds this client
    and closes it with the AsyncGloo. Passed as ``AsyncGloo(http_client=aiohttp_client())``,
    it is not closed by AsyncGloo (it never closes an ``http_client`` it was given), so
    close it yourself (``await http.aclose()``) when done.

    Args:
        limit: the most connections open at once.
        limit_per_host: the most connections to one host (0: no limit of its own).
        keepalive_timeout: seconds an idle connection is kept for reuse.
        ssl: an `ssl.SSLContext`, or False to skip certificate checks.
        timeout: the httpx client's default timeout (AsyncGloo sets its own per request).
        **kwargs: passed on to `httpx.AsyncClient` (not ``transport``). ``trust_env``
            defaults to False here: with it, httpx would send requests matching the
            ``HTTP(S)_PROXY`` variables through its own proxy transport, not through aiohttp.
    """
    transport = AiohttpTransport(
        limit=limit, limit_per_host=limit_per_host, keepalive_timeout=keepalive_timeout, ssl=ssl
    )
    kwargs.setdefault("follow_redirects", False)
    kwargs.setdefault("trust_env", False)
    return httpx.AsyncClient(transport=transport, timeout=timeout, **kwargs)
