"""The one place that sends: the connection pool's owner, the retry loop, status → error.

`HttpState` is shared by a client and its ``with_options`` copies (one pool, one token cache).
It also notices when the client is used from a new event loop after the old one closed (a
module-level client used by two ``asyncio.run()`` calls) and then opens a fresh pool, since
connections cannot outlive their loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import weakref
from collections.abc import Mapping
from typing import Any

import httpx

from ._config import (
    DEFAULT_CONNECTION_LIMITS,
    MAX_RETRY_AFTER,
    Clock,
    NotGiven,
    RequestOptions,
)
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    decode_body,
    make_status_error,
    request_id_of,
)
from ._retry import backoff_delay, decide

__all__ = ["HttpState", "Transport"]

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


_STATES: weakref.WeakSet[HttpState] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for state in list(_STATES):
        state._forked = True


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


class HttpState:
    """The httpx client and auth flow behind a client and all its ``with_options`` copies.

    It rebuilds the pool and the auth flow's lock in a process forked after the client was
    created (gunicorn with ``--preload``, multiprocessing), since the parent's connections
    and locks must not be shared; the cached token stays.
    """

    def __init__(self, http_client: httpx.AsyncClient | None) -> None:
        self.owns_http = http_client is None
        self._http = http_client if http_client is not None else self._new_http()
        self._loop: object | None = None
        self._forked = False
        self.auth: httpx.Auth = httpx.Auth()
        self.rebinds = 0
        _STATES.add(self)

    @staticmethod
    def _new_http() -> httpx.AsyncClient:
        return httpx.AsyncClient(limits=DEFAULT_CONNECTION_LIMITS, follow_redirects=False)

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client has been closed."""
        return self._http.is_closed

    def http(self) -> httpx.AsyncClient:
        """The httpx client for the running event loop."""
        loop = _current_loop()
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

    async def send_token_request(self, request: httpx.Request) -> httpx.Response:
        """Send a request without auth through the shared pool (for the token endpoint)."""
        return await self.http().send(request, auth=None, stream=True)

    async def aclose(self) -> None:
        """Close the httpx client if this SDK created it."""
        if self.owns_http:
            await self._http.aclose()


def _pool_connections(http: httpx.AsyncClient) -> list[object]:
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    return list(getattr(pool, "connections", ()))


def _abandon(http: httpx.AsyncClient) -> None:
    """Close the sockets of a pool whose event loop has finished, without that loop.

    The pool's connections cannot be closed the normal way (that needs their loop), and left
    alone their sockets would leak until garbage collection. This reaches into httpcore and
    anyio internals, so every step is optional: at worst a socket is left to the collector.
    """
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


class Transport:
    """Builds requests, sends them through the auth flow, retries, and maps errors.

    Args:
        state: the shared pool and auth flow.
        base_url: prefix of every relative path.
        timeout: the default timeout of a call.
        max_retries: the default number of retries of a call.
        headers: headers sent with every call (``User-Agent`` and the user's defaults).
        clock: where retries sleep and read the time.
    """

    def __init__(
        self,
        state: HttpState,
        *,
        base_url: str,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        headers: Mapping[str, str],
        clock: Clock,
    ) -> None:
        self.state = state
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.headers = dict(headers)
        self.clock = clock
        self._timeout_ext = _timeout_extension(timeout)
        self._random = random.Random()

    def build_request(
        self, method: str, path: str, *, body: object | None, options: RequestOptions
    ) -> httpx.Request:
        """Build the request for one attempt (no I/O)."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        headers = dict(self.headers)
        headers["Accept"] = "text/event-stream" if options.stream else "application/json"
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        if options.extra_headers:
            headers.update(options.extra_headers)
        request = httpx.Request(
            method, url, headers=headers, content=content, params=options.extra_query
        )
        request.extensions["timeout"] = (
            self._timeout_ext
            if isinstance(options.timeout, NotGiven)
            else _timeout_extension(options.timeout)
        )
        return request

    async def request(
        self, method: str, path: str, *, body: object | None, options: RequestOptions
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (unread if ``options.stream``) or raise."""
        max_retries = (
            self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        )
        retries_done = 0
        while True:
            request = self.build_request(method, path, body=body, options=options)
            try:
                response = await self.state.http().send(
                    request, auth=self.state.auth, stream=options.stream
                )
            except httpx.TransportError as exc:
                if retries_done < max_retries:
                    delay = backoff_delay(retries_done, self._random.random())
                    log.info(
                        "Retrying %s %s in %.2f s after %s",
                        method,
                        request.url,
                        delay,
                        type(exc).__name__,
                    )
                    await self.clock.sleep(delay)
                    retries_done += 1
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise APITimeoutError(
                        f"{method} {request.url} timed out after {retries_done + 1} attempt(s). "
                        "Slow (reasoning) models may need a larger timeout=.",
                        request=request,
                    ) from exc
                raise APIConnectionError(
                    f"{method} {request.url} failed after {retries_done + 1} attempt(s): "
                    f"{type(exc).__name__}. Check the network and the base URL.",
                    request=request,
                ) from exc

            log.debug(
                "%s %s -> %d (request id %s)",
                method,
                request.url,
                response.status_code,
                request_id_of(response.headers),
            )
            if response.is_success:
                return response
            try:
                if options.stream:
                    await response.aread()
            except httpx.TransportError:
                pass  # the status alone decides below
            finally:
                await response.aclose()
            body_seen = decode_body(response) if _has_body(response) else None
            decision = decide(
                status=response.status_code,
                headers=response.headers,
                body=body_seen,
                retries_done=retries_done,
                max_retries=max_retries,
                now=self.clock.time(),
                jitter=self._random.random(),
            )
            if decision.retry:
                log.info(
                    "Retrying %s %s in %.2f s after HTTP %d",
                    method,
                    request.url,
                    decision.delay,
                    response.status_code,
                )
                await self.clock.sleep(decision.delay)
                retries_done += 1
                continue
            note = ""
            if decision.server_wait is not None and decision.server_wait > MAX_RETRY_AFTER:
                note = (
                    f"The server asked to wait {decision.server_wait:.0f} s, longer than the "
                    f"{MAX_RETRY_AFTER:.0f} s this client waits by itself: retry after that."
                )
            raise make_status_error(
                response, body=body_seen, retry_after=decision.server_wait, note=note
            )


def _has_body(response: httpx.Response) -> bool:
    try:
        response.content  # noqa: B018 - raises if the body was not read
    except httpx.ResponseNotRead:
        return False
    return True


def _timeout_extension(timeout: float | httpx.Timeout | None) -> dict[str, Any]:
    if isinstance(timeout, httpx.Timeout):
        return timeout.as_dict()
    return httpx.Timeout(timeout).as_dict()
