"""A connection pool whose bookkeeping is linear: httpcore's pool with one method replaced.

httpcore 1.0's `AsyncConnectionPool._assign_requests_to_connections` runs twice per request
(when it enters the pool and when its response is closed). For every idle connection it
builds a list over *all* connections (quadratic), it checks every connection against every
queued request, and it compares the *total* number of connections with
``max_keepalive_connections``, so past that many open connections it closes idle ones that
the next request then has to reopen. With hundreds of requests in flight that pass is most
of the client's CPU (see docs/performance.md).

`LinearConnectionPool` replaces only that method, with one pass over the connections and
one over the queued requests; ``handle_async_request`` is httpcore's own, so ``respx.mock``
(which patches it on httpcore's class) still intercepts every request. It relies on
httpcore's private state (``_connections``, ``_requests``, the limits), so it is used only
with the httpcore versions it was written and tested against (`SUPPORTED_HTTPCORE`); with
any other version the stock pool stays.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import httpcore

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx
    from httpcore._async.connection_pool import AsyncPoolRequest
    from httpcore._async.interfaces import AsyncConnectionInterface

__all__ = ["SUPPORTED_HTTPCORE", "LinearConnectionPool", "install_linear_pool", "is_supported"]

log = logging.getLogger("gloo_ai")

# The httpcore versions (major, minor) whose pool internals this module was checked against.
SUPPORTED_HTTPCORE = ((1, 0),)

# Every idle connection is checked for expiry at most this often (seconds); in between, only
# the one about to be given a request is. A check asks the socket (getpeername, poll) through
# anyio's attribute machinery: tens of microseconds, which httpcore pays for every idle
# connection on every pass.
SWEEP_INTERVAL = 1.0


def _version(text: str) -> tuple[int, int]:
    parts = text.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return (0, 0)


def is_supported(version: str | None = None) -> bool:
    """Whether this httpcore version (default: the installed one) may get the linear pool."""
    return _version(httpcore.__version__ if version is None else version) in SUPPORTED_HTTPCORE


class LinearConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's `AsyncConnectionPool` with a linear `_assign_requests_to_connections`.

    Behaves as the stock pool does (the same connections reused, the same limits, requests
    queued in order when ``max_connections`` are busy), except that it keeps up to
    ``max_keepalive_connections`` *idle* connections (the stock pool counts all of them), a
    queued request is given an idle connection before surplus idle ones are closed, and a
    connection given to a request that has not started on it yet is neither given to a
    second request (the stock pool does that, and the loser goes round again) nor closed.

    Expired idle connections (keep-alive expiry, or closed by the server) are closed as in
    the stock pool, but looked for among all idle connections at most every
    `SWEEP_INTERVAL` seconds; in between, the idle connection chosen for a request is checked
    before it is used, and an expired one is closed and the next one taken.
    """

    _next_sweep = 0.0  # monotonic time of the next full expiry check (0: on the first pass)

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        closing: list[AsyncConnectionInterface] = []
        kept: list[AsyncConnectionInterface] = []
        idle: list[AsyncConnectionInterface] = []
        now = time.monotonic()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP_INTERVAL
        queued: list[AsyncPoolRequest] = []
        # Connections given to a request that has not started on them yet still look idle.
        taken: set[int] = set()
        for request in self._requests:
            if request.connection is None:
                queued.append(request)
            else:
                taken.add(id(request.connection))
        for connection in self._connections:
            if id(connection) in taken:
                # In use: kept without asking (one that closed meanwhile goes on the pass
                # after its request ends). With hundreds in flight, this is most of them.
                kept.append(connection)
                continue
            if connection.is_closed():
                continue  # removed, as the stock pool does
            if connection.is_idle():
                if sweep and connection.has_expired():
                    closing.append(connection)
                    continue
                idle.append(connection)
            kept.append(connection)

        if queued:
            # HTTP/1.1 only (see install_linear_pool): an idle connection takes one request.
            # Per origin, the idle connections are walked oldest first, once per pass.
            by_origin: dict[tuple[bytes, bytes, int], Iterator[AsyncConnectionInterface]] = {}
            for pool_request in queued:
                origin = pool_request.request.url.origin
                key = (origin.scheme, origin.host, origin.port)  # an Origin is not hashable
                available = by_origin.get(key)
                if available is None:
                    available = by_origin[key] = _available(idle, origin)
                chosen: AsyncConnectionInterface | None = None
                for candidate in available:
                    if id(candidate) in taken:
                        continue  # closed for a request of another origin
                    if not sweep and candidate.has_expired():
                        idle.remove(candidate)  # expired since the last sweep: close it
                        kept.remove(candidate)
                        closing.append(candidate)
                        taken.add(id(candidate))
                        continue
                    chosen = candidate
                    break
                if chosen is not None:
                    connection = chosen
                elif len(kept) < self._max_connections:
                    connection = self.create_connection(origin)
                    kept.append(connection)
                else:
                    spare = next((c for c in idle if id(c) not in taken), None)
                    if spare is None:
                        continue  # stays queued until a connection is released
                    idle.remove(spare)
                    kept.remove(spare)
                    closing.append(spare)
                    taken.add(id(spare))
                    connection = self.create_connection(origin)
                    kept.append(connection)
                taken.add(id(connection))
                pool_request.assign_to_connection(connection)

        spare_idle = [c for c in idle if id(c) not in taken]
        surplus = len(spare_idle) - self._max_keepalive_connections
        if surplus > 0:
            dropped = {id(c) for c in spare_idle[:surplus]}  # the oldest, as the stock pool
            closing.extend(spare_idle[:surplus])
            kept = [c for c in kept if id(c) not in dropped]
        self._connections = kept
        return closing


def _available(
    idle: list[AsyncConnectionInterface], origin: httpcore.Origin
) -> Iterator[AsyncConnectionInterface]:
    # A copy: the caller removes connections from ``idle`` while it walks this.
    for connection in list(idle):
        if connection.can_handle_request(origin) and connection.is_available():
            yield connection


def install_linear_pool(http: httpx.AsyncClient) -> bool:
    """Give ``http``'s own transport the linear pool; whether it did.

    Only a stock HTTP/1.1 `httpcore.AsyncConnectionPool` (not HTTP/2's, not a proxy's, not a
    custom transport's) on a supported httpcore is changed; the pool keeps all its settings
    (its class changes, it adds no state). Proxy mounts keep httpcore's pool.
    """
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or pool._http2:
        return False
    if not is_supported():
        log.debug(
            "httpcore %s is not one LinearConnectionPool was checked against; keeping its pool",
            httpcore.__version__,
        )
        return False
    pool.__class__ = LinearConnectionPool
    return True
