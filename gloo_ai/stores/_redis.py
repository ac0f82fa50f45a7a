"""`RedisTokenStore`: one token per key in Redis, and a lock that expires if its holder dies.

redis-py (``pip install 'gloo-ai[redis]'``) is imported when a store is created, never when
``gloo_ai`` is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import anyio

from .._exceptions import ConfigurationError
from .._tokens import StoredToken
from ._wait import acquire_or_new_token

__all__ = ["SOCKET_TIMEOUT", "RedisTokenStore", "RedisUnavailableError"]

SOCKET_TIMEOUT = 5.0
"""Seconds a client this store builds from a URL waits to connect and for each answer."""

_INSTALL_HINT = (
    "RedisTokenStore needs redis-py, which is not installed. Install it with: "
    "pip install 'gloo-ai[redis]'"
)

# Delete KEYS[1] only if it holds a token whose access_token is ARGV[1].
_DELETE_IF_TOKEN = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, doc = pcall(cjson.decode, raw)
if ok and type(doc) == 'table' and doc['access_token'] == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# Release a lock only if this owner still holds it (it may have expired and been retaken).
_RELEASE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_RELEASE_TIMEOUT = 5.0


class RedisUnavailableError(ConfigurationError, ImportError):
    """redis-py, which `RedisTokenStore` needs, is not installed."""


def _redis_asyncio() -> Any:
    try:
        import redis.asyncio
    except ImportError as exc:
        raise RedisUnavailableError(_INSTALL_HINT) from exc
    return redis.asyncio


class RedisTokenStore:
    """Tokens in Redis, shared by a fleet of workers on many hosts (asyncio only).

    The token is stored as JSON with an expiry at the token's own (``PX``), so Redis drops it
    when it expires. The refresh lock is ``SET <key>:lock <random> NX PX <lock_timeout>``,
    released only by its owner (a Lua compare-and-delete): if the holder dies, the lock
    expires after ``lock_timeout`` seconds and another worker takes over. Waiters poll the
    lock with capped backoff and stop waiting as soon as a new token is stored. Expiry times
    are wall-clock, so the hosts' clocks should agree (NTP) to within the refresh buffer.

    Args:
        client_or_url: a ``redis.asyncio.Redis`` client (yours to close), or a URL such as
            ``redis://localhost:6379/0`` (the store then makes a client per event loop, with
            5 s socket and connect timeouts, and closes it in `aclose`). A client you pass
            should have a ``socket_timeout`` too; the SDK bounds each store call anyway.
        prefix: prepended to every key this store writes.
        lock_timeout: seconds after which a refresh lock expires if its holder has not
            released it; longer than a token request takes (the default 30 s is).

    Raises:
        ConfigurationError: redis-py is not installed (the error is also an `ImportError`),
            or an argument is invalid.
    """

    def __init__(
        self,
        client_or_url: Any,
        *,
        prefix: str = "gloo-ai:token:",
        lock_timeout: float = 30.0,
    ) -> None:
        redis_asyncio = _redis_asyncio()
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)):
            raise ConfigurationError(f"lock_timeout must be seconds > 0, not {lock_timeout!r}.")
        if not (math.isfinite(lock_timeout) and lock_timeout > 0):
            raise ConfigurationError(f"lock_timeout must be seconds > 0, not {lock_timeout!r}.")
        if not isinstance(prefix, str):
            raise ConfigurationError(f"prefix must be a string, not {prefix!r}.")
        self.prefix = prefix
        self.lock_timeout = float(lock_timeout)
        self._url: str | None = None
        self._client: Any = None
        self._owner: tuple[int, object] | None = None
        if isinstance(client_or_url, str):
            if not client_or_url.startswith(("redis://", "rediss://", "unix://")):
                raise ConfigurationError(
                    "RedisTokenStore needs a redis://, rediss:// or unix:// URL or a "
                    "redis.asyncio.Redis client."
                )
            self._url = client_or_url
        elif isinstance(client_or_url, redis_asyncio.Redis):
            self._client = client_or_url
        else:
            raise ConfigurationError(
                "RedisTokenStore needs a redis.asyncio.Redis client or a redis:// URL, not "
                f"{type(client_or_url).__name__} (a synchronous redis.Redis will not do)."
            )

    def __repr__(self) -> str:
        where = ""
        if self._url is not None:
            parts = urlsplit(self._url)  # no user name or password
            where = f"{parts.scheme}://{parts.hostname or ''}"
            where += f":{parts.port}" if parts.port else ""
            where += parts.path
            where = f"url={where!r}, "
        return f"RedisTokenStore({where}prefix={self.prefix!r})"

    def _redis(self) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise ConfigurationError(
                "RedisTokenStore works under asyncio only (redis-py's asyncio client); under "
                "trio, use FileTokenStore or the default in-memory store."
            ) from None
        if self._url is None:
            return self._client
        owner = (os.getpid(), loop)
        if self._client is None or self._owner != owner:
            # A new event loop or a forked process cannot use the old connections.
            # Bounded socket waits: redis-py 5.0 has none by default, so a listener that never
            # answers would stall every token fetch.
            self._client = _redis_asyncio().from_url(
                self._url,
                socket_timeout=SOCKET_TIMEOUT,
                socket_connect_timeout=SOCKET_TIMEOUT,
            )
            self._owner = owner
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def aclose(self) -> None:
        """Close the client this store made from a URL (a client you passed stays open)."""
        if self._url is None:
            return
        client, self._client, self._owner = self._client, None, None
        if client is not None:
            close = getattr(client, "aclose", None) or client.close  # aclose: redis-py 5.0.1+
            await close()

    # -- the TokenStore protocol --------------------------------------------------------------

    async def get(self, key: str) -> StoredToken | None:
        """The stored token for ``key``; ``None`` if there is none or it cannot be parsed."""
        raw = await self._redis().get(self._key(key))
        if raw is None:
            return None
        return StoredToken.from_json(raw)

    async def set(self, key: str, token: StoredToken) -> None:
        """Store ``token`` under ``key``, expiring with it (never later than its lifetime)."""
        ttl = min(token.expires_at - time.time(), token.lifetime)
        milliseconds = int(ttl * 1000)
        if milliseconds <= 0:
            return
        await self._redis().set(self._key(key), token.to_json(), px=milliseconds)

    async def delete(self, key: str, access_token: str) -> None:
        """Delete the token under ``key`` if it is still ``access_token`` (atomically, in Lua)."""
        await self._redis().eval(_DELETE_IF_TOKEN, 1, self._key(key), access_token)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """``SET NX PX`` with a random owner; expires after ``lock_timeout`` if not released.

        A waiter polls with capped backoff, stops waiting (without the lock) once a new token
        is stored, and gives up after twice ``lock_timeout`` (the client then refreshes on
        its own).
        """
        client = self._redis()
        lock_key = self._key(key) + ":lock"
        owner = secrets.token_hex(16)
        px = max(1, int(self.lock_timeout * 1000))

        async def try_acquire() -> bool:
            return bool(await client.set(lock_key, owner, nx=True, px=px))

        held = False
        try:
            held = await acquire_or_new_token(
                try_acquire,
                lambda: self.get(key),
                first_delay=0.01,
                max_delay=min(0.25, self.lock_timeout / 4),
                give_up_after=2 * self.lock_timeout,
                what=f"Redis lock {lock_key!r}",
            )
            yield
        finally:
            if held:
                with anyio.CancelScope(shield=True), anyio.move_on_after(_RELEASE_TIMEOUT):
                    await client.eval(_RELEASE_IF_OWNER, 1, lock_key, owner)
