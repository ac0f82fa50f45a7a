"""The one place that sends: building a request per attempt, the retry loop, status → error.

Every call goes through `Transport.request` (API calls, with the call's body kind, auth and
retry policy) or `Transport.send_token_request` (the token endpoint's own request, without
auth); both share one retry loop, `Transport._send`, and the pure policy in `_retry.py`.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ._config import MAX_RETRY_AFTER, Clock, NotGiven, RequestOptions, RetryPolicy
from ._error_bodies import decode_body, request_id_of
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    InvalidArgumentError,
    make_status_error,
)
from ._limits import DEFAULT_LIMITS, EXTENSION, BodyLimits, read_body, read_error_body
from ._multipart import MultipartBody
from ._pool import HttpState
from ._retry import backoff_delay, decide, retry_transport_error

__all__ = ["NO_BODY", "HttpState", "Transport"]

log = logging.getLogger("gloo_ai")

NO_BODY: Any = None
"""The body of a call that sends none (GET, most DELETEs)."""

# Transport errors that prove the request never reached the server.
_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Transport:
    """Builds requests, sends them through the auth flow, retries, and maps errors.

    Args:
        state: the shared pool and auth flow.
        base_url: prefix of every relative path.
        timeout: the default timeout of a call.
        max_retries: the default number of retries of a call.
        headers: headers sent with every call (``User-Agent`` and the user's defaults).
        clock: where retries sleep and read the time.
        limits: how much of an answer is read (`BodyLimits`).
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
        limits: BodyLimits = DEFAULT_LIMITS,
    ) -> None:
        self.state = state
        self.limits = limits
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.headers = dict(headers)
        self.clock = clock
        self._timeout_ext = _timeout_extension(timeout)
        self._random = random.Random()

    def build_request(
        self,
        method: str,
        path: str,
        *,
        body: object | None,
        options: RequestOptions,
        encoded: bytes | None = None,
    ) -> httpx.Request:
        """Build the request for one attempt (no I/O).

        ``body`` is None (no body), a `MultipartBody` (streamed anew for each attempt), or
        anything JSON-serialisable; ``encoded`` is that JSON already encoded, so that a
        retried call does not encode it again.
        """
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        headers = dict(self.headers)
        headers["Accept"] = "text/event-stream" if options.stream else "application/json"
        content: Any = None
        if isinstance(body, MultipartBody):
            headers.update(body.headers())
            content = body.stream()
        elif body is not None:
            headers["Content-Type"] = "application/json"
            content = encoded if encoded is not None else encode_json(body)
        if options.extra_headers:
            headers.update(options.extra_headers)
        params = options.query
        if options.extra_query:
            params = {**(params or {}), **options.extra_query}
        request = httpx.Request(method, url, headers=headers, content=content, params=params)
        request.extensions[EXTENSION] = self.limits
        request.extensions["timeout"] = (
            self._timeout_ext
            if isinstance(options.timeout, NotGiven)
            else _timeout_extension(options.timeout)
        )
        return request

    async def request(
        self, method: str, path: str, *, body: object | None, options: RequestOptions
    ) -> httpx.Response:
        """Send a call with retries; return a 2xx response (unread if ``options.stream``)."""
        encoded = None
        policy = options.retry
        if isinstance(body, MultipartBody):
            if not body.replayable:
                policy = "never"  # a one-shot stream cannot be sent twice
        elif body is not None:
            encoded = encode_json(body)
        max_retries = (
            self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        )
        return await self._send(
            lambda: self.build_request(method, path, body=body, options=options, encoded=encoded),
            auth=self.state.auth if options.auth else None,
            stream=options.stream,
            policy=policy,
            max_retries=max_retries,
        )

    async def send_token_request(self, build: Callable[[], httpx.Request]) -> httpx.Response:
        """Send the token endpoint's request (built anew per attempt) without auth.

        Retried like any call; returns the read 2xx response, or raises the status's error,
        `APITimeoutError` or `APIConnectionError`.
        """
        return await self._send(
            build, auth=None, stream=False, policy="default", max_retries=self.max_retries
        )

    async def _send(
        self,
        build: Callable[[], httpx.Request],
        *,
        auth: httpx.Auth | None,
        stream: bool,
        policy: RetryPolicy,
        max_retries: int,
    ) -> httpx.Response:
        retries_done = 0
        while True:
            request = build()
            method = request.method
            try:
                # Always unread: a 2xx body is read here up to its cap, an error body once.
                response = await self.state.http().send(request, auth=auth, stream=True)
                if not stream and response.is_success:
                    await read_body(response, self.limits.response_bytes)
            except httpx.TransportError as exc:
                if retry_transport_error(
                    policy,
                    retries_done=retries_done,
                    max_retries=max_retries,
                    nothing_sent=isinstance(exc, _NOTHING_SENT),
                ):
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
                raise _transport_error(exc, request, retries_done + 1) from exc

            log.debug(
                "%s %s -> %d (request id %s)",
                method,
                request.url,
                response.status_code,
                request_id_of(response.headers),
            )
            if response.is_success:
                return response
            await read_error_body(response)  # at most ERROR_BODY_BYTES; errors ignored
            body_seen = decode_body(response)
            decision = decide(
                status=response.status_code,
                headers=response.headers,
                body=body_seen,
                retries_done=retries_done,
                max_retries=max_retries,
                now=self.clock.time(),
                jitter=self._random.random(),
                policy=policy,
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


def encode_json(body: object) -> bytes:
    """Encode a JSON body compactly; a value JSON cannot carry is an `InvalidArgumentError`.

    NaN and infinity are refused (JSON has no such numbers: ``NaN`` on the wire is invalid
    JSON), and so is a lone surrogate, which UTF-8 cannot encode.
    """
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        if isinstance(exc, UnicodeEncodeError):
            exc = ValueError("a string holds a lone surrogate, which UTF-8 cannot encode")
        elif "Out of range float" in str(exc):
            exc = ValueError("NaN and infinity are not JSON numbers (found in the body)")
        raise InvalidArgumentError(
            f"The request body cannot be sent as JSON: {exc}. Pass finite numbers and "
            "plain text (str, int, float, bool, None, lists and dicts)."
        ) from None
    except RecursionError:
        raise InvalidArgumentError(
            "The request body is nested too deeply (or refers to itself) to send as JSON."
        ) from None


def _transport_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int
) -> APIConnectionError:
    method, url = request.method, request.url
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{method} {url} timed out after {attempts} attempt(s). "
            "Slow (reasoning) models may need a larger timeout=.",
            request=request,
        )
    return APIConnectionError(
        f"{method} {url} failed after {attempts} attempt(s): "
        f"{type(exc).__name__}. Check the network and the base URL.",
        request=request,
    )


def _timeout_extension(timeout: float | httpx.Timeout | None) -> dict[str, Any]:
    if isinstance(timeout, httpx.Timeout):
        return timeout.as_dict()
    return httpx.Timeout(timeout).as_dict()
