"""The OAuth2 token endpoint: the request, the answer, and what a failure becomes.

Building the form-encoded request with its Basic credentials, its own timeout and headers
(`build_token_request`), parsing the answer into a `Token` with the lifetime fallback rules
(`parse_token`), and turning a failed exchange into `TokenExchangeError` or
`TokenUnavailableError` are pure functions of their inputs. `TokenEndpoint` holds the
credentials and sends the request through the transport's one retry loop (the `TokenSender`),
counting each attempt. The secret lives only in the Basic header value, never in a repr,
message or log line, and no exception carrying the endpoint's body is chained.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from .._config import DEFAULT_TOKEN_TIMEOUT, Clock
from .._error_bodies import decode_body
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    TokenExchangeError,
    TokenUnavailableError,
)
from .._tokens import Token

__all__ = [
    "TokenEndpoint",
    "TokenSender",
    "basic_credentials",
    "build_token_request",
    "connection_failure",
    "parse_token",
    "status_failure",
    "token_lifetime",
]

log = logging.getLogger("gloo_ai")

TokenSender = Callable[[Callable[[], httpx.Request]], Awaitable[httpx.Response]]
"""Sends the token request (built anew per attempt) without auth, with the transport's
retries; returns the read 2xx response or raises `APIStatusError` / `APIConnectionError`."""


def basic_credentials(client_id: str, client_secret: str) -> str:
    """The ``Authorization`` value: Basic, of the form-encoded id and secret (RFC 6749 2.3.1)."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def build_token_request(
    token_url: str, *, basic: str, timeout: dict[str, Any], user_agent: str
) -> httpx.Request:
    """The client-credentials grant request, with its own timeout (no I/O)."""
    request = httpx.Request(
        "POST",
        token_url,
        headers={
            "Authorization": basic,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": user_agent,
        },
        content=urlencode({"grant_type": "client_credentials", "scope": "api/access"}, safe="/"),
    )
    request.extensions["timeout"] = timeout
    return request


def parse_token(response: httpx.Response, now: float) -> Token:
    """The token in a 2xx answer received at monotonic time ``now``.

    Raises `TokenExchangeError` (without the body) if it holds no usable access token or an
    ``expires_in`` that is no number of seconds (``1e400``). The answer is read in a frame
    that has returned before the error is raised, so no traceback (even one that shows
    its frames' locals) holds the answer's token.
    """
    token = _read_token(response, now)
    if token is None:
        raise TokenExchangeError(
            f"The token endpoint answered HTTP {response.status_code} without a usable "
            "access_token and expires_in. Check the token URL (token_url / GLOO_BASE_URL).",
            response=response,
            body=None,  # whatever it was, it may hold a secret: keep it out of the error
        )
    return token


def _read_token(response: httpx.Response, now: float) -> Token | None:
    try:
        body = decode_body(response)
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(value, str) or not value:
            return None
        lifetime = token_lifetime(body.get("expires_in"))
        return Token(value, now + lifetime, lifetime)
    except (ValueError, TypeError, OverflowError):  # an absurd expires_in
        return None


def token_lifetime(expires_in: object) -> float:
    """Seconds from ``expires_in``; Gloo's tokens live an hour, so that is the fallback for a
    missing, zero, negative or non-numeric value. A number too large to be seconds
    (``10**400``, ``1e400``) raises `ValueError`: the answer is broken, not just vague."""
    if isinstance(expires_in, bool):
        return 3600.0
    if isinstance(expires_in, (int, float)):
        seconds = float(expires_in)  # OverflowError for 10**400
    elif isinstance(expires_in, str):
        try:
            seconds = float(expires_in)
        except ValueError:
            return 3600.0
    else:
        return 3600.0
    if not math.isfinite(seconds):
        raise ValueError("expires_in is not a finite number of seconds")
    return seconds if seconds > 0 else 3600.0


def status_failure(
    failure: APIStatusError, token_url: str, attempts: int
) -> TokenExchangeError | TokenUnavailableError:
    """The error for the endpoint's final error status: refused credentials, or unavailable."""
    status = failure.status_code
    if status in (400, 401, 403):
        return TokenExchangeError(
            f"The token endpoint refused the client credentials (HTTP {status}"
            f"{_oauth_error(failure.body)}). Check the client id and secret "
            "(GLOO_CLIENT_ID / GLOO_CLIENT_SECRET, or the client_id / client_secret "
            "arguments) in Gloo AI Studio under API Credentials.",
            response=failure.response,
            body=failure.body,
        )
    return TokenUnavailableError(
        f"The token endpoint {token_url} answered HTTP {status} after "
        f"{attempts} attempt(s). "
        + (
            "Retry later."
            if status >= 500 or status in (408, 429)
            else "Check the token URL (token_url / GLOO_BASE_URL)."
        ),
        request=failure.response.request,
        status_code=status,
    )


def connection_failure(
    failure: APIConnectionError, token_url: str, attempts: int
) -> TokenUnavailableError:
    """The error for a token request that timed out or failed to connect (its last attempt)."""
    what = "timed out" if isinstance(failure, APITimeoutError) else "failed"
    cause = failure.__cause__
    return TokenUnavailableError(
        f"The token request to {token_url} {what} after {attempts} attempt(s) "
        f"({type(cause).__name__ if cause is not None else 'error'}). Check the network "
        "and GLOO_BASE_URL, or retry later.",
        request=failure.request,
    )


def _oauth_error(body: object) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str) and error.isidentifier():
            return f" {error}"
    return ""


class TokenEndpoint:
    """Fetches one token: sends the grant through ``send`` and maps what comes back.

    Args:
        client_id: the client id.
        client_secret: its secret; kept only inside the Basic header value.
        token_url: the absolute URL of the token endpoint.
        send: sends the request with the transport's retries (built anew per attempt).
        clock: where the token's expiry is read from.
        timeout: the token request's own timeout.
        user_agent: the ``User-Agent`` sent with the token request.

    Attributes:
        requests: token requests built so far, one per attempt.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        *,
        send: TokenSender,
        clock: Clock,
        timeout: httpx.Timeout = DEFAULT_TOKEN_TIMEOUT,
        user_agent: str,
    ) -> None:
        self.token_url = token_url
        self.requests = 0
        self._basic = basic_credentials(client_id, client_secret)
        self._send = send
        self._clock = clock
        self._timeout = timeout.as_dict()
        self._user_agent = user_agent

    def __repr__(self) -> str:
        return f"TokenEndpoint(token_url={self.token_url!r})"

    def build_request(self) -> httpx.Request:
        """The token request for one attempt (no I/O, not counted)."""
        return build_token_request(
            self.token_url, basic=self._basic, timeout=self._timeout, user_agent=self._user_agent
        )

    async def fetch(self) -> Token:
        """One token from the endpoint: the transport's retry loop sends it, errors map here."""

        def build() -> httpx.Request:
            self.requests += 1
            log.debug("Requesting an access token from %s", self.token_url)
            return self.build_request()

        before = self.requests
        started = self._clock.monotonic()
        failure: APIStatusError | APIConnectionError
        try:
            response = await self._send(build)
        except (APIStatusError, APIConnectionError) as exc:
            failure = exc  # raised again below, outside this block, so nothing is chained
        else:
            now = self._clock.monotonic()
            token = parse_token(response, now)  # TokenExchangeError
            log.info(
                "Got an access token in %.1f ms (%d attempt(s)); it expires in %.0f s",
                (now - started) * 1000,
                self.requests - before,
                token.lifetime,
            )
            return token
        attempts = self.requests - before
        log.info(
            "The token request failed after %d attempt(s) in %.1f ms (%s)",
            attempts,
            (self._clock.monotonic() - started) * 1000,
            type(failure).__name__,
        )
        if isinstance(failure, APIStatusError):
            raise status_failure(failure, self.token_url, attempts)
        raise connection_failure(failure, self.token_url, attempts) from failure.__cause__
