"""Token stores: share one access token between clients, processes and hosts.

Pass one to `AsyncGloo` as ``token_store=``::

    from gloo_ai.stores import FileTokenStore

    client = AsyncGloo(token_store=FileTokenStore())

- `MemoryTokenStore` (the default): this process only.
- `FileTokenStore`: the processes of one machine (CLIs, notebooks, worker pools); POSIX.
- `RedisTokenStore`: a fleet of hosts; needs ``pip install 'gloo-ai[redis]'``.

Or write your own `TokenStore`. Importing this module does not import redis.
"""

from __future__ import annotations

from .._tokens import MemoryTokenStore, StoredToken, TokenStore
from ._file import FileTokenStore
from ._redis import RedisTokenStore

__all__ = [
    "FileTokenStore",
    "MemoryTokenStore",
    "RedisTokenStore",
    "StoredToken",
    "TokenStore",
]
