"""The retry policy, as pure functions: which failures to retry and how long to wait.

No I/O happens here, so every rule is tested with plain values.

The rule: a request is sent again only when the failure proves it was not processed, unless
the call allows more. A generation is never paid for twice without the caller's say. Each
call carries a `RetryPolicy`, declared by the method that makes it:

* ``"default"``: POST calls such as completions. Retried: a failure before the request was
  fully sent (the connection could not be opened, no pool slot was free, the request could
  not be written) and the answers that say it was not processed (408, 429, 5xx). Not
  retried: a failure after the request was sent (a read timeout, the connection dropped
  before or during the answer), since the server may have run it; ``retry_read_errors=True``
  (per client or per call) opts in.
* ``"idempotent"``: GET, PUT, PATCH and DELETE-style calls whose repetition is harmless (and
  the token request): every transport failure and retryable status is retried.
* ``"never"``: calls that must not be repeated (irreversible deletes, one-shot uploads):
  only a failure that proves nothing reached the server (the connection could not be
  opened, or no pool slot was free) is retried; error statuses never are.

Rate limits (a retryable 429) draw on a budget of their own (``max_rate_limit_retries``),
beside ``max_retries`` for errors. A server's wait (``Retry-After`` and friends) is honoured,
but never shorter than the backoff: a ``Retry-After: 0`` or a date in the past does not make
a retry storm.
"""

from __future__ import annotations

import datetime
import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from ._config import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY, RetryPolicy
from ._exceptions import GlooErrorFields

__all__ = [
    "RETRYABLE_STATUSES",
    "RETRY_POLICIES",
    "RetryDecision",
    "RetryPolicy",
    "TransportFailure",
    "backoff_delay",
    "decide",
    "is_retryable_status",
    "retry_transport_error",
    "server_wait",
]

RETRY_POLICIES: Final = ("default", "idempotent", "never")

TransportFailure: TypeAlias = Literal["not_sent", "not_written", "no_answer", "answer_cut"]
"""Where a request without a usable answer failed, which says whether it may have run:

* ``"not_sent"``: no connection was opened (connect error or timeout, pool timeout).
* ``"not_written"``: the request could not be written in full (write error or timeout); a
  server does not run half a request.
* ``"no_answer"``: it was sent, and no answer came (read timeout, the connection dropped
  before the first byte of the answer): the server may have run it.
* ``"answer_cut"``: the answer's head arrived and its body was cut: the server ran it.
"""

# Gloo error codes that say the same request will fail again, whatever ``retryable`` says.
# 2006: a reasoning model spent max_tokens thinking and returned nothing.
_NOT_RETRYABLE_CODES: Final = frozenset({2006, "2006"})

RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})

# X-RateLimit-Reset carries either a delay in seconds or an epoch time; a delay is never this
# large (about 2001-09-09 as an epoch), an epoch always is.
_EPOCH_SECONDS_FLOOR: Final = 1_000_000_000
_EPOCH_MILLIS_FLOOR: Final = 1_000_000_000_000


@dataclass(frozen=True)
class RetryDecision:
    """Whether to retry an answer, and after how many seconds.

    ``server_wait`` is the wait the server asked for, if it asked; when it exceeds the cap the
    decision is not to retry, and the error carries that wait so the caller can schedule it.
    ``rate_limited``: the answer was a rate limit, so a retry draws on the rate-limit budget.
    """

    retry: bool
    delay: float = 0.0
    server_wait: float | None = None
    rate_limited: bool = False


def server_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Return the seconds the server asked us to wait, or None if it did not say.

    Reads ``retry-after-ms``, then ``Retry-After`` (seconds or an HTTP date), then
    ``X-RateLimit-Reset`` (a delay in seconds, or an epoch time in seconds or milliseconds,
    told apart by size). ``now`` is the wall-clock time in epoch seconds. Never negative.
    """
    value = headers.get("retry-after-ms")
    if value is not None:
        number = _float(value)
        if number is not None:
            return max(number / 1000.0, 0.0)
    value = headers.get("retry-after")
    if value is not None:
        number = _float(value)
        if number is not None:
            return max(number, 0.0)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:  # the obsolete asctime form carries no zone: it is GMT
                when = when.replace(tzinfo=datetime.timezone.utc)
            return max(when.timestamp() - now, 0.0)
    value = headers.get("x-ratelimit-reset")
    if value is not None:
        number = _float(value)
        if number is not None:
            if number >= _EPOCH_MILLIS_FLOOR:
                return max(number / 1000.0 - now, 0.0)
            if number >= _EPOCH_SECONDS_FLOOR:
                return max(number - now, 0.0)
            return max(number, 0.0)
    return None


def _float(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def backoff_delay(retries_done: int, jitter: float) -> float:
    """The wait before retry number ``retries_done + 1``: capped exponential, jittered down.

    ``jitter`` is a number in [0, 1); it shortens the wait by up to a quarter, so that many
    clients that failed together do not retry together.
    """
    delay = min(INITIAL_RETRY_DELAY * (2.0**retries_done), MAX_RETRY_DELAY)
    return delay * (1.0 - 0.25 * jitter)


def is_retryable_status(status: int, body: object) -> bool:
    """Whether an error answer may succeed if sent again.

    Gloo's ``retryable`` flag decides where the body carries one; a 429 that says the spending
    limit is reached is never retried (waiting will not help), nor is Gloo's error 2006
    (``max_tokens`` too small for a reasoning model: it is marked retryable, but the same
    request fails again); otherwise 408, 429, 500, 502, 503 and 504 are.
    """
    if status == 429 and _mentions_spending_limit(body):
        return False
    fields = GlooErrorFields(body)
    if fields.code in _NOT_RETRYABLE_CODES:
        return False
    retryable = fields.retryable
    if retryable is not None:
        return retryable
    return status in RETRYABLE_STATUSES


def _mentions_spending_limit(body: object) -> bool:
    if body is None:
        return False
    text = body if isinstance(body, str) else json.dumps(body)
    return "spend" in text.lower()


def decide(
    *,
    status: int,
    headers: Mapping[str, str],
    body: object,
    retries_done: int,
    max_retries: int,
    now: float,
    jitter: float,
    max_server_wait: float = MAX_RETRY_AFTER,
    policy: RetryPolicy = "default",
    rate_limit_retries_done: int = 0,
    max_rate_limit_retries: int | None = None,
) -> RetryDecision:
    """Decide whether to retry an error answer and how long to wait first.

    A retryable 429 counts against ``rate_limit_retries_done`` / ``max_rate_limit_retries``
    (None: the same budget as errors), anything else against ``retries_done`` /
    ``max_retries``. The wait is the server's, but never shorter than the backoff.
    """
    wait = server_wait(headers, now)
    rate_limited = status == 429 and max_rate_limit_retries is not None
    done, budget = (
        (rate_limit_retries_done, max_rate_limit_retries)
        if rate_limited and max_rate_limit_retries is not None
        else (retries_done, max_retries)
    )
    if policy == "never" or done >= budget or not is_retryable_status(status, body):
        return RetryDecision(retry=False, server_wait=wait, rate_limited=rate_limited)
    floor = backoff_delay(done, jitter)
    if wait is not None:
        if wait > max_server_wait:
            return RetryDecision(retry=False, server_wait=wait, rate_limited=rate_limited)
        return RetryDecision(
            retry=True, delay=max(wait, floor), server_wait=wait, rate_limited=rate_limited
        )
    return RetryDecision(retry=True, delay=floor, rate_limited=rate_limited)


def retry_transport_error(
    policy: RetryPolicy, *, failure: TransportFailure, retry_read_errors: bool = False
) -> bool:
    """Whether the policy allows a retry after a transport failure (the budget aside).

    Args:
        policy: the call's retry policy.
        failure: where the request failed (see `TransportFailure`).
        retry_read_errors: the caller's opt-in to retry a ``"default"`` call that was sent
            but not answered in full (it may have run, and be billed, twice).
    """
    if failure == "not_sent":
        return True
    if policy == "never":
        return False
    if policy == "idempotent" or failure == "not_written":
        return True
    return retry_read_errors
