"""A lean HTTP/1.1 server that answers like Gloo, for benchmarks: run it in its own process.

``python -m benchmarks.server`` prints ``PORT <n>`` once it listens. The bodies are taken from
the emulator (`gloo_ai.testing.GlooEmulator`) at start-up, so they have Gloo's shape, and then
served as prebuilt bytes from a raw asyncio protocol: the server must cost far less CPU than
any client, or the benchmark would measure the server. ``--emulator`` serves the emulator
itself under uvicorn instead (about ten times the server CPU per request; see
``docs/performance.md``).

Routes:

- ``POST /oauth2/token``: a token (client credentials) that lives an hour.
- ``POST /ai/v2/chat/completions``: a completion, or with ``"stream": true`` an SSE stream of
  ``chunks`` content chunks (``--chunks``, or the ``chunks`` query parameter) and a final
  chunk, ended by closing the (chunked) body as Gloo does. The bearer must be the API key or
  an issued token, else 401.
- The ``hold`` query parameter (``?hold=1000``) holds each answer until that many held
  requests have arrived, for measuring memory with that many requests in flight.
- The ``delay`` query parameter (``?delay=500``) holds that answer so many milliseconds, as
  a model that thinks; ``pace`` (``?pace=20``) sends a stream's chunks that many
  milliseconds apart, as a model's tokens arrive.
- ``GET /_stats``: the connections open now, the most open at once and the total accepted,
  as JSON; ``?reset=1`` starts the peak and the total anew (for the latency scenarios).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from typing import Any
from urllib.parse import parse_qs

API_KEY = "bench-api-key"
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
TOKEN = "bench-token-0123456789abcdef"
COMPLETIONS_PATH = "/ai/v2/chat/completions"

_STREAM_TRUE = re.compile(rb'"stream"\s*:\s*true')


def _emulator_bodies() -> tuple[bytes, list[bytes]]:
    """A completion body and the SSE events of a stream, as the emulator answers them."""
    from gloo_ai.testing import GlooEmulator

    async def fetch() -> tuple[bytes, bytes]:
        emulator = GlooEmulator(api_keys=[API_KEY])
        headers = {"Authorization": f"Bearer {API_KEY}"}
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": "How can I be joyful in hard times?"}],
            "auto_routing": True,
        }
        async with emulator.http_client() as http:
            plain = await http.post(COMPLETIONS_PATH, json=body, headers=headers)
            streamed = await http.post(
                COMPLETIONS_PATH, json={**body, "stream": True}, headers=headers
            )
        return plain.content, streamed.content

    plain, streamed = asyncio.run(fetch())
    events = [e + b"\n\n" for e in streamed.split(b"\n\n") if e.strip()]
    return plain, events


class Answers:
    """Prebuilt response bytes."""

    def __init__(self, chunks: int) -> None:
        plain, events = _emulator_bodies()
        # Compact JSON, as Gloo sends it.
        self.completion = json.dumps(json.loads(plain), separators=(",", ":")).encode()
        self.first = events[0]  # carries the role and the routing fields
        self.middle = events[1]  # a plain content delta
        self.last = events[-1]  # finish_reason "stop"
        self.chunks = chunks
        self.token = json.dumps(
            {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}
        ).encode()
        self.unauthorized = json.dumps(
            {"error": "Invalid or expired token", "code": "unauthorized_invalid_token"}
        ).encode()


def _head(status: str, content_type: str, length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"content-type: {content_type}", "x-request-id: bench-req-1"]
    if length is None:
        lines.append("transfer-encoding: chunked")
        lines.append("cache-control: no-cache")
    else:
        lines.append(f"content-length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Holds:
    """Releases held requests in groups of ``n`` (one group per ``hold`` value)."""

    def __init__(self) -> None:
        self.waiting: dict[int, list[asyncio.Future[None]]] = {}

    async def wait(self, n: int) -> None:
        group = self.waiting.setdefault(n, [])
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        group.append(future)
        if len(group) >= n:
            del self.waiting[n]
            for f in group:
                if not f.done():
                    f.set_result(None)
        await future


_TASKS: set[asyncio.Future[None]] = set()


class Stats:
    """Connections open now, the peak, and the total accepted."""

    open = 0
    peak = 0
    total = 0

    @classmethod
    def opened(cls) -> None:
        cls.open += 1
        cls.total += 1
        cls.peak = max(cls.peak, cls.open)

    @classmethod
    def as_json(cls, reset: bool) -> bytes:
        body = json.dumps({"open": cls.open, "peak": cls.peak, "total": cls.total}).encode()
        if reset:
            cls.peak, cls.total = cls.open, 0
        return body


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection (no pipelining: one request at a time)."""

    def __init__(self, answers: Answers, holds: Holds) -> None:
        self.answers = answers
        self.holds = holds
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        Stats.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        Stats.open -= 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()

    def _next(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(self.buffer) < end + 4 + length:
            return
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        method, target, _ = head[0].split(" ", 2)
        path, _, query = target.partition("?")
        self.busy = True
        task = asyncio.ensure_future(self._answer(method, path, query, headers, body))
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)

    async def _answer(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> None:
        transport = self.transport
        assert transport is not None
        a = self.answers
        params = {k: v[0] for k, v in parse_qs(query).items()} if query else {}
        if method == "POST" and path == "/oauth2/token":
            transport.write(_head("200 OK", "application/json", len(a.token)) + a.token)
        elif method == "POST" and path == COMPLETIONS_PATH:
            if headers.get("authorization") not in (f"Bearer {API_KEY}", f"Bearer {TOKEN}"):
                head = _head("401 Unauthorized", "application/json", len(a.unauthorized))
                transport.write(head + a.unauthorized)
            else:
                if "hold" in params:
                    await self.holds.wait(int(params["hold"]))
                if "delay" in params:
                    await asyncio.sleep(int(params["delay"]) / 1000)
                if _STREAM_TRUE.search(body):
                    chunks = int(params.get("chunks", a.chunks))
                    await self._stream(transport, chunks, int(params.get("pace", 0)) / 1000)
                else:
                    head = _head("200 OK", "application/json", len(a.completion))
                    transport.write(head + a.completion)
        elif method == "GET" and path == "/_stats":
            stats = Stats.as_json(reset="reset" in params)
            transport.write(_head("200 OK", "application/json", len(stats)) + stats)
        else:
            transport.write(_head("404 Not Found", "application/json", 2) + b"{}")
        self.busy = False
        if self.buffer:
            self._next()

    async def _stream(self, transport: asyncio.Transport, chunks: int, pace: float) -> None:
        a = self.answers
        transport.write(_head("200 OK", "text/event-stream; charset=utf-8", None))
        # Each event is its own write (and HTTP chunk), as a model's tokens arrive one by
        # one; yield to the loop now and then so that the client reads as the events come
        # (or, paced, wait ``pace`` seconds before each one).
        transport.write(_chunk(a.first))
        middle = _chunk(a.middle)
        for i in range(chunks - 2):
            if pace:
                await asyncio.sleep(pace)
            transport.write(middle)
            if not pace and i % 8 == 7:
                await asyncio.sleep(0)
        transport.write(_chunk(a.last) + b"0\r\n\r\n")


async def _serve_lean(host: str, port: int, answers: Answers) -> None:
    holds = Holds()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Connection(answers, holds), host, port, backlog=4096, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await server.serve_forever()


def _serve_emulator(host: str, port: int) -> None:
    import socket

    import uvicorn

    from gloo_ai.testing import GlooEmulator

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        GlooEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, api_keys=[API_KEY]),
        http="h11",
        ws="none",
        loop="asyncio",
        lifespan="on",
        access_log=False,
        log_level="warning",
        backlog=4096,
    )
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=200, help="events per stream")
    parser.add_argument(
        "--emulator", action="store_true", help="serve gloo_ai.testing's emulator under uvicorn"
    )
    args = parser.parse_args(argv)
    if args.emulator:
        _serve_emulator(args.host, args.port)
        return
    try:
        asyncio.run(_serve_lean(args.host, args.port, Answers(args.chunks)))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
