"""Optional httpx transports for `AsyncGloo`.

- `AiohttpTransport`: sends through aiohttp instead of httpcore (asyncio only); needs
  ``pip install 'gloo-ai[aiohttp]'``. The short form is ``AsyncGloo(transport="aiohttp")``,
  which the client owns and closes; ``AsyncGloo(http_client=aiohttp_client())`` or
  ``AsyncGloo(http_client=httpx.AsyncClient(transport=AiohttpTransport()))`` are for
  settings of your own (you close that client).

Importing this module does not import aiohttp; creating a transport does.
"""

from __future__ import annotations

from ._aiohttp import AiohttpTransport, aiohttp_client

__all__ = ["AiohttpTransport", "aiohttp_client"]
