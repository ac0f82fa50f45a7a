"""``client.messages``: the deprecated stateful chat API's messages (``/ai/v1/message``).

Gloo marks every endpoint of this API deprecated: each method emits a `DeprecationWarning`
that points at your line. The replacement is ``client.chat.completions.create()`` with the
conversation's history kept by you (see the "Stateful chat API" docs page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from typing_extensions import Unpack

from .._call_options import check_arguments
from .._models import GlooModel
from ..types.chat_api import (
    KallmMessage,
    MessageDeleted,
    MessageDeleteKwargs,
    MessageParams,
    MessageResponse,
    MessageSendKwargs,
    MessageStopKwargs,
    MessageStopped,
)
from ._base import AsyncAPIResource, parse_model, warn_deprecated
from ._options import body_of, options_of

__all__ = ["KALLM_PATH", "MESSAGE_PATH", "AsyncMessages", "deprecation"]

MESSAGE_PATH = "/ai/v1/message"
KALLM_PATH = "/ai/v1/message/kallm"

_M = TypeVar("_M", bound=GlooModel)


def deprecation(method: str, path: str) -> str:
    """The `DeprecationWarning` text of a stateful chat API method."""
    return (
        f"client.{method}() uses Gloo's deprecated stateful chat API ({path}). Use "
        "client.chat.completions.create(messages=[...]) and keep the conversation's history "
        "yourself: append each answer's message and send the whole list with the next "
        "question (see the 'Stateful chat API' page of the gloo-ai docs)."
    )


class AsyncMessages(AsyncAPIResource):
    """``client.messages`` (deprecated by Gloo): send, stop and delete messages of a chat."""

    async def send(self, **kwargs: Unpack[MessageSendKwargs]) -> MessageResponse:
        """Send a message to a chat, starting a new chat when ``chat_id`` is None
        (``POST /ai/v1/message``). Deprecated: use ``client.chat.completions.create()``.

        Example::

            first = await client.messages.send(query="What is grace?")
            follow_up = await client.messages.send(query="And mercy?", chat_id=first.chat_id)

        Args:
            **kwargs: `MessageSendKwargs`: ``query`` (required), ``chat_id``, ``intent``
                (0 or 1), ``enable_sources`` (0, 1 or 2), ``enable_suggestions`` (0 or 1),
                ``character_limit``, ``sources_limit``, ``publishers`` and the call options.

        Returns:
            A `MessageResponse` (``chat_id``, ``message``, ``sources``, ``suggestions`` ...).
        """
        warn_deprecated(deprecation("messages.send", MESSAGE_PATH))
        return await self._send("messages.send", MESSAGE_PATH, kwargs, MessageResponse)

    async def send_kallm(self, **kwargs: Unpack[MessageSendKwargs]) -> KallmMessage:
        """As `send`, through ``POST /ai/v1/message/kallm``, answering only ``query_id``,
        ``message_id``, ``message`` and ``timestamp``. Deprecated: use
        ``client.chat.completions.create()``."""
        warn_deprecated(deprecation("messages.send_kallm", KALLM_PATH))
        return await self._send("messages.send_kallm", KALLM_PATH, kwargs, KallmMessage)

    async def delete(self, **kwargs: Unpack[MessageDeleteKwargs]) -> MessageDeleted:
        """Delete a message (``DELETE /ai/v1/message?message_id=…&query_id=…``).
        Deprecated: with chat completions, drop the message from your own history."""
        warn_deprecated(deprecation("messages.delete", MESSAGE_PATH))
        check_arguments("messages.delete", kwargs, MessageDeleteKwargs)
        _, options, _ = options_of(
            kwargs, query_fields=("message_id", "query_id"), retry="idempotent"
        )
        return await self._request(
            "DELETE", MESSAGE_PATH, body=None, options=options, parse=parse_model(MessageDeleted)
        )

    async def stop(self, **kwargs: Unpack[MessageStopKwargs]) -> MessageStopped:
        """Stop generating an answer (``PUT /ai/v1/message?task=stop&chat_id=…&message_id=…``).
        Deprecated: with chat completions, close the stream (``await stream.close()``)."""
        warn_deprecated(deprecation("messages.stop", MESSAGE_PATH))
        check_arguments("messages.stop", kwargs, MessageStopKwargs)
        _, options, _ = options_of(
            kwargs,
            query={"task": "stop"},
            query_fields=("chat_id", "message_id"),
            retry="idempotent",
        )
        return await self._request(
            "PUT", MESSAGE_PATH, body=None, options=options, parse=parse_model(MessageStopped)
        )

    async def _send(self, where: str, path: str, kwargs: Mapping[str, Any], cls: type[_M]) -> _M:
        check_arguments(where, kwargs, MessageSendKwargs)
        fields, _, _ = options_of(kwargs)
        # chat_id and enable_suggestions go in both places, as Gloo's cookbook sends them.
        query: dict[str, object] = {
            k: fields[k] for k in ("chat_id", "enable_suggestions") if k in fields
        }
        fields, options, extra_body = options_of(
            kwargs, query=query, query_fields=("intent", "enable_sources")
        )
        body = body_of(where, MessageParams, fields, extra_body)
        return await self._request("POST", path, body=body, options=options, parse=parse_model(cls))
