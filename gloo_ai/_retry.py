"""The retry policy, as pure functions: which answers to retry and how long to wait.

No I/O happens here, so every rule is tested with plain values.

Each call carries a `RetryPolicy`, declared by the method that makes it:

* ``"default"``: POST calls such as completions; connection errors, timeouts and the
  retryable statuses are retried, as they always were.
* ``"idempotent"``: GET, PUT, PATCH and DELETE-style calls whose repetition is harmless;
  the same retries as ``"default"`` today, kept apart so that ``"default"`` can become
  stricter about answers that may already have been processed.
* ``"never"``: calls that must not be repeated (irreversible deletes, one-shot uploads):
  only a failure that proves nothing reached the server (the connection could not be
  opened, or no pool slot was free) is retried; error statuses never are.
"""

from __future__ import annotations

import datetime
import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ._config import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY, RetryPolicy
from ._exceptions import GlooErrorFields

__all__ = [
    "RETRYABLE_STATUSES",
    "RETRY_POLICIES",
    "RetryDecision",
    "RetryPolicy",
    "backoff_delay",
    "decide",
    "is_retryable_status",
    "retry_transport_error",
    "server_wait",
]

RETRY_POLICIES: Final = ("default", "idempotent", "never")

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
    """

    retry: bool
    delay: float = 0.0
    server_wait: float | None = None


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
) -> RetryDecision:
    """Decide whether to retry an error answer and how long to wait first."""
    wait = server_wait(headers, now)
    if policy == "never" or retries_done >= max_retries or not is_retryable_status(status, body):
        return RetryDecision(retry=False, server_wait=wait)
    if wait is not None:
        if wait > max_server_wait:
            return RetryDecision(retry=False, server_wait=wait)
        return RetryDecision(retry=True, delay=wait, server_wait=wait)
    return RetryDecision(retry=True, delay=backoff_delay(retries_done, jitter))


def retry_transport_error(
    policy: RetryPolicy, *, retries_done: int, max_retries: int, nothing_sent: bool
) -> bool:
    """Whether to retry after a transport error (no answer, or an answer cut short).

    Args:
        policy: the call's retry policy.
        retries_done: retries made so far.
        max_retries: the call's budget.
        nothing_sent: the error proves the request never reached the server (the connection
            could not be opened, or no pool slot was free).
    """
    if retries_done >= max_retries:
        return False
    return nothing_sent or policy != "never"
