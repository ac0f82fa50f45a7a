"""Access tokens, and the stores that share them between clients, processes and hosts.

`Token` is the client's in-memory copy: its expiry is on the monotonic clock. `StoredToken`
is what a `TokenStore` keeps: its expiry is wall-clock epoch seconds, because monotonic time
means nothing in another process or on another host.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import anyio

__all__ = [
    "MemoryTokenStore",
    "StoredToken",
    "Token",
    "TokenStore",
    "refresh_buffer",
    "store_key",
]


@dataclass(frozen=True, eq=False)
class Token:
    """An access token and the monotonic time at which it expires.

    The token's value never appears in ``repr()`` or ``str()``. Tokens compare by identity,
    so "is this still the cached token?" asks about this very token.
    """

    value: str = field(repr=False)
    expires_at: float
    lifetime: float

    def needs_refresh(self, now: float, buffer: float) -> bool:
        """Whether the token is expired or inside its refresh window at ``now``."""
        return now >= self.expires_at - refresh_buffer(buffer, self.lifetime)

    def __str__(self) -> str:
        return repr(self)


def refresh_buffer(buffer: float, lifetime: float) -> float:
    """The refresh window for a token: ``buffer``, but never more than half its lifetime.

    A token that lives 60 s with a 60 s buffer would otherwise be stale on arrival and fetched
    again for every call.
    """
    return min(buffer, lifetime / 2.0)


def store_key(token_url: str, client_id: str) -> str:
    """The key under which a client's token is stored: a hash of the token URL and client id.

    The secret is never part of it, and the hash keeps the client id out of file names and
    Redis keys.
    """
    return hashlib.sha256(f"{token_url}\n{client_id}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredToken:
    """An access token as a `TokenStore` keeps it.

    Attributes:
        access_token: the bearer token; never shown in ``repr()`` or ``str()``.
        expires_at: when it expires, in wall-clock seconds since the epoch (``time.time()``),
            so that other processes and hosts can read it.
        lifetime: how long it was valid when issued, in seconds (``expires_in``); the refresh
            buffer is capped at half of it.
    """

    access_token: str = field(repr=False)
    expires_at: float
    lifetime: float

    def __str__(self) -> str:
        return repr(self)

    def is_fresh(self, now: float, buffer: float) -> bool:
        """Whether it is still usable at wall-clock time ``now``, outside its refresh window."""
        return now < self.expires_at - refresh_buffer(buffer, self.lifetime)

    def to_json(self) -> str:
        """Serialize it as a JSON object (this holds the secret token: store it privately)."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "expires_at": self.expires_at,
                "lifetime": self.lifetime,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> StoredToken | None:
        """Parse what `to_json` wrote; anything else (corrupt, truncated) gives ``None``."""
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(doc, dict):
            return None
        value, expires_at, lifetime = (
            doc.get("access_token"),
            doc.get("expires_at"),
            doc.get("lifetime"),
        )
        if not isinstance(value, str) or not value:
            return None
        for number in (expires_at, lifetime):
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                return None
            if not math.isfinite(number):
                return None
        assert isinstance(expires_at, (int, float))
        assert isinstance(lifetime, (int, float))
        if lifetime <= 0:
            return None
        return cls(value, float(expires_at), float(lifetime))


@runtime_checkable
class TokenStore(Protocol):
    """Where clients share access tokens: behind each client's own in-memory copy.

    A client reads its in-memory token first and consults the store only when that is stale:
    it adopts a fresh token from the store, or else takes the store's `lock`, reads again
    (another process may have refreshed meanwhile), and only then asks the token endpoint,
    writing the new token back with `set`. So the processes (or hosts) that share a store
    make one token request between them per expiry.

    Implementations: `MemoryTokenStore` (one process), `FileTokenStore` (one machine),
    `RedisTokenStore` (many hosts). Write your own by providing these four methods. If a
    store method raises, the client logs a warning and fetches the token directly, so a
    store outage never fails a request.
    """

    async def get(self, key: str) -> StoredToken | None:
        """The stored token for ``key``, or ``None`` (missing, expired or unreadable)."""
        ...

    async def set(self, key: str, token: StoredToken) -> None:
        """Store ``token`` under ``key``, replacing any other."""
        ...

    async def delete(self, key: str, access_token: str) -> None:
        """Delete the token under ``key``, but only if it is still ``access_token``.

        Called after the API refused that token (401), so that others stop adopting it;
        a newer token someone else stored meanwhile must stay.
        """
        ...

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """A lock, across everyone who shares the store, held while one refresh happens.

        A store may let a waiter in without the lock once a new token for ``key`` has been
        stored meanwhile (the waiter then reads it); callers must read the store again
        inside the lock before refreshing.
        """
        ...


class MemoryTokenStore:
    """A token store in this process's memory: the default, private to one client.

    Pass one instance to several clients of the same credentials (in one process and one
    event loop) to let them share a token and a single refresh.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, StoredToken] = {}
        self._locks: dict[str, anyio.Lock] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore(tokens={len(self._tokens)})"

    async def get(self, key: str) -> StoredToken | None:
        """The stored token for ``key``, or ``None``."""
        return self._tokens.get(key)

    async def set(self, key: str, token: StoredToken) -> None:
        """Store ``token`` under ``key``."""
        self._tokens[key] = token

    async def delete(self, key: str, access_token: str) -> None:
        """Forget the token under ``key`` if it is still ``access_token``."""
        token = self._tokens.get(key)
        if token is not None and token.access_token == access_token:
            del self._tokens[key]

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """An `anyio.Lock` per key, shared by the clients that use this store."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = anyio.Lock()
        async with lock:
            yield
