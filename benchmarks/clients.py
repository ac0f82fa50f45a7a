"""The clients under test, behind one small interface: ``complete()`` and ``stream()``.

Each sends the same request (one user message, an explicit model) to the bench server and
reads the whole answer: the raw httpx floor decodes the JSON (a user needs the data), and
reads a stream line by line with ``json.loads`` per event; the SDKs return their models.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import httpx

from gloo_ai.types.chat import ChatCompletion

from .server import API_KEY, CLIENT_ID, CLIENT_SECRET, COMPLETIONS_PATH

MODEL = "gloo-openai-gpt-5-mini"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "How can I be joyful in hard times?"}]
# The SDK's own default, so that the floor and AsyncGloo differ only in the SDK's layers.
SDK_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100, keepalive_expiry=30)


class _ReleasingStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


class LimitedTransport(httpx.AsyncBaseTransport):
    """A concurrency limiter in front of httpx's pool: at most ``limit`` requests reach it.

    Requests beyond the limit wait on an asyncio semaphore (O(1) each) instead of in
    httpcore's queue, which the pool rescans on every change.
    """

    def __init__(self, limit: int, limits: httpx.Limits) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=limits)
        self._semaphore = asyncio.Semaphore(limit)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._semaphore.acquire()
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            self._semaphore.release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ReleasingStream(response.stream, self._semaphore.release)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class BenchClient(Protocol):
    """What the runner drives."""

    name: str

    async def complete(self, query: dict[str, str] | None = None) -> None:
        """Send one completion request and read the answer."""

    async def stream(self, query: dict[str, str] | None = None) -> int:
        """Read one whole stream; return the number of chunks."""

    async def aclose(self) -> None:
        """Close the connection pool."""


class RawHttpx:
    """The floor: ``httpx.AsyncClient`` with a hand-set bearer header."""

    def __init__(self, url: str, *, limits: httpx.Limits = SDK_LIMITS, name: str = "httpx") -> None:
        self.name = name
        self.http = httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {API_KEY}"},
            limits=limits,
            timeout=httpx.Timeout(180.0, connect=10.0),
        )
        self.body = json.dumps({"messages": MESSAGES, "model": MODEL, "auto_routing": False})
        self.stream_body = json.dumps(
            {"messages": MESSAGES, "model": MODEL, "auto_routing": False, "stream": True}
        )
        self.headers = {"Content-Type": "application/json"}

    async def complete(self, query: dict[str, str] | None = None) -> None:
        response = await self.http.post(
            COMPLETIONS_PATH, content=self.body, headers=self.headers, params=query
        )
        response.raise_for_status()
        response.json()

    async def stream(self, query: dict[str, str] | None = None) -> int:
        n = 0
        async with self.http.stream(
            "POST", COMPLETIONS_PATH, content=self.stream_body, headers=self.headers, params=query
        ) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    json.loads(line[5:])
                    n += 1
        return n

    async def aclose(self) -> None:
        await self.http.aclose()


class Gloo:
    """``AsyncGloo`` with an API key (or client credentials)."""

    def __init__(
        self,
        url: str,
        *,
        credentials: bool = False,
        http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        name: str | None = None,
    ) -> None:
        from gloo_ai import AsyncGloo

        if credentials:
            self.client = AsyncGloo(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                base_url=url,
                http_client=http_client,
                transport=transport,
            )
        else:
            self.client = AsyncGloo(
                api_key=API_KEY, base_url=url, http_client=http_client, transport=transport
            )
        self.name = name or ("gloo_cc" if credentials else "gloo")
        self.http_client = http_client

    async def complete(self, query: dict[str, str] | None = None) -> None:
        await self.client.chat.completions.create(messages=MESSAGES, model=MODEL, extra_query=query)

    async def stream(self, query: dict[str, str] | None = None) -> int:
        n = 0
        stream = await self.client.chat.completions.create(
            messages=MESSAGES, model=MODEL, stream=True, extra_query=query
        )
        assert not isinstance(stream, ChatCompletion)
        async for _ in stream:
            n += 1
        return n

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.http_client is not None:
            await self.http_client.aclose()


class OpenAI:
    """The official ``openai.AsyncOpenAI`` at ``<server>/ai/v2``."""

    def __init__(self, url: str) -> None:
        import openai

        self.name = "openai"
        self.stream_type = openai.AsyncStream
        self.client = openai.AsyncOpenAI(api_key=API_KEY, base_url=f"{url}/ai/v2")

    async def complete(self, query: dict[str, str] | None = None) -> None:
        await self.client.chat.completions.create(
            messages=MESSAGES,  # type: ignore[arg-type]
            model=MODEL,
            extra_body={"auto_routing": False},
            extra_query=query,
        )

    async def stream(self, query: dict[str, str] | None = None) -> int:
        n = 0
        stream = await self.client.chat.completions.create(
            messages=MESSAGES,  # type: ignore[arg-type]
            model=MODEL,
            extra_body={"auto_routing": False},
            extra_query=query,
            stream=True,
        )
        assert isinstance(stream, self.stream_type)
        async for _ in stream:
            n += 1
        return n

    async def aclose(self) -> None:
        await self.client.close()


class RawAiohttp:
    """The aiohttp floor: one ``aiohttp.ClientSession`` (1,000 connections, as AsyncGloo's)."""

    def __init__(self, url: str) -> None:
        self.name = "aiohttp"
        self.url = url + COMPLETIONS_PATH
        self.session: Any = None
        self.body = json.dumps({"messages": MESSAGES, "model": MODEL, "auto_routing": False})
        self.stream_body = json.dumps(
            {"messages": MESSAGES, "model": MODEL, "auto_routing": False, "stream": True}
        )
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}

    def _session(self) -> Any:
        if self.session is None:
            import aiohttp

            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=1000, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=180),
            )
        return self.session

    async def complete(self, query: dict[str, str] | None = None) -> None:
        async with self._session().post(
            self.url, data=self.body, headers=self.headers, params=query
        ) as response:
            response.raise_for_status()
            json.loads(await response.read())

    async def stream(self, query: dict[str, str] | None = None) -> int:
        n = 0
        async with self._session().post(
            self.url, data=self.stream_body, headers=self.headers, params=query
        ) as response:
            response.raise_for_status()
            async for line in response.content:
                if line.startswith(b"data:"):
                    json.loads(line[5:])
                    n += 1
        return n

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


def gloo_stock(url: str) -> Gloo:
    """``AsyncGloo`` on httpx with httpcore's stock pool (the default before the linear one)."""
    http = httpx.AsyncClient(limits=SDK_LIMITS, follow_redirects=False)
    return Gloo(url, http_client=http, name="gloo_stock")


FACTORIES: dict[str, Callable[[str], BenchClient]] = {
    "httpx": lambda url: RawHttpx(url),
    "gloo": lambda url: Gloo(url),
    "gloo_stock": gloo_stock,
    "gloo_aiohttp": lambda url: Gloo(url, transport="aiohttp", name="gloo_aiohttp"),
    "aiohttp": RawAiohttp,
    "gloo_cc": lambda url: Gloo(url, credentials=True),
    "openai": lambda url: OpenAI(url),
}
