"""Defaults, the NOT_GIVEN sentinel, per-call request options and the clock."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, TypeAlias, TypeVar

import anyio
import httpx

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RATE_LIMIT_RETRIES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "Clock",
    "NotGiven",
    "RequestOptions",
    "SystemClock",
    "Timeout",
]

Timeout: TypeAlias = httpx.Timeout
"""`httpx.Timeout`, re-exported: per-phase timeouts (``connect``, ``read``, ``write``, ``pool``)."""

DEFAULT_BASE_URL: Final = "https://platform.ai.gloo.com"
DEFAULT_MAX_RETRIES: Final = 2
# A 429 proves the request was not processed: Gloo's guidance (back off, up to 5 retries) gets
# a budget of its own beside ``max_retries``, which is for errors.
DEFAULT_MAX_RATE_LIMIT_RETRIES: Final = 5

# Reasoning models can think for more than 90 s before the first token arrives, and Gloo's own
# probes allow 120 s; a read timeout of 180 s leaves room for that while still failing a stuck
# connection. Connecting should be quick, so that phase fails fast.
DEFAULT_TIMEOUT: Final = httpx.Timeout(180.0, connect=10.0)

# The token endpoint answers quickly; Gloo's samples give it 10 s.
DEFAULT_TOKEN_TIMEOUT: Final = httpx.Timeout(10.0)

# Refresh a token this long before it expires (Gloo's samples use 60 s).
DEFAULT_REFRESH_BUFFER: Final = 60.0
# Refresh ahead never more often than this, whatever the token's lifetime says.
MIN_REFRESH_INTERVAL: Final = 1.0

# Every token-store call (get, set, delete, taking and releasing the lock) is bounded by this
# many seconds; a store that takes longer is bypassed (and the bypass logged).
DEFAULT_TOKEN_STORE_TIMEOUT: Final = 5.0

DEFAULT_CONNECTION_LIMITS: Final = httpx.Limits(
    max_connections=1000, max_keepalive_connections=100, keepalive_expiry=30.0
)

# Backoff between retries: capped exponential with jitter.
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
# The longest server-requested wait (Retry-After and friends) we honour; longer waits raise.
MAX_RETRY_AFTER: Final = 60.0


class NotGiven:
    """The type of `NOT_GIVEN`: marks an argument the caller did not pass.

    It differs from ``None``, which can be a meaningful value (for example ``timeout=None``
    turns timeouts off).
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""Sentinel for "argument not passed"; see `NotGiven`."""

_T = TypeVar("_T")

RetryPolicy: TypeAlias = Literal["default", "idempotent", "never"]
"""How a call may be repeated; see `gloo_ai._retry` for what each policy retries."""
NotGivenOr: TypeAlias = _T | NotGiven


class Clock(Protocol):
    """Where the SDK reads the time and sleeps; tests pass a fake one."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for token expiry)."""
        ...

    def time(self) -> float:
        """Wall-clock seconds since the epoch (for ``X-RateLimit-Reset`` and HTTP dates)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait, without blocking the event loop (between retries)."""
        ...


class SystemClock:
    """The real clock: `time.monotonic`, `time.time` and `anyio.sleep`."""

    def monotonic(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Sleep on whichever event loop is running (asyncio or trio)."""
        await anyio.sleep(seconds)


@dataclass(frozen=True)
class RequestOptions:
    """What one call asks of the transport, beyond its method, path and body.

    The caller's options (``extra_headers``, ``extra_query``, ``timeout``, ``max_retries``,
    ``max_rate_limit_retries``, ``retry_read_errors``) sit beside the policy the method
    declares for itself: its ``query`` parameters, whether
    it is sent with credentials (``auth``), how it may be repeated (``retry``) and whether
    its answer is streamed.
    """

    extra_headers: dict[str, str] | None = None
    extra_query: dict[str, Any] | None = None
    timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN
    max_retries: int | NotGiven = NOT_GIVEN
    max_rate_limit_retries: int | NotGiven = NOT_GIVEN
    retry_read_errors: bool | NotGiven = NOT_GIVEN
    stream: bool = False
    query: dict[str, Any] | None = None
    auth: bool = True
    retry: RetryPolicy = "default"


def check_timeout(timeout: object, error: type[Exception]) -> float | httpx.Timeout | None:
    """Return a valid timeout (seconds > 0, an `httpx.Timeout`, or None) or raise ``error``."""
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    raise error(
        f"timeout must be a number of seconds > 0, an httpx.Timeout, or None; not {timeout!r}."
    )


def check_max_retries(
    max_retries: object, error: type[Exception], name: str = "max_retries"
) -> int:
    """Return a valid number of retries (a whole number >= 0) or raise ``error``."""
    if isinstance(max_retries, int) and not isinstance(max_retries, bool) and max_retries >= 0:
        return max_retries
    raise error(f"{name} must be a whole number >= 0, not {max_retries!r}.")


def check_flag(value: object, error: type[Exception], name: str) -> bool:
    """Return ``value`` if it is a bool, or raise ``error`` (``1`` or ``"yes"`` is a mistake)."""
    if isinstance(value, bool):
        return value
    raise error(f"{name} must be True or False, not {value!r}.")
