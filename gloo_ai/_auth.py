"""httpx auth flows: a static API key, and OAuth2 client credentials with a shared token cache.

The client-credentials flow fetches a token from ``/oauth2/token``, caches it, and refreshes it
once for all concurrent requests (single flight, under one anyio lock) shortly before it expires
and after a 401. A fresh token is read without taking the lock, and the lock is never held while
the user's own request is in flight. If the task that is refreshing is cancelled, the lock is
released and the next waiter refreshes instead.

Behind the in-memory token sits an optional `TokenStore` (shared by processes or hosts): it is
consulted only when the memory copy is stale, and a refresh then happens under the store's lock,
so that everyone who shares the store makes one token request. A failing store is logged and
bypassed: it never fails a request.
"""

from __future__ import annotations

import base64
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager
from typing import TypeVar
from urllib.parse import quote_plus, urlencode

import anyio
import anyio.lowlevel
import httpx

from ._config import DEFAULT_REFRESH_BUFFER, DEFAULT_TOKEN_TIMEOUT, Clock
from ._error_bodies import decode_body
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    TokenExchangeError,
    TokenUnavailableError,
)
from ._tokens import StoredToken, Token, TokenStore, store_key
from ._tokens import refresh_buffer as _refresh_window

__all__ = ["ApiKeyAuth", "ClientCredentialsAuth", "TokenMetrics", "TokenSender"]

_T = TypeVar("_T")

log = logging.getLogger("gloo_ai")

TokenSender = Callable[[Callable[[], httpx.Request]], Awaitable[httpx.Response]]
"""Sends the token request (built anew per attempt) without auth, with the transport's
retries; returns the read 2xx response or raises `APIStatusError` / `APIConnectionError`."""

_SYNC_MESSAGE = "gloo_ai is async-only: use AsyncGloo with await."


def _bearer(value: str) -> str:
    return f"Bearer {value}"


class ApiKeyAuth(httpx.Auth):
    """Sends a static API key as ``Authorization: Bearer <key>``, with no token exchange."""

    def __init__(self, api_key: str) -> None:
        self._key = api_key
        self._header = _bearer(api_key)

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key='***')"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError(_SYNC_MESSAGE)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = self._header
        yield request


class TokenMetrics:
    """Counters of a client's token refreshes, for logs and metrics.

    Read it as ``client.token_metrics`` (``None`` with an API key).

    Attributes:
        refreshes: tokens fetched from the token endpoint.
        failures: fetches that raised (after their retries).
        adopted: tokens taken from the token store (another process or host fetched them).
        store_errors: token store calls that failed and were bypassed.
        last_latency: seconds the last successful fetch took, retries included (``None``
            before the first).
    """

    def __init__(self, auth: ClientCredentialsAuth) -> None:
        self._auth = auth
        self.refreshes = 0
        self.failures = 0
        self.adopted = 0
        self.store_errors = 0
        self.last_latency: float | None = None
        self._expires_at: float | None = None

    def __repr__(self) -> str:
        return (
            f"TokenMetrics(refreshes={self.refreshes}, failures={self.failures}, "
            f"adopted={self.adopted}, store_errors={self.store_errors}, "
            f"last_latency={self.last_latency!r}, seconds_to_expiry={self.seconds_to_expiry!r})"
        )

    @property
    def seconds_to_expiry(self) -> float | None:
        """Seconds until the latest token expires (negative once expired; ``None`` if none)."""
        if self._expires_at is None:
            return None
        return self._expires_at - self._auth._clock.monotonic()


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
        on_token_refresh: called with the metrics after every fetch from the token endpoint,
            successful or not; an exception it raises is logged and ignored.
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
        on_token_refresh: Callable[[TokenMetrics], object] | None = None,
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.refresh_buffer = refresh_buffer
        self.max_retries = max_retries
        self.token_requests = 0
        self._basic = "Basic " + base64.b64encode(
            f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}".encode()
        ).decode("ascii")
        self._send = send
        self._clock = clock
        self._timeout = token_timeout.as_dict()
        self._user_agent = user_agent
        self._token: Token | None = None
        self._lock = anyio.Lock()
        self._random = random.Random()
        self.token_store = token_store
        self.store_key = store_key(token_url, client_id)
        self.metrics = TokenMetrics(self)
        self._on_refresh = on_token_refresh
        self._rejected: str | None = None  # the value of the last token the API refused

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, token_url={self.token_url!r})"

    def rebind(self) -> None:
        """Make a new lock for a new event loop; the cached token stays valid."""
        self._lock = anyio.Lock()

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError(_SYNC_MESSAGE)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.get_token()
        request.headers["Authorization"] = _bearer(token.value)
        response = yield request
        if response.status_code != 401:
            return
        # Release the connection before refreshing, then replay once with the new token.
        await response.aread()
        log.debug("Got 401 from %s; refreshing the access token and retrying once", request.url)
        token = await self._refresh_after_401(token)
        request.headers["Authorization"] = _bearer(token.value)
        yield request

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

    async def _refresh_after_401(self, failed: Token) -> Token:
        async with self._lock:
            current = self._token
            if current is failed or (current is not None and current.value == failed.value):
                self._token = None
            token = self._fresh()
            if token is None:
                self._rejected = failed.value
                token = self._token = await self._obtain(failed)
            return token

    # -- refresh ahead ----------------------------------------------------------------------------

    async def refresh_ahead(self) -> None:
        """Keep the token fresh in the background until cancelled (the client's task group).

        It fetches a token at once, then refreshes it at a random point between 50% and 80%
        of the time left before its refresh window, so that a fleet of clients does not hit
        the token endpoint in the same second and no request waits on a refresh. With a token
        store, the first client to get there refreshes and the others adopt its token. If a
        refresh fails, the still-valid token keeps being used and the refresh is retried with
        capped, jittered backoff. Nothing it raises reaches the caller, except cancellation.
        """
        failures = 0
        while True:
            await anyio.lowlevel.checkpoint()  # never spin without yielding
            try:
                token = self._token
                if token is None or self._fresh() is None:
                    await self.get_token()
                else:
                    if not failures:  # after a failure, retry as soon as the backoff ends
                        await self._clock.sleep(self._ahead_delay(token))
                    await self._refresh_ahead_once(token)
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(2.0 ** (failures - 1), 60.0) * (0.5 + 0.5 * self._random.random())
                log.warning(
                    "Refreshing the access token ahead of expiry failed (%s); keeping the "
                    "current token and retrying in %.1f s",
                    type(exc).__name__,
                    delay,
                )
                await self._clock.sleep(delay)

    def _ahead_delay(self, token: Token) -> float:
        stale_at = token.expires_at - _refresh_window(self.refresh_buffer, token.lifetime)
        remaining = max(0.0, stale_at - self._clock.monotonic())
        return remaining * (0.5 + 0.3 * self._random.random())

    async def _refresh_ahead_once(self, token: Token) -> None:
        async with self._lock:
            if self._token is not token:
                return  # refreshed meanwhile (or refused by a 401, and refreshed after it)
            log.debug("Refreshing the access token ahead of expiry")
            self._token = await self._obtain(current=token)

    # -- the token store ------------------------------------------------------------------------

    async def _obtain(self, failed: Token | None = None, current: Token | None = None) -> Token:
        """A fresh token from the store, else from the token endpoint under the store's lock.

        ``current``: a still-valid token being refreshed ahead; the store's copy of that same
        token is not adopted (only a newer one someone else stored).
        """
        store = self.token_store
        if store is None:
            return await self._fetch_recorded()
        key = self.store_key
        if failed is not None:
            await self._store_call("delete", lambda: store.delete(key, failed.value))
        skip = current.value if current is not None else None
        token = await self._adopt(store, skip)
        if token is not None:
            return token
        lock: AbstractAsyncContextManager[None] = store.lock(key)
        try:
            await lock.__aenter__()
        except ConfigurationError:
            raise
        except Exception as exc:
            self._store_failed("lock", exc)
            return await self._fetch_and_store(store)
        try:
            token = await self._adopt(store, skip)  # another process may have refreshed
            if token is None:
                token = await self._fetch_and_store(store)
        except BaseException as exc:
            await self._release(lock, exc)
            raise
        await self._release(lock, None)
        return token

    async def _adopt(self, store: TokenStore, skip: str | None) -> Token | None:
        stored = await self._store_call("get", lambda: store.get(self.store_key))
        if stored is None or stored.access_token in (self._rejected, skip):
            return None
        wall = self._clock.time()
        if not stored.is_fresh(wall, self.refresh_buffer):
            return None
        log.debug("Using an access token from %r", store)
        self.metrics.adopted += 1
        expires_at = self._clock.monotonic() + (stored.expires_at - wall)
        self.metrics._expires_at = expires_at
        return Token(stored.access_token, expires_at, stored.lifetime)

    async def _fetch_and_store(self, store: TokenStore) -> Token:
        token = await self._fetch_recorded()
        stored = StoredToken(
            token.value,
            self._clock.time() + (token.expires_at - self._clock.monotonic()),
            token.lifetime,
        )
        await self._store_call("set", lambda: store.set(self.store_key, stored))
        return token

    async def _release(
        self, lock: AbstractAsyncContextManager[None], exc: BaseException | None
    ) -> None:
        try:
            if exc is None:
                await lock.__aexit__(None, None, None)
            else:
                await lock.__aexit__(type(exc), exc, exc.__traceback__)
        except Exception as error:
            if error is not exc:
                self._store_failed("unlock", error)

    async def _store_call(self, what: str, call: Callable[[], Awaitable[_T]]) -> _T | None:
        try:
            return await call()
        except ConfigurationError:
            raise
        except Exception as exc:
            self._store_failed(what, exc)
            return None

    def _store_failed(self, what: str, exc: Exception) -> None:
        self.metrics.store_errors += 1
        # The exception's type only: a message could quote a URL with a password.
        log.warning(
            "The token store %r failed (%s in %s); going on without it",
            self.token_store,
            type(exc).__name__,
            what,
        )

    async def _fetch_recorded(self) -> Token:
        metrics = self.metrics
        started = self._clock.monotonic()
        try:
            token = await self._fetch()
        except Exception:
            metrics.failures += 1
            self._notify()
            raise
        metrics.refreshes += 1
        metrics.last_latency = self._clock.monotonic() - started
        metrics._expires_at = token.expires_at
        self._notify()
        return token

    def _notify(self) -> None:
        if self._on_refresh is None:
            return
        try:
            self._on_refresh(self.metrics)
        except Exception:
            log.exception("on_token_refresh raised; ignoring it")

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        self._token = None

    def _build_request(self) -> httpx.Request:
        request = httpx.Request(
            "POST",
            self.token_url,
            headers={
                "Authorization": self._basic,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": self._user_agent,
            },
            content=urlencode(
                {"grant_type": "client_credentials", "scope": "api/access"}, safe="/"
            ),
        )
        request.extensions["timeout"] = self._timeout
        return request

    async def _fetch(self) -> Token:
        """One token from the endpoint: the transport's retry loop sends it, errors map here."""

        def build() -> httpx.Request:
            self.token_requests += 1
            log.debug("Requesting an access token from %s", self.token_url)
            return self._build_request()

        before = self.token_requests
        failure: APIError
        try:
            return self._parse(await self._send(build))
        except (APIStatusError, APIConnectionError) as exc:
            failure = exc  # raised again below, outside this block, so nothing is chained
        attempts = self.token_requests - before
        if isinstance(failure, APIStatusError):
            status = failure.status_code
            if status in (400, 401, 403):
                raise TokenExchangeError(
                    f"The token endpoint refused the client credentials (HTTP {status}"
                    f"{_oauth_error(failure.body)}). Check the client id and secret "
                    "(GLOO_CLIENT_ID / GLOO_CLIENT_SECRET, or the client_id / client_secret "
                    "arguments) in Gloo AI Studio under API Credentials.",
                    response=failure.response,
                    body=failure.body,
                )
            raise TokenUnavailableError(
                f"The token endpoint {self.token_url} answered HTTP {status} after "
                f"{attempts} attempt(s). "
                + (
                    "Retry later."
                    if status >= 500 or status in (408, 429)
                    else "Check the token URL (token_url / GLOO_BASE_URL)."
                ),
                request=failure.response.request,
                status_code=status,
            )
        what = "timed out" if isinstance(failure, APITimeoutError) else "failed"
        cause = failure.__cause__
        raise TokenUnavailableError(
            f"The token request to {self.token_url} {what} after {attempts} attempt(s) "
            f"({type(cause).__name__ if cause is not None else 'error'}). Check the network "
            "and GLOO_BASE_URL, or retry later.",
            request=failure.request,
        ) from cause

    def _parse(self, response: httpx.Response) -> Token:
        body = decode_body(response)
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise APIResponseValidationError(
                f"The token endpoint answered HTTP {response.status_code} without a usable "
                "access_token. Check the token URL (token_url / GLOO_BASE_URL).",
                response=response,
                body=None,  # whatever it was, it may hold a secret: keep it out of the error
            )
        assert isinstance(body, dict)
        lifetime = _lifetime(body.get("expires_in"))
        log.debug("Got an access token valid for %.0f s", lifetime)
        return Token(value, self._clock.monotonic() + lifetime, lifetime)


def _lifetime(expires_in: object) -> float:
    """Seconds from ``expires_in``; Gloo's tokens live an hour, so that is the fallback."""
    if isinstance(expires_in, bool):
        return 3600.0
    if isinstance(expires_in, (int, float)) and expires_in > 0:
        return float(expires_in)
    if isinstance(expires_in, str):
        try:
            seconds = float(expires_in)
        except ValueError:
            return 3600.0
        return seconds if seconds > 0 else 3600.0
    return 3600.0


def _oauth_error(body: object) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str) and error.isidentifier():
            return f" {error}"
    return ""
