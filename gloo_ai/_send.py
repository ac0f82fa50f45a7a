"""Sending one request straight through a transport, without httpx's client around it.

httpx's ``AsyncClient.send`` wraps each request in layers the SDK does not use on a client it
built itself: redirects (off), event hooks (none), a transport chosen per URL for proxies
(none: the aiohttp client it builds ignores the environment), an elapsed-time timer (which
asks sniffio for the running library twice per request) and a log line (the SDK writes its
own); docs/performance.md has what leaving them out saves on the aiohttp transport.
`send_direct` keeps what the SDK relies on, as httpx does it: the
auth flow (its 401 replay included), the cookie store (answers' cookies are kept; like
``AsyncClient.send`` with a request built outside the client, none are sent), and a
response whose ``aclose()`` closes the transport's stream.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import httpx

from ._auth import ApiKeyAuth

__all__ = ["send_direct"]


def send_direct(
    transport: httpx.AsyncBaseTransport,
    request: httpx.Request,
    *,
    auth: httpx.Auth | None,
    cookies: httpx.Cookies,
) -> Coroutine[Any, Any, httpx.Response]:
    """Send ``request`` through ``transport``, running ``auth``'s flow as httpx's client does:
    await the result for the response.

    The response is unread unless the transport read it (its body streams), like
    ``AsyncClient.send(stream=True)``. Without auth, or with an API key (whose flow is one
    header), the sending coroutine is returned as it is: no frame of its own.
    """
    if auth is None:
        return _send_one(transport, request, cookies)
    if isinstance(auth, ApiKeyAuth):
        return _send_one(transport, auth.authorize(request), cookies)
    return _send_with_flow(transport, request, auth, cookies)


async def _send_with_flow(
    transport: httpx.AsyncBaseTransport,
    request: httpx.Request,
    auth: httpx.Auth,
    cookies: httpx.Cookies,
) -> httpx.Response:
    """Run ``auth``'s flow: send each request it yields, give it each response, until it
    ends; a response it answers with another request is read (and closed) first."""
    if auth.requires_request_body:
        await request.aread()
    flow = auth.async_auth_flow(request)
    try:
        request = await flow.__anext__()
        while True:
            response = await _send_one(transport, request, cookies)
            try:
                try:
                    next_request = await flow.asend(response)
                except StopAsyncIteration:
                    return response
                await response.aread()
                request = next_request
            except BaseException:
                await response.aclose()
                raise
    finally:
        await flow.aclose()


async def _send_one(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, cookies: httpx.Cookies
) -> httpx.Response:
    response = await transport.handle_async_request(request)
    response.request = request
    cookies.extract_cookies(response)  # the SDK's store skips answers without a cookie
    return response
