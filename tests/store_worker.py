"""A worker process for the multi-process token store tests (run with the "spawn" context).

It imports no pytest: each worker starts an `AsyncGloo` with a shared token store, waits at a
barrier so that all workers start together, and makes one completion against the emulator.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gloo_ai import AsyncGloo
from gloo_ai.stores import FileTokenStore, RedisTokenStore
from gloo_ai.testing import GlooEmulator

BARRIER_TIMEOUT = 60.0  # a hang guard, not a timing assertion


def work(base_url: str, kind: str, where: str, prefix: str, barrier: Any) -> None:
    """Make one completion with a `FileTokenStore` (``where`` is the directory) or a
    `RedisTokenStore` (``where`` is the URL); raise (exit code 1) on any failure."""
    barrier.wait(BARRIER_TIMEOUT)
    asyncio.run(_complete(base_url, kind, where, prefix))


async def _complete(base_url: str, kind: str, where: str, prefix: str) -> None:
    store: FileTokenStore | RedisTokenStore = (
        FileTokenStore(where) if kind == "file" else RedisTokenStore(where, prefix=prefix)
    )
    try:
        async with AsyncGloo(
            client_id=GlooEmulator.DEFAULT_CLIENT_ID,
            client_secret=GlooEmulator.DEFAULT_CLIENT_SECRET,
            base_url=base_url,
            token_store=store,
            max_retries=0,
        ) as client:
            completion = await client.chat.completions.create(
                messages=[{"role": "user", "content": "How can I be joyful in hard times?"}]
            )
            assert completion.choices[0].message.content
            metrics = client.token_metrics
            assert metrics is not None
            assert metrics.store_errors == 0, metrics
    finally:
        if isinstance(store, RedisTokenStore):
            await store.aclose()
