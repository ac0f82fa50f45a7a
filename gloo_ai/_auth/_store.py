"""The token-store orchestration behind a client's in-memory token.

`SharedToken` gets a token for the flow when its memory copy is stale: it adopts a fresh one
from the `TokenStore` (one another client, process or host fetched), or else takes the store's
lock, reads again, and only then fetches from the token endpoint and writes the new token
back, so that everyone who shares the store makes one token request. After a 401 it deletes
the refused token from the store (if it is still there) and never adopts it again. A failing
store call is counted, logged by its exception type only (a message could quote a URL with a
password) and bypassed: it never fails a request. Every store call (get, set, delete, taking
and releasing the lock) is bounded by ``timeout`` seconds: a store that hangs is bypassed the
same way. A `ConfigurationError` is not a failure of the store but of its setup, and is
raised.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

import anyio

from .._config import DEFAULT_TOKEN_STORE_TIMEOUT, Clock
from .._exceptions import ConfigurationError
from .._tokens import StoredToken, Token, TokenStore
from ._metrics import TokenMetrics

__all__ = ["SharedToken"]

_T = TypeVar("_T")

log = logging.getLogger("gloo_ai")


class SharedToken:
    """Tokens from a `TokenStore`, else from ``fetch`` under the store's lock.

    Args:
        store: the shared store.
        key: the client's key in it (`store_key`).
        clock: the monotonic clock of in-memory tokens and the wall clock of stored ones.
        metrics: where adoptions and store errors are counted.
        fetch: one token from the token endpoint (recorded in the metrics).
        timeout: seconds each store call may take before it is bypassed.
    """

    def __init__(
        self,
        store: TokenStore,
        key: str,
        *,
        clock: Clock,
        metrics: TokenMetrics,
        fetch: Callable[[], Awaitable[Token]],
        timeout: float = DEFAULT_TOKEN_STORE_TIMEOUT,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.key = key
        self._clock = clock
        self._metrics = metrics
        self._fetch = fetch
        self._rejected: str | None = None  # the value of the last token the API refused

    def __repr__(self) -> str:
        return f"SharedToken(store={self.store!r})"

    async def obtain(
        self, buffer: float, *, failed: Token | None = None, current: Token | None = None
    ) -> Token:
        """A fresh token from the store, else from the token endpoint under the store's lock.

        ``buffer``: the refresh buffer a stored token must be fresh outside of. ``failed``: a
        token the API just refused (401); it is deleted from the store and never adopted.
        ``current``: a still-valid token being refreshed ahead; the store's copy of that same
        token is not adopted (only a newer one someone else stored).
        """
        store, key = self.store, self.key
        if failed is not None:
            self._rejected = failed.value
            await self._call("delete", lambda: store.delete(key, failed.value))
        skip = current.value if current is not None else None
        token = await self._adopt(buffer, skip)
        if token is not None:
            return token
        lock: AbstractAsyncContextManager[None] = store.lock(key)
        try:
            with anyio.fail_after(self.timeout):
                await lock.__aenter__()
        except ConfigurationError:
            raise
        except Exception as exc:  # TimeoutError included: the lock took too long
            self._failed("lock", exc)
            return await self._fetch_and_store()
        try:
            token = await self._adopt(buffer, skip)  # another process may have refreshed
            if token is None:
                token = await self._fetch_and_store()
        except BaseException as exc:
            await self._release(lock, exc)
            raise
        await self._release(lock, None)
        return token

    async def _adopt(self, buffer: float, skip: str | None) -> Token | None:
        stored = await self._call("get", lambda: self.store.get(self.key))
        if stored is None or stored.access_token in (self._rejected, skip):
            return None
        wall = self._clock.time()
        if not stored.is_fresh(wall, buffer):
            return None
        log.debug(
            "Using an access token from %r; it expires in %.0f s",
            self.store,
            stored.expires_at - wall,
        )
        self._metrics.adopted += 1
        expires_at = self._clock.monotonic() + (stored.expires_at - wall)
        self._metrics._expires_at = expires_at
        return Token(stored.access_token, expires_at, stored.lifetime)

    async def _fetch_and_store(self) -> Token:
        token = await self._fetch()
        stored = StoredToken(
            token.value,
            self._clock.time() + (token.expires_at - self._clock.monotonic()),
            token.lifetime,
        )
        await self._call("set", lambda: self.store.set(self.key, stored))
        return token

    async def _release(
        self, lock: AbstractAsyncContextManager[None], exc: BaseException | None
    ) -> None:
        try:
            with anyio.fail_after(self.timeout):
                if exc is None:
                    await lock.__aexit__(None, None, None)
                else:
                    await lock.__aexit__(type(exc), exc, exc.__traceback__)
        except Exception as error:
            if error is not exc:
                self._failed("unlock", error)

    async def _call(self, what: str, call: Callable[[], Awaitable[_T]]) -> _T | None:
        try:
            with anyio.fail_after(self.timeout):
                return await call()
        except ConfigurationError:
            raise
        except Exception as exc:
            self._failed(what, exc)
            return None

    def _failed(self, what: str, exc: Exception) -> None:
        self._metrics.store_errors += 1
        if isinstance(exc, TimeoutError):
            log.warning(
                "The token store %r took longer than %.1f s (in %s); going on without it",
                self.store,
                self.timeout,
                what,
            )
            return
        # The exception's type only: a message could quote a URL with a password.
        log.warning(
            "The token store %r failed (%s in %s); going on without it",
            self.store,
            type(exc).__name__,
            what,
        )
