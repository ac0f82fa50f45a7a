"""Waiting for a store's lock: poll with capped, jittered backoff; stop early for a new token."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable

import anyio

from .._tokens import StoredToken

__all__ = ["acquire_or_new_token"]


async def acquire_or_new_token(
    try_acquire: Callable[[], Awaitable[bool]],
    read: Callable[[], Awaitable[StoredToken | None]],
    *,
    first_delay: float,
    max_delay: float,
    give_up_after: float,
    what: str,
) -> bool:
    """Take a lock by polling ``try_acquire``; True once held.

    Returns False without the lock as soon as ``read`` shows a token other than the one
    stored when the wait began (someone else has refreshed; the caller reads it). Raises
    `TimeoutError` after ``give_up_after`` seconds of waiting (the caller then refreshes
    without the lock).
    """
    if await try_acquire():
        return True
    before = await read()
    started = time.monotonic()
    delay = first_delay
    rng = random.Random()
    while True:
        await anyio.sleep(delay * (0.5 + 0.5 * rng.random()))
        if await try_acquire():
            return True
        now = await read()
        if (
            now is not None
            and (before is None or now.access_token != before.access_token)
            and now.expires_at > time.time()
        ):
            return False
        if time.monotonic() - started > give_up_after:
            raise TimeoutError(f"gave up waiting for the {what} after {give_up_after:.0f} s")
        delay = min(delay * 2.0, max_delay)
