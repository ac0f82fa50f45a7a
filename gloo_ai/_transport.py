"""The one place that sends: a request per attempt, the retry loop, status → error.

Every call goes through `Transport.request` (API calls, with the call's body kind, auth and
retry policy) or `Transport.send_token_request` (the token endpoint's own request, without
auth); both share one retry loop, `Transport._send`, the pure policy in `_retry.py` and the
call's one budget (`_budget.py`). One method per concern: `_send` sends each attempt and
says where it failed, `_retry_failure` and `_retry_status` decide and wait, `_status_error`
builds the error.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import httpx

from ._auth import ApiKeyAuth
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
from ._hooks import GLOBAL_HOOKS, HookSlot
from ._limits import DEFAULT_LIMITS, BodyLimits, read_body, read_error_body
from ._logs import log_attempt, log_retry
from ._multipart import MultipartBody
from ._pool import HttpState
from ._request_builder import RequestBuilder, encode_json, timeout_extension
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
_R = TypeVar("_R")


class Transport:
    """Sends each attempt's request (built by its `RequestBuilder`) through the auth flow,
    retries, and maps errors.

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
        self.builder = RequestBuilder(
            base_url=base_url, headers=self.headers, limits=limits, timeout=timeout
        )
        self._random = random.Random()

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

    def request(
        self,
        method: str,
        path: str,
        *,
        body: object | None,
        options: RequestOptions,
        parse: Callable[[httpx.Response], _R],
    ) -> Coroutine[Any, Any, _R]:
        """Send a call with retries: await the result for ``parse`` of its 2xx response
        (unread if ``options.stream``).

        The call gets one `CallBudget` (its retries of errors and of rate limits, its one 401
        replay, its timeout), shared with the token request it may wait for. A plain
        function that returns the call's coroutine (one frame less per call): a body JSON
        cannot carry raises here, before anything is sent.
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
            timeout=self.builder.timeout_ext
            if isinstance(options.timeout, NotGiven)
            else timeout_extension(options.timeout),
        )
        auth = self.state.auth if options.auth else None
        return self._send(
            functools.partial(  # a JSON body as encoded only: the dict is not kept meanwhile
                self.builder.build,
                method,
                path,
                body=None if encoded is not None else body,
                options=options,
                encoded=encoded,
            ),
            auth=auth,
            stream=options.stream,
            policy=policy,
            budget=budget,
            retry_read_errors=_given(options.retry_read_errors, self.retry_read_errors),
            parse=parse,
            # Only the token flow reads the budget (its token request, its 401 replay).
            publish=auth is not None and not isinstance(auth, ApiKeyAuth),
        )

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
                request.extensions.get("timeout", self.builder.timeout_ext), budget.timeout
            )
            return request

        return await self._send(
            bounded,
            auth=None,
            stream=False,
            policy="idempotent",
            budget=budget,
            retry_read_errors=True,
            parse=_as_is,
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
        parse: Callable[[httpx.Response], _R],
        publish: bool = False,
    ) -> _R:
        """The retry loop: each attempt's request sent, its body read unless streamed (an
        error answer's body always is), the failure or answer retried or raised; ``parse``
        of the 2xx response returned. ``publish``: the budget is the call's `CURRENT_CALL`.

        A 2xx body is read up to ``limits.response_bytes`` (`ResponseTooLargeError` past it,
        not retried); an error body once, at most its first `ERROR_BODY_BYTES` (one cut
        short: its status alone decides). A failure is placed before or after the answer's
        head (`Failed`): that decides whether the request may have run.
        """
        current = CURRENT_CALL.set(budget) if publish else None
        try:
            attempts = 0
            while True:
                request = build()
                attempts += 1
                started = self.clock.monotonic()
                failed: Failed | None = None
                try:
                    response = await self.state.send(request, auth=auth)
                except httpx.TransportError as exc:
                    failed = Failed(exc, failure_before_answer(exc), request)
                else:
                    if not response.is_success:
                        await read_error_body(response)
                    elif not stream:
                        try:
                            await read_body(response, self.limits.response_bytes)
                        except httpx.TransportError as exc:
                            failed = Failed(exc, "answer_cut", request)
                if failed is not None:
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
                    return parse(response)
                if await self._retry_status(response, policy, budget):
                    continue
                raise await self._status_error(response)
        finally:
            if current is not None:
                CURRENT_CALL.reset(current)

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


def _as_is(response: httpx.Response) -> httpx.Response:
    return response


def _given(value: _V | NotGiven, default: _V) -> _V:
    return default if isinstance(value, NotGiven) else value
