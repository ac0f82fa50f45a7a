"""Optional httpx transports for `AsyncGloo`.

- `AiohttpTransport`: sends through aiohttp instead of httpcore (asyncio only); needs
  ``pip install 'gloo-ai[aiohttp]'``. Use it as
  ``AsyncGloo(http_client=httpx.AsyncClient(transport=AiohttpTransport()))`` or, shorter,
  ``AsyncGloo(http_client=aiohttp_client())``.

Importing this module does not import aiohttp; creating a transport does.
"""

from __future__ import annotations

from ._aiohttp import AiohttpTransport, aiohttp_client

__all__ = ["AiohttpTransport", "aiohttp_client"]
