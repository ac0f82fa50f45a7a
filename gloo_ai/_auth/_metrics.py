"""Token refresh metrics: `TokenMetrics`, and the recording of every token-endpoint fetch.

`TokenMetrics` is the public counter object (``client.token_metrics``). `RecordedFetch` wraps
the token endpoint's fetch: it counts successes and failures, times the fetch, remembers the
new token's expiry, and then calls the user's ``on_token_refresh`` (whose exceptions are
logged and ignored). Adoptions from a token store and store errors are counted by the store
orchestration in ``_store.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .._config import Clock
from .._hooks import HookSlot
from .._tokens import Token

__all__ = ["RecordedFetch", "TokenMetrics"]

log = logging.getLogger("gloo_ai")


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

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
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
        return self._expires_at - self._clock.monotonic()


class RecordedFetch:
    """A fetch from the token endpoint that updates `TokenMetrics` and notifies the user.

    Args:
        fetch: one token from the endpoint (retries included).
        metrics: where the fetch is counted.
        clock: where the fetch's latency is read.
        on_refresh: called with the metrics after every fetch, successful or not.
        instrumentation: where the observer of token refreshes is found (none: not observed).
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Token]],
        metrics: TokenMetrics,
        *,
        clock: Clock,
        on_refresh: Callable[[TokenMetrics], object] | None,
        instrumentation: HookSlot | None = None,
    ) -> None:
        self._fetch = fetch
        self._instrumentation = instrumentation
        self._metrics = metrics
        self._clock = clock
        self._on_refresh = on_refresh

    async def __call__(self) -> Token:
        slot = self._instrumentation
        if slot is not None and slot.hooks is not None:
            return await slot.hooks.token_refresh(self._record, clock=self._clock)
        return await self._record()

    async def _record(self) -> Token:
        metrics = self._metrics
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
            self._on_refresh(self._metrics)
        except Exception:
            log.exception("on_token_refresh raised; ignoring it")
