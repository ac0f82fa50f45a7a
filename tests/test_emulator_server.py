"""The emulator over real sockets: `EmulatorServer` (uvicorn in a thread) and `serve`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from gloo_ai import APIConnectionError, AsyncGloo, ConfigurationError
from gloo_ai.testing import EmulatorServer, GlooEmulator, serve
from gloo_ai.types.chat import ChatCompletionChunk
from tests.conftest import FakeClock

TOKEN = "/oauth2/token"
V2 = "/ai/v2/chat/completions"
MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


@pytest.fixture
def emulator(server: EmulatorServer) -> Iterator[GlooEmulator]:
    server.emulator.reset()
    yield server.emulator
    server.emulator.reset()


def sdk(server: EmulatorServer) -> AsyncGloo:
    return AsyncGloo(
        client_id=GlooEmulator.DEFAULT_CLIENT_ID,
        client_secret=GlooEmulator.DEFAULT_CLIENT_SECRET,
        base_url=server.url,
        _clock=FakeClock(),
    )


async def drain(stream: Any, into: list[ChatCompletionChunk]) -> None:
    async for chunk in stream:
        into.append(chunk)


def test_url_is_a_loopback_port(server: EmulatorServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert int(server.url.rsplit(":", 1)[1]) > 0


@pytest.mark.asyncio
async def test_token_and_stream_over_a_socket(
    server: EmulatorServer, emulator: GlooEmulator
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = await http.post(
            TOKEN,
            data={"grant_type": "client_credentials", "scope": "api/access"},
            auth=(GlooEmulator.DEFAULT_CLIENT_ID, GlooEmulator.DEFAULT_CLIENT_SECRET),
        )
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {"messages": MESSAGES, "auto_routing": True, "stream": True}
        pieces: list[bytes] = []
        async with http.stream("POST", V2, json=body, headers=bearer) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "x-request-id" in response.headers
            assert "content-length" not in response.headers
            async for piece in response.aiter_raw():
                pieces.append(piece)
    events = b"".join(pieces).split(b"\n\n")[:-1]
    assert len(pieces) > 1  # the stream arrived in several reads, one event at a time
    assert len(pieces) == len(events)
    assert b"[DONE]" not in b"".join(pieces)
    last = json.loads(events[-1].removeprefix(b"data: "))
    assert last["choices"][0]["finish_reason"] == "stop"
    assert emulator.counts[TOKEN] == 1
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
async def test_sdk_over_a_socket(server: EmulatorServer, emulator: GlooEmulator) -> None:
    async with sdk(server) as client:
        completion = await client.chat.completions.create(messages=MESSAGES, tradition="catholic")
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        chunks = [chunk async for chunk in stream]
    assert completion.tradition == "catholic"
    assert completion._request_id
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert emulator.counts[TOKEN] == 1


@pytest.mark.asyncio
async def test_drop_mid_stream_over_a_socket_raises_connection_error(
    server: EmulatorServer, emulator: GlooEmulator
) -> None:
    emulator.faults.drop(V2, after_events=2)
    received: list[ChatCompletionChunk] = []
    async with sdk(server) as client:
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(APIConnectionError, match="dropped in the middle of the stream"):
            await drain(stream, received)
    assert len(received) == 2
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
async def test_drop_mid_body_over_a_socket_is_retried_when_opted_in(
    server: EmulatorServer, emulator: GlooEmulator
) -> None:
    emulator.faults.drop(V2)
    async with sdk(server) as client:
        completion = await client.chat.completions.create(messages=MESSAGES, retry_read_errors=True)
    assert completion.choices[0].message.content
    assert emulator.counts[V2] == 2


@pytest.mark.asyncio
async def test_expired_token_over_a_socket(server: EmulatorServer, emulator: GlooEmulator) -> None:
    async with sdk(server) as client:
        await client.chat.completions.create(messages=MESSAGES)
        emulator.expire_tokens()
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 2
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
async def test_hang_over_a_socket_ends_when_the_client_gives_up(
    server: EmulatorServer, emulator: GlooEmulator
) -> None:
    emulator.faults.hang(V2)
    headers = {"Authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}
    body = {"messages": MESSAGES, "auto_routing": True}
    async with httpx.AsyncClient(base_url=server.url) as http:
        with anyio.move_on_after(0.05) as guard:
            await http.post(V2, json=body, headers=headers)
        assert guard.cancelled_caught
        assert (await http.post(V2, json=body, headers=headers)).status_code == 200
    assert emulator.counts[V2] == 2


def test_serve_refuses_a_non_loopback_host() -> None:
    with pytest.raises(ConfigurationError, match="not a loopback address"):
        serve(host="0.0.0.0")
    with pytest.raises(ConfigurationError, match="allow_non_loopback"):
        serve(host="192.168.1.10", port=9999)
    with pytest.raises(ConfigurationError):
        EmulatorServer(host="0.0.0.0")


def test_serve_runs_uvicorn_with_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: seen.append(self.config))
    monkeypatch.setattr(uvicorn.Config, "configure_logging", lambda self: None)  # stay global-free
    emulator = GlooEmulator()
    serve(emulator, host="0.0.0.0", port=8123, allow_non_loopback=True)
    serve(host="localhost")
    serve(host="::1")
    first, *_ = seen
    assert (first.app, first.host, first.port) == (emulator, "0.0.0.0", 8123)
    assert [c.host for c in seen] == ["0.0.0.0", "localhost", "::1"]
    assert isinstance(seen[1].app, GlooEmulator)


def test_missing_uvicorn_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'gloo-ai\[emulator\]'") as info:
        serve()
    assert isinstance(info.value, ImportError)
    with pytest.raises(ImportError, match="uvicorn"):
        EmulatorServer().start()
