"""ASGI plumbing: reading a request, sending an answer (or a faulted one), lifespan."""

from __future__ import annotations

import http
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from ._faults import EmulatedDisconnect, Fault

__all__ = [
    "Receive",
    "Reply",
    "Scope",
    "Send",
    "json_reply",
    "lifespan",
    "read_body",
    "send_reply",
    "status_reply",
    "wait",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_MALFORMED_JSON = b'{"id": "gen-emulator", "choices": [{"message": '
_MALFORMED_EVENT = b"data: {this is not json\n\n"


@dataclass
class Reply:
    """An answer before faults touch it: a whole body, or SSE events.

    Attributes:
        status: the HTTP status.
        body: the body (when ``events`` is None).
        events: the SSE events of a stream, each a complete ``data: ...\\n\\n``.
        headers: extra headers.
    """

    status: int
    body: bytes = b""
    events: list[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    """An answer with a JSON body.

    Args:
        status: the HTTP status.
        body: the JSON-ready body.
        headers: extra headers.

    Returns:
        The reply.
    """
    raw = json.dumps(body, ensure_ascii=False).encode()
    return Reply(status, raw, headers=dict(headers or {}))


def status_reply(fault: Fault) -> Reply:
    """The answer of a status-type fault (bytes and str bodies are sent as they are).

    Args:
        fault: the fault.

    Returns:
        The reply.
    """
    body = fault.body
    if body is None:
        body = {"detail": _phrase(fault.status)}
    if isinstance(body, (bytes, str)):
        raw = body.encode() if isinstance(body, str) else body
        return Reply(fault.status, raw, headers=dict(fault.headers))
    return json_reply(fault.status, body, fault.headers)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


async def _start(
    send: Send, reply: Reply, counts: Counter[str], *, stream: bool, length: int = 0
) -> None:
    headers = {"x-request-id": uuid.uuid4().hex}
    if stream:
        headers["content-type"] = "text/event-stream; charset=utf-8"
        headers["cache-control"] = "no-cache"
    else:
        headers["content-type"] = "application/json"
        headers["content-length"] = str(length)
    headers.update(reply.headers)
    if reply.status == 401:
        counts["401"] += 1
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
    )


def _apply(reply: Reply, fault: Fault | None) -> Reply:
    """The reply that a malformed or stream-error fault turns ``reply`` into."""
    if fault is None:
        return reply
    if fault.kind == "malformed":
        if reply.events is not None:
            return Reply(200, events=[_MALFORMED_EVENT])
        return Reply(200, body=_MALFORMED_JSON)
    if fault.kind == "stream_error":
        if reply.events is None:
            return status_reply(fault)
        error = b"data: " + json.dumps(fault.body).encode() + b"\n\n"
        return Reply(reply.status, events=[*reply.events[: fault.after_events], error])
    return reply


async def send_reply(
    send: Send,
    reply: Reply,
    counts: Counter[str],
    fault: Fault | None = None,
    *,
    chunk_delay: float = 0.0,
) -> None:
    """Send an answer, as ``fault`` (malformed, stream error, drop) asks; count 401s.

    Each SSE event goes out as its own ``http.response.body`` message.

    Args:
        send: the ASGI send callable.
        reply: the answer.
        counts: the counter whose ``"401"`` counts the 401s sent.
        fault: the fault that corrupts the answer, if any.
        chunk_delay: seconds to wait before each SSE event after the first.

    Raises:
        EmulatedDisconnect: the fault is a drop; raised after part of the body went out.
    """
    reply = _apply(reply, fault)
    drop = fault is not None and fault.kind == "drop"
    if reply.events is None:
        await _start(send, reply, counts, stream=False, length=len(reply.body))
        if drop:
            half = reply.body[: len(reply.body) // 2]
            await send({"type": "http.response.body", "body": half, "more_body": True})
            raise EmulatedDisconnect("The emulator dropped the connection mid-body.")
        await send({"type": "http.response.body", "body": reply.body, "more_body": False})
        return
    await _start(send, reply, counts, stream=True)
    events = reply.events
    if drop and fault is not None:
        events = events[: fault.after_events]
    for index, event in enumerate(events):
        if chunk_delay and index:
            await anyio.sleep(chunk_delay)
        await send({"type": "http.response.body", "body": event, "more_body": True})
    if drop:
        raise EmulatedDisconnect("The emulator dropped the connection mid-stream.")
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def read_body(receive: Receive) -> bytes | None:
    """Read the whole request body; None if the client disconnected first.

    Args:
        receive: the ASGI receive callable.

    Returns:
        The body, or None.
    """
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return None
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def wait(receive: Receive, seconds: float | None) -> bool:
    """Sleep (forever if ``seconds`` is None) unless the client disconnects first.

    Args:
        receive: the ASGI receive callable (the request body already read).
        seconds: how long to sleep, or None for ever.

    Returns:
        True if the sleep ran its course, False if the client went away.
    """
    finished = False
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            while (await receive()).get("type") != "http.disconnect":
                pass
            tg.cancel_scope.cancel()

        tg.start_soon(watch)
        if seconds is None:
            await anyio.sleep_forever()
        else:
            await anyio.sleep(seconds)
        finished = True
        tg.cancel_scope.cancel()
    return finished


async def lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge the lifespan protocol's startup and shutdown.

    Args:
        receive: the ASGI receive callable.
        send: the ASGI send callable.
    """
    while True:
        message = await receive()
        if message.get("type") == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message.get("type") == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
