"""The emulator's deprecated stateful chat API: ``/ai/v1/message``, ``/ai/v1/message/kallm``
and ``/ai/v1/chat``, with the chats held in memory (`ChatStore`, ``emulator.chats``).

Answers are deterministic (built from the query); ids carry Gloo's prefixes (chat ``c…``,
query ``q…``, message ``m…``, user ``u…``) and timestamps are naive ISO strings, as Gloo's.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import uuid
from typing import TYPE_CHECKING, Any, Final

from ._asgi import Reply, json_reply
from ._routes import RouteRequest, route
from ._search import LIBRARY
from ._validation import RequestRejected

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["CHAT_API_ROUTES", "ChatStore"]

MESSAGE_PATH: Final = "/ai/v1/message"
KALLM_PATH: Final = "/ai/v1/message/kallm"
CHAT_PATH: Final = "/ai/v1/chat"
CHAT_MODEL: Final = "gloo-openai-gpt-5.2"
USER_ID: Final = "u" + str(uuid.UUID(int=1))
_FIELDS: Final = ("pin", "title", "summary")
_ANSWERS: Final = (
    "Scripture invites us to bring every question to God in prayer.",
    "Hope grows when we remember that we are not alone.",
    "Grace meets us where we are, not where we think we should be.",
    "Small, faithful steps taken each day add up over time.",
)


class ChatStore:
    """The emulator's chats, by id (``emulator.chats.chats``); thread-safe."""

    def __init__(self) -> None:
        self.chats: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every chat."""
        with self._lock:
            self.chats.clear()

    def get(self, chat_id: str) -> dict[str, Any]:
        """The chat, or a 404 like Gloo's."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise RequestRejected(404, {"detail": f"Chat {chat_id} not found"})
        return chat

    def new(self) -> dict[str, Any]:
        """A new, empty chat."""
        now = _now()
        chat_id = "c" + str(uuid.uuid4())
        chat: dict[str, Any] = {
            "user_id": USER_ID,
            "chat_id": chat_id,
            "created_at": now,
            "updated_at": now,
            "messages": [],
            "pin": False,
            "summary": None,
            "title": None,
        }
        with self._lock:
            self.chats[chat_id] = chat
        return chat


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()


def _missing(where: str, name: str) -> RequestRejected:
    return RequestRejected(
        422,
        {"detail": [{"type": "missing", "loc": [where, name], "msg": "Field required",
                     "input": None}]},
    )  # fmt: skip


def _int_param(request: RouteRequest, name: str, choices: tuple[int, ...], default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value not in choices:
        raise RequestRejected(
            422,
            {"detail": [{"type": "literal_error", "loc": ["query", name],
                         "msg": f"Input should be {' or '.join(map(str, choices))}",
                         "input": raw}]},
        )  # fmt: skip
    return value


def _answer(query: str) -> str:
    digest = hashlib.sha256(query.encode()).digest()
    topic = " ".join(query.split()[:12])
    return (
        f'On "{topic}": {_ANSWERS[digest[0] % len(_ANSWERS)]} (An answer from the Gloo emulator.)'
    )


def _sources(query: str, limit: int) -> list[dict[str, Any]]:
    digest = hashlib.sha256(query.encode()).digest()
    sources = []
    for offset in range(min(limit, len(LIBRARY))):
        item_id, title, kind, author, snippets = LIBRARY[(digest[1] + offset) % len(LIBRARY)]
        sources.append(
            {"item_id": item_id, "title": title, "type": kind, "author": author,
             "snippet": snippets[0], "url": f"https://example.org/items/{item_id}"}
        )  # fmt: skip
    return sources


def _send(emulator: GlooEmulator, request: RouteRequest) -> dict[str, Any]:
    """Add the user's message and the answer to a chat (a new one without chat_id)."""
    body = request.json if isinstance(request.json, dict) else None
    if body is None or not isinstance(body.get("query"), str):
        raise _missing("body", "query")
    query: str = body["query"]
    intent = _int_param(request, "intent", (0, 1), 0)
    enable_sources = _int_param(request, "enable_sources", (0, 1, 2), 1)
    enable_suggestions = _int_param(request, "enable_suggestions", (0, 1), 0)
    if body.get("enable_suggestions") in (0, 1):
        enable_suggestions = int(body["enable_suggestions"])
    chat_id = request.query.get("chat_id") or body.get("chat_id") or ""
    store: ChatStore = emulator.chats
    chat = store.get(chat_id) if chat_id else store.new()
    sources_limit = body.get("sources_limit")
    if not isinstance(sources_limit, int):
        sources_limit = 3
    sources = _sources(query, sources_limit) if enable_sources else []
    text = _answer(query)
    limit = body.get("character_limit")
    if isinstance(limit, int) and limit > 0:
        text = text[:limit]
    suggestions = (
        [f"Tell me more about {' '.join(query.split()[:6])}", "How can I pray about this?"]
        if enable_suggestions
        else []
    )
    query_id, message_id, now = "q" + str(uuid.uuid4()), "m" + str(uuid.uuid4()), _now()
    chat["messages"].append(
        {"query_id": query_id, "message_id": "m" + str(uuid.uuid4()), "timestamp": now,
         "role": "user", "message": query, "model": None, "intent": intent,
         "character_limit": body.get("character_limit"), "stream": bool(body.get("stream")),
         "publishers": body.get("publishers") or []}
    )  # fmt: skip
    chat["messages"].append(
        {"query_id": query_id, "message_id": message_id, "timestamp": now, "role": "kallm",
         "message": text, "model": CHAT_MODEL, "intent": intent, "sources": sources,
         "sources_limit": sources_limit, "success": True, "suggestions": suggestions}
    )  # fmt: skip
    chat["updated_at"] = now
    return {
        "chat_id": chat["chat_id"],
        "query_id": query_id,
        "message_id": message_id,
        "timestamp": now,
        "success": True,
        "message": text,
        "model": CHAT_MODEL,
        "sources": sources,
        "sources_limit": sources_limit,
        "suggestions": suggestions,
        "intent": intent,
    }


@route("POST", MESSAGE_PATH)
def _message_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return json_reply(200, _send(emulator, request))


@route("POST", KALLM_PATH)
def _kallm_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    sent = _send(emulator, request)
    keys = ("query_id", "message_id", "message", "timestamp")
    return json_reply(200, {key: sent[key] for key in keys})


def _chat_of(emulator: GlooEmulator, request: RouteRequest) -> dict[str, Any]:
    chat_id = request.query.get("chat_id")
    if not chat_id:
        raise _missing("query", "chat_id")
    store: ChatStore = emulator.chats
    return store.get(chat_id)


@route("GET", CHAT_PATH)
def _get_chat_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return json_reply(200, _chat_of(emulator, request))


@route("PATCH", CHAT_PATH)
def _update_chat_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    chat = _chat_of(emulator, request)
    field = request.query.get("chat_field")
    if not field:
        raise _missing("query", "chat_field")
    if field not in _FIELDS:
        raise RequestRejected(
            422,
            {"detail": [{"type": "enum", "loc": ["query", "chat_field"],
                         "msg": "Input should be 'pin', 'title' or 'summary'", "input": field}]},
        )  # fmt: skip
    body = request.json if isinstance(request.json, dict) else None
    if body is None or "new_value" not in body:
        raise _missing("body", "new_value")
    chat[field] = body["new_value"]
    chat["updated_at"] = _now()
    return json_reply(200, {"chat_id": chat["chat_id"], "field": field, "value": body["new_value"]})


@route("DELETE", MESSAGE_PATH)
def _delete_message_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    message_id, query_id = request.query.get("message_id"), request.query.get("query_id")
    if not message_id:
        raise _missing("query", "message_id")
    if not query_id:
        raise _missing("query", "query_id")
    store: ChatStore = emulator.chats
    for chat in list(store.chats.values()):
        for message in chat["messages"]:
            if message["message_id"] == message_id and message["query_id"] == query_id:
                chat["messages"].remove(message)
                chat["updated_at"] = _now()
                return json_reply(200, {"deleted": True, "message_id": message_id})
    raise RequestRejected(404, {"detail": f"Message {message_id} not found"})


@route("PUT", MESSAGE_PATH)
def _stop_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    if request.query.get("task") != "stop":
        raise _missing("query", "task")
    chat = _chat_of(emulator, request)
    message_id = request.query.get("message_id")
    if not message_id:
        raise _missing("query", "message_id")
    del chat
    return json_reply(200, {"task": "stop", "success": True})


CHAT_API_ROUTES = [
    _message_route,
    _kallm_route,
    _get_chat_route,
    _update_chat_route,
    _delete_message_route,
    _stop_route,
]
