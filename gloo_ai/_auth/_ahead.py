"""Refresh ahead: the background loop that keeps a client's token fresh before it is needed.

`RefreshAhead.run` fetches a token at once, then refreshes it at a jittered point before its
refresh window (`ahead_delay`), so that a fleet of clients does not hit the token endpoint in
the same second and no request waits on a refresh. A failed refresh keeps the still-valid
token and is retried after capped, jittered backoff (`failure_backoff`); nothing but
cancellation leaves the loop. The locked swap of the token itself belongs to the flow, which
owns the cache and its lock; this module only decides when.
"""

from __future__ import annotations

import logging
import random
from typing import Protocol

import anyio.lowlevel

from .._config import MIN_REFRESH_INTERVAL, Clock
from .._tokens import Token
from .._tokens import refresh_buffer as refresh_window

__all__ = ["RefreshAhead", "Refreshable", "ahead_delay", "failure_backoff"]

log = logging.getLogger("gloo_ai")


class Refreshable(Protocol):
    """What the loop needs from the flow (`ClientCredentialsAuth`)."""

    refresh_buffer: float

    def _cached(self) -> Token | None:
        """The cached token, fresh or not."""
        ...

    def _fresh(self) -> Token | None:
        """The cached token if it is outside its refresh window."""
        ...

    async def get_token(self) -> Token:
        """A fresh token, fetched (once for all waiters) if needed."""
        ...

    async def _refresh_ahead_once(self, token: Token) -> None:
        """Replace ``token`` with a new one, unless it was replaced meanwhile."""
        ...


def ahead_delay(token: Token, now: float, buffer: float, jitter: float) -> float:
    """Seconds to wait: 50% to 80% (``jitter`` in [0, 1)) of the time left before the window,
    but never less than `MIN_REFRESH_INTERVAL` (a token that lives 10 ms does not make the
    loop hammer the token endpoint)."""
    stale_at = token.expires_at - refresh_window(buffer, token.lifetime)
    remaining = max(0.0, stale_at - now)
    return max(remaining * (0.5 + 0.3 * jitter), MIN_REFRESH_INTERVAL)


def failure_backoff(failures: int, jitter: float) -> float:
    """Seconds to wait after ``failures`` failed refreshes in a row: 2^(n-1), at most 60, jittered
    down by up to half (``jitter`` in [0, 1))."""
    return min(2.0 ** (failures - 1), 60.0) * (0.5 + 0.5 * jitter)


class RefreshAhead:
    """The refresh-ahead loop of one flow, with its own random source for the jitter."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._random = random.Random()

    async def run(self, flow: Refreshable) -> None:
        """Keep the flow's token fresh until cancelled (its `refresh_ahead`)."""
        failures = 0
        fetched = False  # the last pass fetched a token, which may have been stale at once
        while True:
            await anyio.lowlevel.checkpoint()  # never spin without yielding
            try:
                token = flow._cached()
                if token is None or flow._fresh() is None:
                    if fetched:  # a token stale on arrival (a tiny expires_in): do not spin
                        await self._clock.sleep(MIN_REFRESH_INTERVAL)
                    fetched = True
                    await flow.get_token()
                else:
                    fetched = False
                    if not failures:  # after a failure, retry as soon as the backoff ends
                        await self._clock.sleep(
                            ahead_delay(
                                token,
                                self._clock.monotonic(),
                                flow.refresh_buffer,
                                self._random.random(),
                            )
                        )
                    await flow._refresh_ahead_once(token)
                failures = 0
            except Exception as exc:
                failures += 1
                delay = failure_backoff(failures, self._random.random())
                log.warning(
                    "Refreshing the access token ahead of expiry failed (%s); keeping the "
                    "current token and retrying in %.1f s",
                    type(exc).__name__,
                    delay,
                )
                await self._clock.sleep(delay)
