"""httpx auth flows: a static API key, and OAuth2 client credentials with a shared token cache.

The client-credentials flow fetches a token from ``/oauth2/token``, caches it, and refreshes it
once for all concurrent requests (single flight, under one anyio lock) shortly before it expires
and after a 401. A fresh token is read without taking the lock, and the lock is never held while
the user's own request is in flight. If the task that is refreshing is cancelled, the lock is
released and the next waiter refreshes instead.
"""

from __future__ import annotations

import base64
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from urllib.parse import quote_plus, urlencode

import anyio
import httpx

from ._config import DEFAULT_REFRESH_BUFFER, DEFAULT_TOKEN_TIMEOUT, Clock
from ._exceptions import (
    APIResponseValidationError,
    TokenExchangeError,
    TokenUnavailableError,
    decode_body,
)
from ._retry import backoff_delay, decide
from ._tokens import Token

__all__ = ["ApiKeyAuth", "ClientCredentialsAuth", "TokenSender"]

log = logging.getLogger("gloo_ai")

TokenSender = Callable[[httpx.Request], Awaitable[httpx.Response]]
"""Sends the token request (without auth) and returns the unread response."""

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
                token = self._token = await self._fetch()
            return token

    async def _refresh_after_401(self, failed: Token) -> Token:
        async with self._lock:
            if self._token is failed:
                self._token = None
            token = self._fresh()
            if token is None:
                token = self._token = await self._fetch()
            return token

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
        retries_done = 0
        attempts = self.max_retries + 1
        while True:
            request = self._build_request()
            self.token_requests += 1
            log.debug("Requesting an access token from %s", self.token_url)
            try:
                response = await self._send(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                if retries_done < self.max_retries:
                    await self._clock.sleep(self._backoff(retries_done))
                    retries_done += 1
                    continue
                what = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                raise TokenUnavailableError(
                    f"The token request to {self.token_url} {what} after {attempts} attempt(s) "
                    f"({type(exc).__name__}). Check the network and GLOO_BASE_URL, or retry later.",
                    request=request,
                ) from exc

            status = response.status_code
            if response.is_success:
                return self._parse(response)
            body = decode_body(response)
            if status in (400, 401, 403):
                raise TokenExchangeError(
                    f"The token endpoint refused the client credentials (HTTP {status}"
                    f"{_oauth_error(body)}). Check the client id and secret "
                    "(GLOO_CLIENT_ID / GLOO_CLIENT_SECRET, or the client_id / client_secret "
                    "arguments) in Gloo AI Studio under API Credentials.",
                    response=response,
                    body=body,
                )
            decision = decide(
                status=status,
                headers=response.headers,
                body=body,
                retries_done=retries_done,
                max_retries=self.max_retries,
                now=self._clock.time(),
                jitter=self._random.random(),
            )
            if decision.retry:
                await self._clock.sleep(decision.delay)
                retries_done += 1
                continue
            raise TokenUnavailableError(
                f"The token endpoint {self.token_url} answered HTTP {status} after "
                f"{retries_done + 1} attempt(s). "
                + (
                    "Retry later."
                    if status >= 500 or status in (408, 429)
                    else "Check the token URL (token_url / GLOO_BASE_URL)."
                ),
                request=request,
                status_code=status,
            )

    def _backoff(self, retries_done: int) -> float:
        return backoff_delay(retries_done, self._random.random())

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
