"""The OAuth2 client-credentials httpx auth flow: the in-memory token and its single flight.

`ClientCredentialsAuth` owns the cached token: it reads a fresh one without taking the lock,
and refreshes a stale one once for all concurrent requests under one anyio lock, which is
never held while the user's own request is in flight (if the refreshing task is cancelled,
the lock is released and the next waiter refreshes instead). On a 401 it invalidates the
token only if it is still the cached one, refreshes, and replays the request once per call
(the call's `CallBudget` remembers it, so a retried call does not replay again). `rebind`
gives it a new lock for a new event loop. It composes the rest: the token endpoint
(``_endpoint.py``), the metrics and ``on_token_refresh`` (``_metrics.py``), the optional token
store (``_store.py``) and the refresh-ahead loop (``_ahead.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Generator

import anyio
import httpx

from .._budget import CURRENT_CALL
from .._config import (
    DEFAULT_REFRESH_BUFFER,
    DEFAULT_TOKEN_STORE_TIMEOUT,
    DEFAULT_TOKEN_TIMEOUT,
    Clock,
)
from .._hooks import HookSlot
from .._tokens import Token, TokenStore, store_key
from ._ahead import RefreshAhead
from ._api_key import SYNC_MESSAGE, bearer
from ._endpoint import TokenEndpoint, TokenSender
from ._metrics import RecordedFetch, TokenMetrics
from ._store import SharedToken

__all__ = ["ClientCredentialsAuth"]

log = logging.getLogger("gloo_ai")


class ClientCredentialsAuth(httpx.Auth):
    """OAuth2 client credentials: fetch, cache and refresh a bearer token.

    Args:
        client_id: the client id from Gloo AI Studio.
        client_secret: its secret; kept out of every repr and message.
        token_url: the absolute URL of the token endpoint.
        send: sends the token request; the client wires it to its connection pool.
        clock: where time is read and retries sleep.
        max_retries: retries of a 5xx, timeout or connection error from the token endpoint.
        refresh_buffer: refresh this many seconds before expiry (at most half the lifetime).
        token_timeout: the token request's own timeout.
        user_agent: the ``User-Agent`` sent with the token request.
        token_store: where the token is shared with other clients, processes or hosts
            (``None``: this client only).
        token_store_timeout: seconds each token-store call may take before it is bypassed.
        on_token_refresh: called with the metrics after every fetch from the token endpoint,
            successful or not; an exception it raises is logged and ignored.
        instrumentation: where the observer of token refreshes is found.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        *,
        send: TokenSender,
        clock: Clock,
        max_retries: int,
        refresh_buffer: float = DEFAULT_REFRESH_BUFFER,
        token_timeout: httpx.Timeout = DEFAULT_TOKEN_TIMEOUT,
        user_agent: str,
        token_store: TokenStore | None = None,
        token_store_timeout: float = DEFAULT_TOKEN_STORE_TIMEOUT,
        on_token_refresh: Callable[[TokenMetrics], object] | None = None,
        instrumentation: HookSlot | None = None,
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.refresh_buffer = refresh_buffer
        self.max_retries = max_retries
        self.store_key = store_key(token_url, client_id)
        self.metrics = TokenMetrics(clock)
        self._clock = clock
        self._endpoint = TokenEndpoint(
            client_id,
            client_secret,
            token_url,
            send=send,
            clock=clock,
            timeout=token_timeout,
            user_agent=user_agent,
        )
        self._fetch = RecordedFetch(
            self._endpoint.fetch,
            self.metrics,
            clock=clock,
            on_refresh=on_token_refresh,
            instrumentation=instrumentation,
        )
        self._shared = (
            None
            if token_store is None
            else SharedToken(
                token_store,
                self.store_key,
                clock=clock,
                metrics=self.metrics,
                fetch=self._fetch,
                timeout=token_store_timeout,
            )
        )
        self._ahead = RefreshAhead(clock)
        self._token: Token | None = None
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, token_url={self.token_url!r})"

    @property
    def token_requests(self) -> int:
        """Token requests sent so far, one per attempt (retries included)."""
        return self._endpoint.requests

    @property
    def token_store(self) -> TokenStore | None:
        """Where the token is shared (``None``: this client only)."""
        return None if self._shared is None else self._shared.store

    def rebind(self) -> None:
        """Make a new lock for a new event loop; the cached token stays valid."""
        self._lock = anyio.Lock()

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError(SYNC_MESSAGE)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.get_token()
        request.headers["Authorization"] = bearer(token.value)
        response = yield request
        if response.status_code != 401:
            return
        budget = CURRENT_CALL.get()
        if budget is not None and not budget.take_replay():
            return  # one replay per call, not one per retry: the 401 stands
        # Release the connection before refreshing, then replay once with the new token.
        await response.aread()
        log.debug(
            "Got 401 from %s %s; refreshing the access token and retrying once",
            request.method,
            request.url.path,
        )
        token = await self._refresh_after_401(token)
        request.headers["Authorization"] = bearer(token.value)
        yield request

    def _cached(self) -> Token | None:
        return self._token

    def _fresh(self) -> Token | None:
        token = self._token
        if token is None or token.needs_refresh(self._clock.monotonic(), self.refresh_buffer):
            return None
        return token

    async def get_token(self) -> Token:
        """Return a fresh token, fetching one (once for all waiters) if needed."""
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()
            if token is None:
                token = self._token = await self._obtain()
            return token

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        self._token = None

    async def _refresh_after_401(self, failed: Token) -> Token:
        async with self._lock:
            current = self._token
            if current is failed or (current is not None and current.value == failed.value):
                self._token = None
            token = self._fresh()
            if token is None:
                token = self._token = await self._obtain(failed=failed)
            return token

    async def refresh_ahead(self) -> None:
        """Keep the token fresh in the background until cancelled (the client's task group).

        It fetches a token at once, then refreshes it at a random point between 50% and 80%
        of the time left before its refresh window, so that a fleet of clients does not hit
        the token endpoint in the same second and no request waits on a refresh. With a token
        store, the first client to get there refreshes and the others adopt its token. If a
        refresh fails, the still-valid token keeps being used and the refresh is retried with
        capped, jittered backoff. Nothing it raises reaches the caller, except cancellation.
        """
        await self._ahead.run(self)

    async def _refresh_ahead_once(self, token: Token) -> None:
        async with self._lock:
            if self._token is not token:
                return  # refreshed meanwhile (or refused by a 401, and refreshed after it)
            log.debug("Refreshing the access token ahead of expiry")
            self._token = await self._obtain(current=token)

    async def _obtain(self, *, failed: Token | None = None, current: Token | None = None) -> Token:
        """A fresh token: through the token store if there is one, else from the endpoint."""
        if self._shared is None:
            return await self._fetch()
        return await self._shared.obtain(self.refresh_buffer, failed=failed, current=current)
