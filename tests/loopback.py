"""A scriptable HTTP/1.1 server on 127.0.0.1, in a thread, that counts connections.

It runs beside any event loop (asyncio or trio), keeps connections alive like a real server,
and can answer in pieces (SSE), stall, or drop the connection in the middle of a body. Tests
script replies per path and then assert on ``connections_opened`` and ``open_connections``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import socketserver
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One scripted answer.

    ``chunks`` sends the body in pieces with chunked transfer encoding; ``drop_after`` closes
    the connection after that many chunks (or, without chunks, after half the body) without
    finishing the body; ``hold_open`` sends the chunks but neither ends the body nor closes
    the connection: the server waits until the client closes it. ``no_answer`` sends nothing
    at all after reading the request: ``"close"`` closes the connection, ``"stall"`` waits
    until the client closes it (a read timeout on the client's side).
    """

    status: int = 200
    body: bytes | str | dict[str, object] | list[object] = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes | str] | None = None
    drop_after: int | None = None
    hold_open: bool = False
    no_answer: str | None = None  # "close" or "stall"

    def payload(self) -> bytes:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode()
        if isinstance(self.body, str):
            return self.body.encode()
        return self.body


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    size: int = 0
    sha256: str = ""


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def setup(self) -> None:
        with self.server.lock:
            self.server.owner.connections_opened += 1
            self.server.owner.open_connections += 1

    def finish(self) -> None:
        with self.server.lock:
            self.server.owner.open_connections -= 1

    def handle(self) -> None:
        sock: socket.socket = self.request
        # Send each piece at once (no Nagle delay), as a streaming server does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        try:
            while True:
                line = reader.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = reader.readline().decode("latin-1")
                    if h in ("\r\n", "\n", ""):
                        break
                    k, _, v = h.partition(":")
                    headers[k.strip().lower()] = v.strip()
                owner = self.server.owner
                body, size, digest = _read_body(reader, headers, keep=not owner.digest_bodies)
                owner.seen.append(Seen(method, path.split("?")[0], headers, body, size, digest))
                reply = owner.next_reply(path.split("?")[0])
                if not self._send(sock, reply):
                    return
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, OSError):
            return
        finally:
            reader.close()

    def _send(self, sock: socket.socket, reply: Reply) -> bool:
        if reply.no_answer == "stall":
            _wait_for_client_close(sock)
            return False
        if reply.no_answer == "close":
            _hard_close(sock)
            return False
        reason = _REASONS.get(reply.status, "Status")
        head = [f"HTTP/1.1 {reply.status} {reason}"]
        headers = {"content-type": "application/json", **reply.headers}
        if reply.chunks is not None:
            headers["transfer-encoding"] = "chunked"
        else:
            headers["content-length"] = str(len(reply.payload()))
        head += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if reply.chunks is None:
            payload = reply.payload()
            if reply.drop_after is not None:
                sock.sendall(payload[: len(payload) // 2])
                _hard_close(sock)
                return False
            sock.sendall(payload)
            return True
        for i, chunk in enumerate(reply.chunks):
            if reply.drop_after is not None and i >= reply.drop_after:
                _hard_close(sock)
                return False
            data = chunk.encode() if isinstance(chunk, str) else chunk
            sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        if reply.hold_open:
            _wait_for_client_close(sock)
            return False
        sock.sendall(b"0\r\n\r\n")
        return True


def _read_body(reader: Any, headers: dict[str, str], *, keep: bool) -> tuple[bytes, int, str]:
    """Read a request body (by length, or chunked) in pieces; keep it, or only its digest."""
    digest = hashlib.sha256()
    kept: list[bytes] = []
    size = 0

    def take(data: bytes) -> None:
        nonlocal size
        size += len(data)
        digest.update(data)
        if keep:
            kept.append(data)

    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            length = int(reader.readline().split(b";")[0].strip() or b"0", 16)
            if length == 0:
                reader.readline()
                break
            while length:
                data = reader.read(min(length, 65536))
                take(data)
                length -= len(data)
            reader.readline()
    else:
        remaining = int(headers.get("content-length", "0") or 0)
        while remaining:
            data = reader.read(min(remaining, 65536))
            if not data:
                break
            take(data)
            remaining -= len(data)
    return b"".join(kept), size, digest.hexdigest()


def _wait_for_client_close(sock: socket.socket) -> None:
    # The body is never finished: the client can only close the connection (or, in a broken
    # test, the safety timeout ends the wait).
    sock.settimeout(30)
    with contextlib.suppress(OSError):
        while sock.recv(65536):
            pass


def _hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: LoopbackServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner
        self.lock = threading.Lock()


class LoopbackServer:
    """Start with `start`, script with `add`, read `seen`, stop with `stop`.

    A path with no scripted reply left answers with the path's default (see `default`), or
    404.
    """

    def __init__(self) -> None:
        self.digest_bodies = False  # True: keep only each body's size and sha256, not its bytes
        self.connections_opened = 0
        self.open_connections = 0
        self.seen: list[Seen] = []
        self._replies: dict[str, deque[Reply]] = defaultdict(deque)
        self._defaults: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add(self, path: str, *replies: Reply) -> None:
        """Queue replies for ``path``, answered in order."""
        with self._lock:
            self._replies[path].extend(replies)

    def default(self, path: str, reply: Reply) -> None:
        """Answer ``path`` with ``reply`` whenever nothing is queued for it."""
        with self._lock:
            self._defaults[path] = reply

    def next_reply(self, path: str) -> Reply:
        with self._lock:
            queue = self._replies.get(path)
            if queue:
                return queue.popleft()
            return self._defaults.get(path, Reply(404, {"detail": "Not Found"}))

    def count(self, path: str) -> int:
        """How many requests arrived for ``path``."""
        return sum(1 for s in self.seen if s.path == path)

    def wait_closed(self, open_at_most: int = 0, timeout: float = 5.0) -> int:
        """Wait (briefly) until the server has seen connections close; return the open count.

        Closing is asynchronous across the socket, so this polls; it is a wait for an event,
        not a timing assertion.
        """
        deadline = time.monotonic() + timeout
        while self.open_connections > open_at_most and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections
