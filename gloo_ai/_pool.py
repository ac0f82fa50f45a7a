"""The connection pool's owner: one httpx client per event loop and per process.

`HttpState` is shared by a client and its ``with_options`` copies (one pool, one token cache).
It notices when the client is used from a new event loop after the old one closed (a
module-level client used by two ``asyncio.run()`` calls) and then opens a fresh pool, since
connections cannot outlive their loop; likewise in a process forked after the pool was made.

It also builds the pool the client owns: httpx with `LinearConnectionPool` (the default; it
works under asyncio and trio, and ``respx.mock`` intercepts it), or the aiohttp transport
(``AsyncGloo(transport="aiohttp")``, asyncio only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, Literal

import httpx

from ._config import DEFAULT_CONNECTION_LIMITS
from ._connection_pool import install_linear_pool
from ._exceptions import ConfigurationError
from ._httpx_objects import names_any
from ._send import send_direct

__all__ = ["TRANSPORTS", "HttpState", "TransportName", "check_transport", "lazy_cookies"]

TransportName = Literal["httpx", "aiohttp"]
TRANSPORTS: tuple[TransportName, ...] = ("httpx", "aiohttp")

log = logging.getLogger("gloo_ai")


def _current_loop() -> object:
    """An object that identifies the running event loop (asyncio or trio)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:
        import trio

        return trio.lowlevel.current_trio_token()
    except (ImportError, RuntimeError):
        pass
    raise RuntimeError(
        "AsyncGloo must be used inside a running event loop: call it with `await` from an "
        "async function run by asyncio.run() or trio.run()."
    )


def _runs_here(loop: object) -> bool:
    """Whether ``loop`` is an asyncio loop running in this thread now, and so the running
    loop (a thread runs one asyncio loop at a time): the check of every request, without
    `asyncio.get_running_loop`, which makes a system call each time (getpid, for its fork
    check; forks are caught by `_after_fork_in_child`). A loop without asyncio's
    ``_thread_id`` (a trio token, uvloop) is never "here": the full check runs."""
    return getattr(loop, "_thread_id", None) == threading.get_ident()


def _running_loop() -> object | None:
    try:
        return _current_loop()
    except RuntimeError:
        return None


def _loop_is_finished(loop: object) -> bool:
    if isinstance(loop, asyncio.AbstractEventLoop):
        return loop.is_closed()
    try:
        import trio
    except ImportError:  # pragma: no cover - a trio token implies trio is importable
        return True
    if isinstance(loop, trio.lowlevel.TrioToken):
        try:
            loop.run_sync_soon(lambda: None)
        except trio.RunFinishedError:
            return True
        return False
    return True  # pragma: no cover - a different library now runs the code


_CLOSED = (
    "This AsyncGloo is closed (aclose() was called, or its `async with` block ended), so it "
    "cannot send. Create a new AsyncGloo, or keep this one open while you use it."
)

_STATES: weakref.WeakSet[HttpState] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for state in list(_STATES):
        state._forked = True


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


_SET_COOKIE = frozenset({b"set-cookie", b"set-cookie2"})


class _LazyCookies(httpx.Cookies):
    """httpx's cookie store, which skips the cookie parsing of answers that set no cookie.

    httpx hands every response to `http.cookiejar` (building urllib request and response
    objects for it), which cost about a seventh of the client's CPU per request on the
    aiohttp transport (docs/performance.md); an answer without a ``Set-Cookie`` (or
    ``Set-Cookie2``) header stores nothing either way.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if names_any(response.headers, _SET_COOKIE):
            super().extract_cookies(response)


def lazy_cookies(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """Give ``http`` (a client this SDK built) the store that skips cookie-less answers."""
    if type(getattr(http, "_cookies", None)) is httpx.Cookies:
        cookies = _LazyCookies()
        cookies.jar = http._cookies.jar  # the same (empty) jar, only the method differs
        http._cookies = cookies
    return http


def check_transport(transport: object, http_client: object) -> TransportName:
    """The transport to build, after checking the ``transport`` and ``http_client`` arguments."""
    if transport is None:
        return "httpx"
    if transport not in TRANSPORTS:
        raise ConfigurationError(
            f"transport must be one of {', '.join(map(repr, TRANSPORTS))} (or omitted for "
            f"the default, 'httpx'), not {transport!r}."
        )
    if http_client is not None:
        raise ConfigurationError(
            "Pass either transport= or http_client=, not both: with http_client, AsyncGloo "
            "sends through that client's own transport."
        )
    return transport


class HttpState:
    """The httpx client and auth flow behind a client and all its ``with_options`` copies.

    It rebuilds the pool and the auth flow's lock in a process forked after the client was
    created (gunicorn with ``--preload``, multiprocessing), since the parent's connections
    and locks must not be shared; the cached token stays.
    """

    def __init__(
        self, http_client: httpx.AsyncClient | None, transport: TransportName = "httpx"
    ) -> None:
        self.owns_http = http_client is None
        self.transport = transport
        self.direct = self.owns_http and transport == "aiohttp"
        self._http = http_client if http_client is not None else self._new_http()
        self._loop: object | None = None
        self._forked = False
        self.auth: httpx.Auth = httpx.Auth()
        self.rebinds = 0
        _STATES.add(self)

    def _new_http(self) -> httpx.AsyncClient:
        limits = DEFAULT_CONNECTION_LIMITS
        if self.transport == "aiohttp":
            from .transports import AiohttpTransport, aiohttp_client

            http = aiohttp_client(
                limit=limits.max_connections or 1000,
                keepalive_timeout=limits.keepalive_expiry or 30.0,
            )
            transport = http._transport
            assert isinstance(transport, AiohttpTransport)
            transport._skip_own_loop_checks()  # http() makes them before every request
            return lazy_cookies(http)
        http = httpx.AsyncClient(limits=limits, follow_redirects=False)
        install_linear_pool(http)
        return lazy_cookies(http)

    def send(
        self, request: httpx.Request, *, auth: httpx.Auth | None
    ) -> Coroutine[Any, Any, httpx.Response]:
        """Send one request through the pool of the running event loop: await the result
        for the response, unread unless the transport read it whole.

        A plain function that returns the sending coroutine (one frame less per request);
        it raises at once, before anything is sent, when the client is closed.
        """
        http = self.http()
        if self.direct:  # a client the SDK built on aiohttp: below httpx's client (_send.py)
            return send_direct(http._transport, request, auth=auth, cookies=http.cookies)
        return http.send(request, auth=auth, stream=True)

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client has been closed."""
        return self._http.is_closed

    def http(self) -> httpx.AsyncClient:
        """The httpx client for the running event loop.

        Raises `ConfigurationError` once the client is closed, before anything is sent.
        """
        loop = self._loop
        if self._forked or not _runs_here(loop):  # else: the loop of last time, still here
            loop = _current_loop()
        if self._http.is_closed:
            raise ConfigurationError(_CLOSED)
        if loop is self._loop and not self._forked:
            return self._http
        if self._forked:
            self._after_fork()
        elif self._loop is not None:
            self._rebind(self._loop)
        self._loop = loop
        return self._http

    def _rebind(self, old_loop: object) -> None:
        if not _loop_is_finished(old_loop):
            raise RuntimeError(
                "This AsyncGloo is in use by another event loop that is still running. "
                "Create one AsyncGloo per event loop (per thread)."
            )
        if not self.owns_http:
            raise ConfigurationError(
                "The httpx.AsyncClient passed as http_client belongs to an event loop that has "
                "finished, and its connections cannot be used from a new one. Create the "
                "httpx.AsyncClient (and AsyncGloo) inside the event loop that uses it, or let "
                "AsyncGloo create its own (do not pass http_client)."
            )
        log.debug("The event loop changed; opening a new connection pool")
        self._replace_pool()

    def _after_fork(self) -> None:
        self._forked = False
        self._loop = None
        if self.owns_http:
            log.debug("This process was forked; opening a new connection pool")
            self._replace_pool()
        elif _pool_connections(self._http):
            raise ConfigurationError(
                "This process was forked after the httpx.AsyncClient passed as http_client "
                "had opened connections, which the two processes cannot share. Create the "
                "client after the fork (for example in a worker start hook), or let AsyncGloo "
                "create its own (do not pass http_client)."
            )

    def _replace_pool(self) -> None:
        _abandon(self._http)
        self._http = self._new_http()
        rebind = getattr(self.auth, "rebind", None)
        if rebind is not None:
            rebind()
        self.rebinds += 1

    async def aclose(self) -> None:
        """Close the httpx client if this SDK created it.

        A pool bound to an event loop that has finished (``asyncio.run(client.aclose())``
        after an earlier ``asyncio.run(...)`` call), or inherited through a fork, cannot be
        closed the normal way: its sockets are closed directly and the pool is discarded.
        """
        if not self.owns_http:
            return
        if self._forked or (
            self._loop is not None
            and self._loop is not _running_loop()
            and _loop_is_finished(self._loop)
        ):
            _abandon(self._http)
            _forget_connections(self._http)
        await self._http.aclose()


def _pool_connections(http: httpx.AsyncClient) -> list[object]:
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    return list(getattr(pool, "connections", ()))


def _forget_connections(http: httpx.AsyncClient) -> None:
    """Empty a pool whose sockets `_abandon` closed, so that closing it awaits nothing."""
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    for name in ("_connections", "_requests"):
        if isinstance(getattr(pool, name, None), list):
            setattr(pool, name, [])


def _abandon(http: httpx.AsyncClient) -> None:
    """Close the sockets of a pool whose event loop has finished, without that loop.

    The pool's connections cannot be closed the normal way (that needs their loop), and left
    alone their sockets would leak until garbage collection. This reaches into httpcore and
    anyio internals, so every step is optional: at worst a socket is left to the collector.
    """
    abandon = getattr(getattr(http, "_transport", None), "abandon", None)
    if callable(abandon):  # the aiohttp transport closes its own sockets
        with contextlib.suppress(Exception):
            abandon()
    for connection in _pool_connections(http):
        stream = getattr(getattr(connection, "_connection", None), "_network_stream", None)
        with contextlib.suppress(Exception):
            _close_stream_socket(stream)


def _close_stream_socket(stream: object) -> None:
    # httpcore's stream wraps anyio's (TLS wraps a socket stream); anyio's asyncio socket
    # stream holds an asyncio transport, which holds the socket.
    for _ in range(4):
        transport = getattr(stream, "_transport", None)
        if isinstance(transport, asyncio.Transport):
            sock = getattr(transport, "_sock", None)
            if sock is not None:
                transport._sock = None  # type: ignore[attr-defined]
                sock.close()
            return
        sock = getattr(stream, "socket", None)  # trio's SocketStream
        if sock is not None and hasattr(sock, "close") and not hasattr(stream, "_stream"):
            sock.close()
            return
        stream = getattr(stream, "_stream", None) or getattr(stream, "transport_stream", None)
        if stream is None:
            return
