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
from typing import TYPE_CHECKING

import httpcore

if TYPE_CHECKING:
    import httpx
    from httpcore._async.interfaces import AsyncConnectionInterface

__all__ = ["SUPPORTED_HTTPCORE", "LinearConnectionPool", "install_linear_pool", "is_supported"]

log = logging.getLogger("gloo_ai")

# The httpcore versions (major, minor) whose pool internals this module was checked against.
SUPPORTED_HTTPCORE = ((1, 0),)


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
    ``max_keepalive_connections`` *idle* connections (the stock pool counts all of them),
    and a queued request is given an idle connection before surplus idle ones are closed.
    """

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        closing: list[AsyncConnectionInterface] = []
        kept: list[AsyncConnectionInterface] = []
        idle: list[AsyncConnectionInterface] = []
        for connection in self._connections:
            if connection.is_closed():
                continue  # removed, as the stock pool does
            if connection.is_idle():
                if connection.has_expired():
                    closing.append(connection)
                    continue
                idle.append(connection)
            kept.append(connection)

        queued = [request for request in self._requests if request.connection is None]
        taken: set[int] = set()
        if queued:
            # HTTP/1.1 only (see install_linear_pool): an idle connection takes one request.
            by_origin: dict[tuple[bytes, bytes, int], list[AsyncConnectionInterface]] = {}
            for pool_request in queued:
                origin = pool_request.request.url.origin
                key = (origin.scheme, origin.host, origin.port)  # an Origin is not hashable
                available = by_origin.get(key)
                if available is None:
                    available = [
                        c for c in idle if c.can_handle_request(origin) and c.is_available()
                    ]
                    available.reverse()  # pop() takes the oldest, as the stock pool does
                    by_origin[key] = available
                if available:
                    connection = available.pop()
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
                    for bucket in by_origin.values():
                        if spare in bucket:
                            bucket.remove(spare)
                    connection = self.create_connection(origin)
                    kept.append(connection)
                taken.add(id(connection))
                pool_request.assign_to_connection(connection)

        spare_idle = [c for c in idle if id(c) not in taken] if taken else idle
        surplus = len(spare_idle) - self._max_keepalive_connections
        if surplus > 0:
            dropped = {id(c) for c in spare_idle[:surplus]}  # the oldest, as the stock pool
            closing.extend(spare_idle[:surplus])
            kept = [c for c in kept if id(c) not in dropped]
        self._connections = kept
        return closing


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
