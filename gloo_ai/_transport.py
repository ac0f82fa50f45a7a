"""The one place that sends: building a request per attempt, the retry loop, status → error.

Every call goes through `Transport.request` (API calls, with the call's body kind, auth and
retry policy) or `Transport.send_token_request` (the token endpoint's own request, without
auth); both share one retry loop, `Transport._send`, the pure policy in `_retry.py` and the
call's one budget (`_budget.py`). One method per concern: `_attempt` sends one request and
says where it failed, `_retry_failure` and `_retry_status` decide and wait, `_status_error`
builds the error.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from ._budget import CURRENT_CALL, CallBudget, tighter_timeout
from ._config import (
    DEFAULT_MAX_RATE_LIMIT_RETRIES,
    MAX_RETRY_AFTER,
    Clock,
    NotGiven,
    RequestOptions,
    RetryPolicy,
)
from ._error_bodies import request_id_of
from ._exceptions import InvalidArgumentError
from ._hooks import GLOBAL_HOOKS, HookSlot
from ._limits import DEFAULT_LIMITS, EXTENSION, WHOLE_BODY, BodyLimits, read_body, read_error_body
from ._logs import log_attempt, log_retry
from ._multipart import MultipartBody
from ._pool import HttpState
from ._retry import (
    backoff_delay,
    decide,
    retry_transport_error,
    server_wait,
)
from ._status_errors import make_status_error
from ._transport_errors import (
    Failed,
    body_of,
    failure_before_answer,
    read_error_note,
    transport_error,
)

__all__ = ["NO_BODY", "HttpState", "Transport"]

NO_BODY: Any = None
"""The body of a call that sends none (GET, most DELETEs)."""

_V = TypeVar("_V")

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ACCEPT_JSON = b"application/json"
_ACCEPT_SSE = b"text/event-stream"
# Headers a call sets itself: a default naming one of them takes the merging path.
_PER_CALL_HEADERS = frozenset(
    {"accept", "content-type", "content-length", "host", "transfer-encoding"}
)


class Transport:
    """Builds requests, sends them through the auth flow, retries, and maps errors.

    Args:
        state: the shared pool and auth flow.
        base_url: prefix of every relative path.
        timeout: the default timeout of a call.
        max_retries: the default number of retries of errors of a call.
        max_rate_limit_retries: the default number of retries of rate limits (429) of a call.
        retry_read_errors: whether a ``"default"`` call is retried after it was sent but not
            answered in full (a read timeout, a dropped connection); see `gloo_ai._retry`.
        headers: headers sent with every call (``User-Agent`` and the user's defaults).
        clock: where retries sleep and read the time.
        limits: how much of an answer is read (`BodyLimits`).
        instrumentation: where the observer of calls and retries is found (`GLOBAL_HOOKS`:
            the one ``gloo_ai.instrument()`` sets).
    """

    def __init__(
        self,
        state: HttpState,
        *,
        base_url: str,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        max_rate_limit_retries: int = DEFAULT_MAX_RATE_LIMIT_RETRIES,
        retry_read_errors: bool = False,
        headers: Mapping[str, str],
        clock: Clock,
        limits: BodyLimits = DEFAULT_LIMITS,
        instrumentation: HookSlot = GLOBAL_HOOKS,
    ) -> None:
        self.state = state
        self.limits = limits
        self.instrumentation = instrumentation
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_rate_limit_retries = max_rate_limit_retries
        self.retry_read_errors = retry_read_errors
        self.headers = dict(headers)
        self.clock = clock
        self._timeout_ext = _timeout_extension(timeout)
        self._random = random.Random()
        self._urls: dict[str, httpx.URL] = {}
        self._headers = httpx.Headers(self.headers)
        # The defaults as raw byte pairs, ready to be joined with a call's own headers; None
        # when a default names a header the SDK sets per call (then the slower path merges).
        self._raw_headers: list[tuple[bytes, bytes]] | None = (
            None
            if any(name in _PER_CALL_HEADERS for name in (k.lower() for k in self.headers))
            else self._headers.raw
        )

    def copy(self, **changes: Any) -> Transport:
        """A transport on the same pool and auth flow with other defaults (``with_options``):
        any of ``timeout``, ``max_retries``, ``max_rate_limit_retries``, ``retry_read_errors``,
        ``headers``, already checked."""
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_rate_limit_retries": self.max_rate_limit_retries,
            "retry_read_errors": self.retry_read_errors,
            "headers": self.headers,
            "clock": self.clock,
            "limits": self.limits,
            "instrumentation": self.instrumentation,
        }
        return Transport(self.state, **{**settings, **changes})

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
        url = self._url(path)
        params = options.query
        if options.extra_query:
            params = {**(params or {}), **options.extra_query}
        if isinstance(body, MultipartBody):  # streamed: httpx frames it (chunked)
            headers = dict(self.headers)
            headers["Accept"] = "text/event-stream" if options.stream else "application/json"
            headers.update(body.headers())
            if options.extra_headers:
                headers.update(options.extra_headers)
            request = httpx.Request(
                method, url, headers=headers, content=body.stream(), params=params
            )
        else:
            request = self._bytes_request(method, url, body, encoded, options, params)
        request.extensions[EXTENSION] = self.limits
        if not options.stream:
            request.extensions[WHOLE_BODY] = self.limits.response_bytes
        request.extensions["timeout"] = (
            self._timeout_ext
            if isinstance(options.timeout, NotGiven)
            else _timeout_extension(options.timeout)
        )
        return request

    def _bytes_request(
        self,
        method: str,
        url: httpx.URL,
        body: object | None,
        encoded: bytes | None,
        options: RequestOptions,
        params: Mapping[str, Any] | None,
    ) -> httpx.Request:
        """A request with a JSON body, or none, with the headers httpx would add (``Host``,
        ``Content-Length``) set here, so that httpx does not rebuild the header list."""
        content = b""
        if body is not None:
            content = encoded if encoded is not None else encode_json(body)
        if params is not None:
            url = httpx.URL(url, params=params)
        length = str(len(content)) if content or method in _BODY_METHODS else None
        raw = self._raw_headers
        if raw is not None and not options.extra_headers:  # the common case: no merging
            pairs = [(b"Host", url.netloc), *raw]
            pairs.append((b"Accept", _ACCEPT_SSE if options.stream else _ACCEPT_JSON))
            if body is not None:
                pairs.append((b"Content-Type", b"application/json"))
            if length is not None:
                pairs.append((b"Content-Length", length.encode()))
            headers: httpx.Headers | list[tuple[bytes, bytes]] = pairs  # httpx.Request copies
        else:
            headers = self._headers.copy()
            headers["Accept"] = "text/event-stream" if options.stream else "application/json"
            if body is not None:
                headers["Content-Type"] = "application/json"
            if options.extra_headers:
                headers.update(options.extra_headers)
            if "host" not in headers:
                headers["Host"] = url.netloc.decode("ascii")
            if length is not None and "content-length" not in headers:
                headers["Content-Length"] = length
        request = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(content))
        request._content = content  # what read() would set: .content works, as with content=
        return request

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = httpx.URL(
                path if path.startswith(("http://", "https://")) else self.base_url + path
            )
            if len(self._urls) < 256:
                self._urls[path] = url
        return url

    async def request(
        self, method: str, path: str, *, body: object | None, options: RequestOptions
    ) -> httpx.Response:
        """Send a call with retries; return a 2xx response (unread if ``options.stream``).

        The call gets one `CallBudget` (its retries of errors and of rate limits, its one 401
        replay, its timeout), shared with the token request it may wait for.
        """
        encoded = None
        policy = options.retry
        if isinstance(body, MultipartBody):
            if not body.replayable:
                policy = "never"  # a one-shot stream cannot be sent twice
        elif body is not None:
            encoded = encode_json(body)
        budget = CallBudget(
            _given(options.max_retries, self.max_retries),
            _given(options.max_rate_limit_retries, self.max_rate_limit_retries),
            timeout=self._timeout_ext
            if isinstance(options.timeout, NotGiven)
            else _timeout_extension(options.timeout),
        )
        current = CURRENT_CALL.set(budget)
        try:
            return await self._send(
                functools.partial(
                    self.build_request, method, path, body=body, options=options, encoded=encoded
                ),
                auth=self.state.auth if options.auth else None,
                stream=options.stream,
                policy=policy,
                budget=budget,
                retry_read_errors=_given(options.retry_read_errors, self.retry_read_errors),
            )
        finally:
            CURRENT_CALL.reset(current)

    async def send_token_request(self, build: Callable[[], httpx.Request]) -> httpx.Response:
        """Send the token endpoint's request (built anew per attempt) without auth.

        Repeating a token request is harmless, so every failure is retried, from the budget
        of the call that waits for the token (or, with no call, a budget of its own); the
        call's timeout bounds it too. Returns the read 2xx response, or raises the status's
        error, `APITimeoutError` or `APIConnectionError`.
        """
        budget = CURRENT_CALL.get()
        if budget is None:  # refresh ahead, or the CLI: no call around it
            budget = CallBudget(self.max_retries, self.max_rate_limit_retries)

        def bounded() -> httpx.Request:
            request = build()
            request.extensions["timeout"] = tighter_timeout(
                request.extensions.get("timeout", self._timeout_ext), budget.timeout
            )
            return request

        return await self._send(
            bounded,
            auth=None,
            stream=False,
            policy="idempotent",
            budget=budget,
            retry_read_errors=True,
        )

    async def _send(
        self,
        build: Callable[[], httpx.Request],
        *,
        auth: httpx.Auth | None,
        stream: bool,
        policy: RetryPolicy,
        budget: CallBudget,
        retry_read_errors: bool,
    ) -> httpx.Response:
        attempts = 0
        while True:
            request = build()
            attempts += 1
            started = self.clock.monotonic()
            try:
                response = await self._attempt(request, auth=auth, stream=stream)
            except Failed as failed:
                log_attempt(
                    request,
                    attempts,
                    self.clock.monotonic() - started,
                    failure=f"{type(failed.error).__name__} ({failed.failure})",
                )
                if await self._retry_failure(failed, policy, budget, retry_read_errors):
                    continue
                raise transport_error(
                    failed.error, request, attempts, note=read_error_note(failed, policy)
                ) from failed.error
            log_attempt(request, attempts, self.clock.monotonic() - started, response=response)
            if response.is_success:
                return response
            if await self._retry_status(response, policy, budget):
                continue
            raise await self._status_error(response)

    async def _attempt(
        self, request: httpx.Request, *, auth: httpx.Auth | None, stream: bool
    ) -> httpx.Response:
        """One request; its body read unless streamed (an error answer's body always is).

        A 2xx body is read up to ``limits.response_bytes`` (`ResponseTooLargeError` past it,
        not retried); an error body once, at most its first `ERROR_BODY_BYTES` (one cut
        short: its status alone decides). Raises `Failed`, which says whether the failure
        came before or after the answer's head (what decides whether the request may have
        run).
        """
        try:
            response = await self.state.send(request, auth=auth)
        except httpx.TransportError as exc:
            raise Failed(exc, failure_before_answer(exc), request) from exc
        if not response.is_success:
            await read_error_body(response)
        elif not stream:
            try:
                await read_body(response, self.limits.response_bytes)
            except httpx.TransportError as exc:
                raise Failed(exc, "answer_cut", request) from exc
        return response

    async def _retry_failure(
        self, failed: Failed, policy: RetryPolicy, budget: CallBudget, retry_read_errors: bool
    ) -> bool:
        """Whether a transport failure is retried (after the backoff, slept here)."""
        if not retry_transport_error(
            policy, failure=failed.failure, retry_read_errors=retry_read_errors
        ):
            return False
        done = budget.retries
        if not budget.take_retry():
            return False
        delay = backoff_delay(done, self._random.random())
        cause = f"{type(failed.error).__name__} ({failed.failure})"
        log_retry(failed.request, delay, cause, budget, rate_limited=False)
        if (hooks := self.instrumentation.hooks) is not None:
            attempt = budget.retries + budget.rate_limit_retries
            hooks.retry(
                attempt=attempt, delay=delay, status=None, error=type(failed.error).__name__
            )
        await self.clock.sleep(delay)
        return True

    async def _retry_status(
        self, response: httpx.Response, policy: RetryPolicy, budget: CallBudget
    ) -> bool:
        """Whether an error answer is retried (after the server's wait or the backoff)."""
        decision = decide(
            status=response.status_code,
            headers=response.headers,
            body=body_of(response),
            retries_done=budget.retries,
            max_retries=budget.max_retries,
            rate_limit_retries_done=budget.rate_limit_retries,
            max_rate_limit_retries=budget.max_rate_limit_retries,
            now=self.clock.time(),
            jitter=self._random.random(),
            policy=policy,
        )
        if not decision.retry:
            return False
        if decision.rate_limited:
            budget.take_rate_limit_retry()
        else:
            budget.take_retry()
        cause = f"HTTP {response.status_code} (request_id={request_id_of(response.headers) or '-'})"
        log_retry(
            response.request, decision.delay, cause, budget, rate_limited=decision.rate_limited
        )
        if (hooks := self.instrumentation.hooks) is not None:
            attempt = budget.retries + budget.rate_limit_retries
            hooks.retry(
                attempt=attempt, delay=decision.delay, status=response.status_code, error=None
            )
        await self.clock.sleep(decision.delay)
        return True

    async def _status_error(self, response: httpx.Response) -> Exception:
        """The error for an answer that is not retried (or has no retries left)."""
        wait = server_wait(response.headers, self.clock.time())
        note = ""
        if wait is not None and wait > MAX_RETRY_AFTER:
            note = (
                f"The server asked to wait {wait:.0f} s, longer than the "
                f"{MAX_RETRY_AFTER:.0f} s this client waits by itself: retry after that."
            )
        return make_status_error(response, body=body_of(response), retry_after=wait, note=note)


def _given(value: _V | NotGiven, default: _V) -> _V:
    return default if isinstance(value, NotGiven) else value


def encode_json(body: object) -> bytes:
    """Encode a JSON body compactly; a value JSON cannot carry is an `InvalidArgumentError`.

    NaN and infinity are refused (JSON has no such numbers: ``NaN`` on the wire is invalid
    JSON), and so is a lone surrogate, which UTF-8 cannot encode.
    """
    try:
        return _ENCODER.encode(body).encode()
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


def _timeout_extension(timeout: float | httpx.Timeout | None) -> dict[str, Any]:
    if isinstance(timeout, httpx.Timeout):
        return timeout.as_dict()
    return httpx.Timeout(timeout).as_dict()
