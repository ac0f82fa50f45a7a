"""``client.chats``: the deprecated stateful chat API's chats (``/ai/v1/chat``).

Gloo marks every endpoint of this API deprecated: each method emits a `DeprecationWarning`
that points at your line. The replacement is ``client.chat.completions.create()`` with the
conversation's history kept by you.
"""

from __future__ import annotations

from typing_extensions import Unpack

from .._call_options import ReadCallOptions, check_arguments
from .._exceptions import InvalidArgumentError
from ..types.chat_api import Chat, ChatUpdate, ChatUpdateKwargs
from ._base import AsyncAPIResource, parse_model, warn_deprecated
from ._options import options_of
from .messages import deprecation

__all__ = ["CHAT_PATH", "AsyncChats"]

CHAT_PATH = "/ai/v1/chat"


class AsyncChats(AsyncAPIResource):
    """``client.chats`` (deprecated by Gloo): read a chat, pin it, set its title or summary."""

    async def retrieve(self, chat_id: str, **kwargs: Unpack[ReadCallOptions]) -> Chat:
        """The whole chat with its messages (``GET /ai/v1/chat?chat_id=…``). Deprecated: with
        chat completions, the history is the list you keep.

        Args:
            chat_id: the chat's id (``c…``).
            **kwargs: ``extra_headers``, ``extra_query``, ``timeout``, ``max_retries``.
        """
        warn_deprecated(deprecation("chats.retrieve", CHAT_PATH))
        check_arguments("chats.retrieve", kwargs, ReadCallOptions, also=("chat_id",))
        _, options, _ = options_of(kwargs, query={"chat_id": chat_id}, retry="idempotent")
        return await self._request(
            "GET", CHAT_PATH, body=None, options=options, parse=parse_model(Chat)
        )

    async def update(self, chat_id: str, **kwargs: Unpack[ChatUpdateKwargs]) -> ChatUpdate:
        """Set a chat's ``pin``, ``title`` or ``summary``
        (``PATCH /ai/v1/chat?chat_id=…&chat_field=…`` with ``{"new_value": value}``).
        Deprecated: keep such details with your own history.

        Example::

            await client.chats.update(chat_id, field="title", value="On grace")

        Args:
            chat_id: the chat's id.
            **kwargs: `ChatUpdateKwargs`: ``field`` (``"pin"``, ``"title"`` or
                ``"summary"``), ``value`` (its new value) and the call options.

        Raises:
            InvalidArgumentError: another field, or an unknown argument; nothing was sent.
        """
        warn_deprecated(deprecation("chats.update", CHAT_PATH))
        where = "chats.update"
        check_arguments(where, kwargs, ChatUpdateKwargs, also=("chat_id",))
        field = kwargs["field"]
        if field not in ("pin", "title", "summary"):
            raise InvalidArgumentError(
                f"{where}(): field must be 'pin', 'title' or 'summary', not {field!r}."
            )
        _, options, extra_body = options_of(
            kwargs, query={"chat_id": chat_id, "chat_field": field}, retry="idempotent"
        )
        body = {"new_value": kwargs["value"], **(extra_body or {})}
        return await self._request(
            "PATCH", CHAT_PATH, body=body, options=options, parse=parse_model(ChatUpdate)
        )
