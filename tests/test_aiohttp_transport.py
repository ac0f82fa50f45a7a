"""`AiohttpTransport` (the `aiohttp` extra): the default transport's behaviour, on asyncio.

Everything runs against the loopback server (respx does not intercept aiohttp), which counts
connections. Retries sleep on the FakeClock; "released" is measured by connection counts.
The read-timeout test waits for a real (20 ms) socket timeout, since that is what it tests.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio.lowlevel
import httpx
import pytest
import trio

from gloo_ai import (
    APIConnectionError,
    APITimeoutError,
    AsyncGloo,
    AsyncStream,
    BadRequestError,
    ConfigurationError,
)
from gloo_ai.transports import AiohttpTransport, aiohttp_client
from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeClock,
    completion_json,
    gloo_on,
    token_json,
)
from tests.loopback import LoopbackServer, Reply

pytest.importorskip("aiohttp")

FIXTURES = Path(__file__).parent / "fixtures"
PATH = "/ai/v2/chat/completions"
TOKEN_PATH = "/oauth2/token"
MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]
SSE = {"content-type": "text/event-stream"}


def events() -> list[bytes]:
    raw = (FIXTURES / "v2_stream_usage.txt").read_bytes()
    return [part + b"\n\n" for part in raw.split(b"\n\n") if part]


FORM = "owned"


@pytest.fixture(autouse=True, params=["owned", "given"])
def _form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on both forms: ``transport="aiohttp"`` and ``http_client=...``."""
    monkeypatch.setattr(sys.modules[__name__], "FORM", request.param)


def gloo(url: str, clock: FakeClock, **kwargs: Any) -> AbstractAsyncContextManager[AsyncGloo]:
    """An API-key AsyncGloo on aiohttp: ``transport="aiohttp"`` (the client owns it), or an
    `aiohttp_client()` passed as ``http_client`` (closed here); closed on exit."""
    return gloo_on("aiohttp" if FORM == "owned" else "aiohttp_given", url, clock, **kwargs)


async def complete(client: AsyncGloo, **kwargs: object) -> ChatCompletion:
    result = await client.chat.completions.create(messages=MESSAGES, model="m", **kwargs)  # type: ignore[call-overload]
    assert isinstance(result, ChatCompletion)
    return result


async def open_stream(client: AsyncGloo) -> AsyncStream[ChatCompletionChunk]:
    stream = await client.chat.completions.create(messages=MESSAGES, model="m", stream=True)
    assert isinstance(stream, AsyncStream)
    return stream


async def read_into(
    stream: AsyncStream[ChatCompletionChunk], received: list[ChatCompletionChunk]
) -> None:
    async for chunk in stream:
        received.append(chunk)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (in the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


# --- installation ------------------------------------------------------------------------


def test_importing_the_sdk_does_not_import_aiohttp() -> None:
    code = (
        "import sys, gloo_ai, gloo_ai.transports; from gloo_ai import AsyncGloo; "
        "print('aiohttp' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_missing_aiohttp_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'gloo-ai\[aiohttp\]'"):
        AiohttpTransport()


def test_invalid_limit() -> None:
    with pytest.raises(ConfigurationError, match="limit"):
        AiohttpTransport(limit=0)


def test_helper_returns_an_httpx_client() -> None:
    http = aiohttp_client(limit=8)
    assert isinstance(http, httpx.AsyncClient)
    assert isinstance(http._transport, AiohttpTransport)
    assert http.follow_redirects is False


# --- completions ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_completions_reuse_one_connection(loopback: LoopbackServer, clock: FakeClock) -> None:
    loopback.default(PATH, Reply(200, completion_json("Joy."), headers={"x-request-id": "r1"}))
    async with gloo(loopback.url, clock) as client:
        for _ in range(20):
            assert (await complete(client)).choices[0].message.content == "Joy."
        raw = await client.chat.completions.with_raw_response.create(messages=MESSAGES, model="m")
        assert raw.headers["x-request-id"] == "r1"
    assert loopback.connections_opened == 1
    seen = loopback.seen[0]
    assert seen.method == "POST"
    assert seen.headers["authorization"] == "Bearer k"
    assert json.loads(seen.body)["messages"] == MESSAGES
    assert "transfer-encoding" not in seen.headers
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_gzip_body_is_decoded_once(loopback: LoopbackServer, clock: FakeClock) -> None:
    body = gzip.compress(json.dumps(completion_json("Zipped.")).encode())
    loopback.add(PATH, Reply(200, body, headers={"content-encoding": "gzip"}))
    async with gloo(loopback.url, clock) as client:
        assert (await complete(client)).choices[0].message.content == "Zipped."


@pytest.mark.asyncio
async def test_status_error_maps_to_its_class(loopback: LoopbackServer, clock: FakeClock) -> None:
    loopback.add(PATH, Reply(400, {"detail": "bad model"}))
    async with gloo(loopback.url, clock) as client:
        with pytest.raises(BadRequestError, match="bad model"):
            await complete(client)
        loopback.add(PATH, Reply(200, completion_json()))
        await complete(client)
    assert loopback.connections_opened == 1


@pytest.mark.asyncio
async def test_503_twice_then_success(loopback: LoopbackServer, clock: FakeClock) -> None:
    unavailable = Reply(503, {"error": "busy"})
    loopback.add(PATH, unavailable, unavailable, Reply(200, completion_json("Finally.")))
    async with gloo(loopback.url, clock) as client:
        assert (await complete(client)).choices[0].message.content == "Finally."
    assert loopback.count(PATH) == 3
    assert len(clock.sleeps) == 2
    assert loopback.connections_opened == 1


@pytest.mark.asyncio
async def test_body_dropped_midway_is_retried_when_opted_in(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(PATH, Reply(200, completion_json("lost"), drop_after=0))
    loopback.add(PATH, Reply(200, completion_json("Second.")))
    async with gloo(loopback.url, clock, retry_read_errors=True) as client:
        assert (await complete(client)).choices[0].message.content == "Second."
    assert loopback.count(PATH) == 2
    assert len(clock.sleeps) == 1


@pytest.mark.asyncio
async def test_body_always_dropped_raises_connection_error(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, completion_json(), drop_after=0))
    async with gloo(loopback.url, clock, max_retries=2, retry_read_errors=True) as client:
        with pytest.raises(APIConnectionError) as info:
            await complete(client)
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert loopback.count(PATH) == 3
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_refused_connection_raises_connection_error(
    closed_port: int, clock: FakeClock
) -> None:
    async with gloo(f"http://127.0.0.1:{closed_port}", clock, max_retries=1) as client:
        with pytest.raises(APIConnectionError) as info:
            await complete(client)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(clock.sleeps) == 1


@pytest.mark.asyncio
async def test_read_timeout_raises_timeout_error(silent_port: int, clock: FakeClock) -> None:
    async with gloo(f"http://127.0.0.1:{silent_port}", clock, max_retries=1) as client:
        with pytest.raises(APITimeoutError) as info:
            await complete(client, timeout=httpx.Timeout(5.0, read=0.02))
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert clock.sleeps == []  # a completion that was sent is not sent again by default


# --- streams -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_streams_read_to_the_end_reuse_one_connection(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, chunks=events(), headers=SSE))
    async with gloo(loopback.url, clock) as client:
        for _ in range(20):
            stream = await open_stream(client)
            chunks = [chunk async for chunk in stream]
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert text.startswith("Joy is")
            assert stream.response.is_closed
    assert loopback.connections_opened == 1
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_stream_dropped_midway_raises_connection_error(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(PATH, Reply(200, chunks=events(), drop_after=2, headers=SSE))
    async with gloo(loopback.url, clock) as client:
        stream = await open_stream(client)
        received: list[ChatCompletionChunk] = []
        with pytest.raises(APIConnectionError) as info:
            await read_into(stream, received)
        assert len(received) == 2
        assert not isinstance(info.value, APITimeoutError)
        assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
        assert stream.response.is_closed
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_stream_closed_early_releases_its_connection(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, chunks=events(), headers=SSE))
    async with gloo(loopback.url, clock) as client:
        stream = await open_stream(client)
        async with stream:
            async for _ in stream:
                break
        assert stream.response.is_closed
        assert loopback.wait_closed(open_at_most=1) <= 1
        # An abandoned connection is closed, unless aiohttp had already received the whole
        # body (then it went back to the pool): either way the next call works.
        assert (await complete_stream(client)) > 0
        assert loopback.connections_opened <= 2
    assert loopback.wait_closed() == 0


async def complete_stream(client: AsyncGloo) -> int:
    return len([chunk async for chunk in await open_stream(client)])


@pytest.mark.asyncio
async def test_a_stream_held_open_after_its_last_chunk_ends_and_closes_its_connection(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(PATH, Reply(200, chunks=events(), headers=SSE, hold_open=True))
    loopback.default(PATH, Reply(200, chunks=events(), headers=SSE))
    async with gloo(loopback.url, clock) as client:
        stream = await client.chat.completions.create(
            messages=MESSAGES, model="m", stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
        assert chunks[-1].usage is not None
        await anyio.lowlevel.checkpoint()  # asyncio closes the transport on the next turn
        assert loopback.wait_closed() == 0  # the held connection was closed, not pooled
        assert (await complete_stream(client)) > 0
        assert loopback.connections_opened == 2
    assert loopback.wait_closed() == 0


# --- token flow ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_one_token_request_for_50_concurrent_calls(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(TOKEN_PATH, Reply(200, token_json("tok-aio")))
    loopback.default(PATH, Reply(200, completion_json()))
    async with gloo(
        loopback.url, clock, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as client:
        await asyncio.gather(*(complete(client) for _ in range(50)))
    assert loopback.count(TOKEN_PATH) == 1
    assert loopback.count(PATH) == 50
    calls = [s for s in loopback.seen if s.path == PATH]
    assert {s.headers["authorization"] for s in calls} == {"Bearer tok-aio"}
    assert loopback.wait_closed() == 0


# --- event loops ---------------------------------------------------------------------------


def test_trio_is_refused_clearly(loopback: LoopbackServer) -> None:
    loopback.default(PATH, Reply(200, completion_json()))

    async def main() -> None:
        http = aiohttp_client()
        client = AsyncGloo(api_key="k", base_url=loopback.url, http_client=http)
        try:
            with pytest.raises(ConfigurationError, match=r"asyncio only.*trio"):
                await complete(client)
        finally:
            await client.aclose()
            await http.aclose()

    trio.run(main)
    assert loopback.count(PATH) == 0


def test_a_second_event_loop_is_refused_clearly(loopback: LoopbackServer) -> None:
    loopback.default(PATH, Reply(200, completion_json()))
    transport = AiohttpTransport()
    request = httpx.Request("GET", loopback.url + PATH)

    async def first() -> None:
        response = await transport.handle_async_request(request)
        await response.aread()
        await response.aclose()

    async def second() -> None:
        with pytest.raises(ConfigurationError, match="another event loop"):
            await transport.handle_async_request(request)
        # Closing it on the wrong loop is not possible; forget it quietly instead.

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(first())
        asyncio.run(second())
        loop.run_until_complete(transport.aclose())
    finally:
        loop.close()
    assert loopback.wait_closed() == 0


# --- AsyncGloo(transport="aiohttp") -------------------------------------------------------


def _session(client: AsyncGloo) -> Any:
    return client._transport.state._http._transport._session  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_the_client_owns_and_closes_its_aiohttp_session(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, completion_json()))
    client = AsyncGloo(api_key="k", base_url=loopback.url, transport="aiohttp", _clock=clock)
    await complete(client)
    session = _session(client)
    assert session.connector.limit == 1000  # the default transport's max_connections
    copy = client.with_options(max_retries=0)
    await complete(copy)  # the same session
    assert _session(copy) is session
    await client.aclose()
    assert session.closed
    assert client.is_closed
    assert loopback.wait_closed() == 0
    assert loopback.connections_opened == 1


def test_the_default_limit_is_the_default_transports() -> None:
    assert AiohttpTransport()._limit == 1000
    assert aiohttp_client()._transport._limit == 1000  # type: ignore[attr-defined]


def test_transport_is_checked_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match=r"transport must be one of 'httpx', 'aiohttp'"):
        AsyncGloo(api_key="k", transport="curl")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="either transport= or http_client="):
        AsyncGloo(api_key="k", transport="aiohttp", http_client=httpx.AsyncClient())
    default = AsyncGloo(api_key="k", transport="httpx")
    assert not isinstance(default._transport.state._http._transport, AiohttpTransport)


def test_transport_aiohttp_without_aiohttp_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'gloo-ai\[aiohttp\]'"):
        AsyncGloo(api_key="k", transport="aiohttp")


def test_transport_aiohttp_under_trio_is_refused_clearly(loopback: LoopbackServer) -> None:
    loopback.default(PATH, Reply(200, completion_json()))

    async def main() -> None:
        async with AsyncGloo(api_key="k", base_url=loopback.url, transport="aiohttp") as client:
            with pytest.raises(ConfigurationError, match=r"asyncio only.*trio"):
                await complete(client)

    trio.run(main)
    assert loopback.count(PATH) == 0


def test_a_module_level_aiohttp_client_works_across_two_asyncio_runs(
    loopback: LoopbackServer, recwarn: pytest.WarningsRecorder
) -> None:
    loopback.default(PATH, Reply(200, completion_json()))
    client = AsyncGloo(api_key="k", base_url=loopback.url, transport="aiohttp")

    async def call() -> Any:
        await complete(client)
        return _session(client)

    first = asyncio.run(call())
    second = asyncio.run(call())  # a new session; the first one's socket closed directly
    assert first is not second
    assert first.closed
    assert client._transport.state.rebinds == 1
    asyncio.run(client.aclose())
    assert second.closed
    assert loopback.count(PATH) == 2
    assert loopback.wait_closed() == 0
    gc.collect()
    assert not [w for w in recwarn if "Unclosed" in str(w.message)]


def test_the_configuration_pages_aiohttp_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import ast
    import contextlib
    import io
    import re

    from gloo_ai.testing import EmulatorServer, GlooEmulator

    page = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text("utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    (block,) = [b for b in blocks if 'transport="aiohttp"' in b]
    out = io.StringIO()
    with EmulatorServer(GlooEmulator()) as running:
        monkeypatch.setenv("GLOO_BASE_URL", running.url)
        monkeypatch.setenv("GLOO_API_KEY", GlooEmulator.DEFAULT_API_KEY)
        code = compile(block, "configuration.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        with contextlib.redirect_stdout(out):
            asyncio.run(eval(code, {"__name__": "docs_example"}))
    assert out.getvalue().strip()
