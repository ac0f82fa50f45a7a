"""examples/fastapi_app: one shared client, JSON and SSE endpoints, and a browser that leaves.

The app runs in-process (httpx's ASGI transport, or its ASGI callable driven directly so that
the browser can disconnect mid-stream); the Gloo API is the emulator served on a loopback
port, or a LoopbackServer that counts the connections it holds open.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import httpx
import pytest

from gloo_ai import AsyncGloo
from gloo_ai.testing import EmulatorServer, GlooEmulator

from .loopback import LoopbackServer, Reply

APP_FILE = Path(__file__).parent.parent / "examples" / "fastapi_app" / "app.py"
COMPLETIONS = "/ai/v2/chat/completions"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gloo_fastapi_example", APP_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations there
    spec.loader.exec_module(module)
    return module


example = _load_example()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No GLOO_* variable from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("GLOO_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def served() -> Iterator[tuple[GlooEmulator, str]]:
    emulator = GlooEmulator()
    with EmulatorServer(emulator) as server:
        yield emulator, server.url


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _client_credentials(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("GLOO_BASE_URL", url)
    monkeypatch.setenv("GLOO_CLIENT_ID", GlooEmulator.DEFAULT_CLIENT_ID)
    monkeypatch.setenv("GLOO_CLIENT_SECRET", GlooEmulator.DEFAULT_CLIENT_SECRET)


def _events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, data) of each SSE event; the name is "message" when none is given."""
    events = []
    for block in body.strip().split("\n\n"):
        name, data = "message", ""
        for line in block.splitlines():
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data = value
        events.append((name, json.loads(data)))
    return events


@pytest.mark.asyncio
async def test_fifty_concurrent_questions_make_one_token_request(
    clean_env: pytest.MonkeyPatch, served: tuple[GlooEmulator, str]
) -> None:
    emulator, url = served
    _client_credentials(clean_env, url)
    async with example.app.router.lifespan_context(example.app):
        client = example.app.state.gloo
        assert isinstance(client, AsyncGloo)
        assert client.auth_mode == "client_credentials"
        transport = httpx.ASGITransport(app=example.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            answers = await asyncio.gather(
                *(http.post("/ask", json={"question": f"Question {i}?"}) for i in range(50))
            )
    assert client.is_closed  # the lifespan closed it on shutdown
    assert [answer.status_code for answer in answers] == [200] * 50
    for answer in answers:
        body = answer.json()
        assert body["answer"]
        assert body["model"]
        assert body["usage"]["total_tokens"] > 0
    assert emulator.counts["/oauth2/token"] == 1
    assert emulator.counts[COMPLETIONS] == 50


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_stream_relays_the_answer_as_sse(
    method: str, clean_env: pytest.MonkeyPatch, served: tuple[GlooEmulator, str]
) -> None:
    emulator, url = served
    _client_credentials(clean_env, url)
    question = "How can I be joyful?"
    async with example.app.router.lifespan_context(example.app):
        transport = httpx.ASGITransport(app=example.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            if method == "GET":
                streamed = await http.get("/ask/stream", params={"question": question})
            else:
                streamed = await http.post("/ask/stream", json={"question": question})
            whole = await http.post("/ask", json={"question": question})
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.headers["cache-control"] == "no-cache"
    events = _events(streamed.text)
    assert events[-1] == ("done", {})
    deltas = [data["delta"] for name, data in events[:-1] if name == "message"]
    assert len(deltas) > 1
    assert "".join(deltas) == whole.json()["answer"]  # the emulator's answers are deterministic
    assert emulator.counts["/oauth2/token"] == 1


@pytest.mark.asyncio
async def test_a_rate_limit_becomes_a_429_with_retry_after(
    gloo_emulator: GlooEmulator,
) -> None:
    gloo_emulator.faults.rate_limit(COMPLETIONS, retry_after=7.2, times=2)
    client = gloo_emulator.client(max_rate_limit_retries=0)
    example.app.dependency_overrides[example.get_client] = lambda: client
    try:
        transport = httpx.ASGITransport(app=example.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            answer = await http.post("/ask", json={"question": "Hi"})
            streamed = await http.get("/ask/stream", params={"question": "Hi"})
    finally:
        example.app.dependency_overrides.clear()
    for response in (answer, streamed):
        assert response.status_code == 429
        assert response.headers["retry-after"] == "8"
        assert response.json()["detail"].startswith("Too many questions right now")
        assert "emulator" not in response.text  # nothing of Gloo's answer or URL is shown
    assert gloo_emulator.counts[COMPLETIONS] == 2  # one attempt each: nothing was retried


@pytest.mark.asyncio
async def test_gloo_failing_is_a_502_and_bad_input_a_422(gloo_emulator: GlooEmulator) -> None:
    gloo_emulator.faults.server_error(COMPLETIONS, status=500, retryable=False)
    client = gloo_emulator.client(max_retries=0)
    example.app.dependency_overrides[example.get_client] = lambda: client
    try:
        transport = httpx.ASGITransport(app=example.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            failed = await http.post("/ask", json={"question": "Hi"})
            empty = await http.post("/ask", json={"question": ""})
            missing = await http.get("/ask/stream")
    finally:
        example.app.dependency_overrides.clear()
    assert failed.status_code == 502
    assert failed.json()["detail"].startswith("The answer could not be generated")
    assert (empty.status_code, missing.status_code) == (422, 422)
    assert gloo_emulator.counts[COMPLETIONS] == 1  # bad input never reached Gloo


@pytest.mark.asyncio
async def test_a_stream_that_breaks_ends_with_an_error_event(gloo_emulator: GlooEmulator) -> None:
    gloo_emulator.faults.stream_error(COMPLETIONS, after_events=2)
    client = gloo_emulator.client()
    example.app.dependency_overrides[example.get_client] = lambda: client
    try:
        transport = httpx.ASGITransport(app=example.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            streamed = await http.get("/ask/stream", params={"question": "Hi"})
            schema = await http.get("/openapi.json")
    finally:
        example.app.dependency_overrides.clear()
    assert streamed.status_code == 200  # the answer had started: the error is in the stream
    events = _events(streamed.text)
    assert [name for name, _ in events] == ["message", "message", "error"]
    assert events[-1][1]["error"].startswith("The answer could not be generated")
    assert "PROVIDER_UNAVAILABLE" not in streamed.text
    assert gloo_emulator.counts[COMPLETIONS] == 1  # a generation is not repeated silently
    assert schema.status_code == 200
    stream_answer = schema.json()["paths"]["/ask/stream"]["get"]["responses"]["200"]
    assert list(stream_answer["content"]) == ["text/event-stream"]


# -- the browser goes away mid-stream ---------------------------------------------------------


def _chunk(content: str, *, role: bool = False) -> str:
    delta: dict[str, Any] = {"content": content}
    if role:
        delta["role"] = "assistant"
    payload = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "gloo-openai-gpt-5-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }
    return f"data: {json.dumps(payload)}\n\n"


async def _browser_leaves_after_first_event(
    path: str, query: bytes, *, stalls: bool = False
) -> list[MutableMapping[str, Any]]:
    """Drive the app's ASGI callable as a server (uvicorn: ASGI spec 2.3) would: the browser
    reads the first event, then disconnects. Returns the messages the app sent.

    With ``stalls``, the browser stops reading after the first event, so the app is stuck
    sending the next one (not reading upstream) when the disconnect comes.
    """
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"app"), (b"accept", b"text/event-stream")],
        "client": ("127.0.0.1", 50000),
        "server": ("app", 80),
    }
    sent: list[MutableMapping[str, Any]] = []
    first_event = anyio.Event()
    leave = anyio.Event()  # the browser goes away now
    gone = anyio.Event()
    request_read = False

    async def receive() -> dict[str, Any]:
        nonlocal request_read
        if not request_read:
            request_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if stalls and first_event.is_set():
            leave.set()
            await anyio.sleep_forever()  # until the disconnect cancels the response
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            first_event.set()
            if not stalls:
                leave.set()

    with anyio.fail_after(10):  # a safety net for a broken app, not a timing assertion
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(example.app, scope, receive, send)
            await leave.wait()
            gone.set()  # the browser closes the tab
    return sent


@pytest.mark.asyncio
@pytest.mark.parametrize("stalls", [False, True], ids=["reading", "stalled"])
async def test_a_browser_disconnect_releases_the_upstream_connection(
    stalls: bool, clean_env: pytest.MonkeyPatch, loopback: LoopbackServer
) -> None:
    # Upstream: a stream that never ends by itself; only the client closing it ends it.
    loopback.add(
        COMPLETIONS,
        Reply(
            headers={"content-type": "text/event-stream"},
            chunks=[_chunk("Joy", role=True), _chunk(" is")],
            hold_open=True,
        ),
    )
    clean_env.setenv("GLOO_BASE_URL", loopback.url)
    clean_env.setenv("GLOO_API_KEY", "test-key")
    async with example.app.router.lifespan_context(example.app):
        sent = await _browser_leaves_after_first_event(
            "/ask/stream", b"question=Joy%3F", stalls=stalls
        )
        # Before shutdown: the app released it on the disconnect, not when its client closed.
        assert await anyio.to_thread.run_sync(loopback.wait_closed) == 0
    assert sent[0]["status"] == 200
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert b'"delta": "Joy"' in bodies[0]["body"]
    assert not any(m.get("more_body") is False for m in bodies)  # never finished: cut off
    assert loopback.count(COMPLETIONS) == 1
    assert loopback.connections_opened == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("stalls", [False, True], ids=["reading", "stalled"])
async def test_a_browser_disconnect_stops_a_paced_emulator_stream(
    stalls: bool, clean_env: pytest.MonkeyPatch
) -> None:
    emulator = GlooEmulator(chunk_delay_ms=50)
    pool = httpx.AsyncHTTPTransport()
    with EmulatorServer(emulator) as server:
        client = AsyncGloo(
            base_url=server.url,
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            http_client=httpx.AsyncClient(transport=pool),
        )
        example.app.dependency_overrides[example.get_client] = lambda: client
        try:
            sent = await _browser_leaves_after_first_event(
                "/ask/stream", b"question=How+can+I+be+joyful%3F", stalls=stalls
            )
            # httpcore's pool: the stream's connection was closed, none is left in use.
            in_use = [c for c in pool._pool.connections if not c.is_idle()]
        finally:
            example.app.dependency_overrides.clear()
            await client.aclose()
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body" and m["body"]]
    assert len(bodies) == 1  # the rest of the answer was never relayed
    assert in_use == []
    assert emulator.counts[COMPLETIONS] == 1
    assert emulator.counts["/oauth2/token"] == 1
