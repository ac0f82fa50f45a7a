"""The deprecated stateful chat API (Gloo's "Chat Tutorial"): ``/ai/v1/message``,
``/ai/v1/message/kallm`` and ``/ai/v1/chat``.

Ids carry a prefix: chat ``c…``, query ``q…``, message ``m…``, user ``u…``. Timestamps are
naive ISO strings (``"2025-07-14T18:29:42.060759"``), kept as sent.
"""

# No ``from __future__ import annotations``: the kwargs TypedDicts are read at run time.

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field
from typing_extensions import Required

from .._call_options import CallOptions, ReadCallOptions
from .._config import NotGiven
from .._models import GlooModel, RequestModel

__all__ = [
    "Chat",
    "ChatField",
    "ChatMessage",
    "ChatUpdate",
    "ChatUpdateKwargs",
    "KallmMessage",
    "MessageDeleted",
    "MessageDeleteKwargs",
    "MessageParams",
    "MessageResponse",
    "MessageSendKwargs",
    "MessageStopKwargs",
    "MessageStopped",
]

ChatField = Literal["pin", "title", "summary"]
"""A field of a chat that ``client.chats.update()`` can set."""


class MessageSendKwargs(CallOptions, total=False):
    """The keyword arguments of ``client.messages.send()`` and ``send_kallm()``.

    ``query`` is required. Without ``chat_id`` a new chat is started. ``intent`` (0 or 1:
    the answer needs trusted sources), ``enable_sources`` (0, 1 or 2) and
    ``enable_suggestions`` (0 or 1) go in the query string (``enable_suggestions`` in the
    body too, as Gloo's cookbook sends it); ``character_limit``, ``sources_limit`` and
    ``publishers`` (publisher names) in the body.
    """

    query: Required[str]
    chat_id: str | None
    intent: Literal[0, 1] | NotGiven
    enable_sources: Literal[0, 1, 2] | NotGiven
    enable_suggestions: Literal[0, 1] | NotGiven
    character_limit: int | NotGiven
    sources_limit: int | NotGiven
    publishers: Sequence[str] | NotGiven


class ChatUpdateKwargs(CallOptions, total=False):
    """The keyword arguments of ``client.chats.update()``: ``field`` and ``value``."""

    field: Required[ChatField]
    value: Required[Any]


class MessageDeleteKwargs(ReadCallOptions, total=False):
    """The keyword arguments of ``client.messages.delete()``: ``message_id`` and
    ``query_id``."""

    message_id: Required[str]
    query_id: Required[str]


class MessageStopKwargs(ReadCallOptions, total=False):
    """The keyword arguments of ``client.messages.stop()``: ``chat_id`` and ``message_id``."""

    chat_id: Required[str]
    message_id: Required[str]


class MessageParams(RequestModel):
    """The body of ``POST /ai/v1/message`` (and ``/kallm``).

    Attributes:
        query: the user's message; at least one character.
        chat_id: the chat to continue (omitted: a new chat).
        character_limit: the longest answer, in characters.
        sources_limit: the most sources.
        publishers: publisher names to draw sources from.
        enable_suggestions: 1 to get follow-up suggestions.
    """

    query: str = Field(min_length=1, pattern=r"\S")
    chat_id: str | None = Field(default=None, min_length=1)
    character_limit: int | None = Field(default=None, ge=1)
    sources_limit: int | None = Field(default=None, ge=0)
    publishers: list[str] | None = None
    enable_suggestions: Literal[0, 1] | None = None


class MessageResponse(GlooModel):
    """The answer to ``client.messages.send()``.

    Attributes:
        chat_id: the chat (new if none was given).
        query_id: the id of the user's message.
        message_id: the id of the answer.
        timestamp: when it was answered (naive ISO).
        success: whether it succeeded.
        message: the answer's text.
        model: the model that answered.
        sources: the sources it drew on.
        sources_limit: the sources limit applied.
        suggestions: follow-up questions.
        intent: the intent applied.
    """

    chat_id: str | None = None
    query_id: str | None = None
    message_id: str | None = None
    timestamp: str | None = None
    success: bool | None = None
    message: str | None = None
    model: str | None = None
    sources: list[Any] = Field(default_factory=list)
    sources_limit: int | None = None
    suggestions: list[Any] = Field(default_factory=list)
    intent: int | None = None


class KallmMessage(GlooModel):
    """The answer to ``client.messages.send_kallm()``.

    Attributes:
        query_id: the id of the user's message.
        message_id: the id of the answer.
        message: the answer's text.
        timestamp: when it was answered (naive ISO).
    """

    query_id: str | None = None
    message_id: str | None = None
    message: str | None = None
    timestamp: str | None = None


class ChatMessage(GlooModel):
    """One message of a chat: the user's (``role == "user"``) or the answer (``"kallm"``).

    Attributes:
        query_id: the id of the user's message it belongs to.
        message_id: its id.
        timestamp: when it was sent (naive ISO).
        role: ``"user"`` or ``"kallm"``.
        message: its text.
        model: the model that answered (answers).
        intent: the intent applied.
        character_limit: the character limit asked for.
        stream: whether it was streamed.
        publishers: the publishers asked for.
        sources: the sources drawn on (answers).
        sources_limit: the sources limit applied.
        success: whether it succeeded (answers).
        suggestions: follow-up questions (answers).
    """

    query_id: str | None = None
    message_id: str | None = None
    timestamp: str | None = None
    role: Literal["user", "kallm"] | str | None = None
    message: str | None = None
    model: str | None = None
    intent: int | None = None
    character_limit: int | None = None
    stream: bool | None = None
    publishers: list[str] | None = None
    sources: list[Any] | None = None
    sources_limit: int | None = None
    success: bool | None = None
    suggestions: list[Any] | None = None


class Chat(GlooModel):
    """A whole chat, as ``client.chats.retrieve()`` returns it.

    Attributes:
        user_id: its owner.
        chat_id: its id.
        created_at: when it started (naive ISO).
        updated_at: when it last changed.
        messages: its messages, oldest first.
        pin: whether it is pinned.
        summary: its summary.
        title: its title.
    """

    user_id: str | None = None
    chat_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    messages: list[ChatMessage] = Field(default_factory=list)
    pin: bool | None = None
    summary: str | None = None
    title: str | None = None


class ChatUpdate(GlooModel):
    """The answer to ``client.chats.update()``: the field set and its new value.

    Attributes:
        chat_id: the chat.
        field: ``"pin"``, ``"title"`` or ``"summary"``.
        value: its new value.
    """

    chat_id: str | None = None
    field: str | None = None
    value: Any = None


class MessageDeleted(GlooModel):
    """The answer to ``client.messages.delete()``.

    Attributes:
        deleted: whether the message was deleted.
        message_id: its id.
    """

    deleted: bool = False
    message_id: str | None = None


class MessageStopped(GlooModel):
    """The answer to ``client.messages.stop()``.

    Attributes:
        task: ``"stop"``.
        success: whether the generation was stopped.
    """

    task: str | None = None
    success: bool = False
