"""The API areas of `AsyncGloo`, one cached property each: ``client.chat``, ``client.items``...

Each builds its resource from the client's `Requester` on first use (a resource never sees
the client). A new area adds its property here.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._requester import Requester
    from .chat import AsyncChat
    from .chats import AsyncChats
    from .embeddings import AsyncEmbeddings
    from .ingestion import AsyncIngestion
    from .items import AsyncItems
    from .messages import AsyncMessages
    from .models import AsyncModels
    from .recommendations import AsyncRecommendations
    from .responses import AsyncResponses
    from .search import AsyncSearch

__all__ = ["ResourceAreas"]


class ResourceAreas:
    """The API areas of a client, built from its ``_requester`` on first use."""

    _requester: Requester

    @cached_property
    def chat(self) -> AsyncChat:
        """Chat completions: ``client.chat.completions.create(...)``."""
        from .chat import AsyncChat

        return AsyncChat(self._requester)

    @cached_property
    def items(self) -> AsyncItems:
        """The data engine's items: ``client.items.list(publisher_id)``, ``retrieve``,
        ``update``, ``bulk_update``, ``delete_permanently``."""
        from .items import AsyncItems

        return AsyncItems(self._requester)

    @cached_property
    def ingestion(self) -> AsyncIngestion:
        """Ingestion: ``client.ingestion.upload_files(...)``, ``wait_until_processed``,
        ``upload_text`` (legacy)."""
        from .ingestion import AsyncIngestion

        return AsyncIngestion(self._requester)

    @cached_property
    def models(self) -> AsyncModels:
        """The model catalog (public, cached): ``await client.models.list()``."""
        from .models import AsyncModels

        return AsyncModels(self._requester)

    @cached_property
    def search(self) -> AsyncSearch:
        """Semantic search of publisher content: ``await client.search.query(...)``."""
        from .search import AsyncSearch

        return AsyncSearch(self._requester)

    @cached_property
    def recommendations(self) -> AsyncRecommendations:
        """Item recommendations: ``client.recommendations.base(...)``, ``verbose``,
        ``affiliates``."""
        from .recommendations import AsyncRecommendations

        return AsyncRecommendations(self._requester)

    @cached_property
    def messages(self) -> AsyncMessages:
        """The deprecated stateful chat API's messages: ``client.messages.send(...)``."""
        from .messages import AsyncMessages

        return AsyncMessages(self._requester)

    @cached_property
    def chats(self) -> AsyncChats:
        """The deprecated stateful chat API's chats: ``client.chats.retrieve(chat_id)``."""
        from .chats import AsyncChats

        return AsyncChats(self._requester)

    @cached_property
    def responses(self) -> AsyncResponses:
        """The Responses API: ``client.responses.create(...)``, ``client.responses.stream(...)``."""
        from .responses import AsyncResponses

        return AsyncResponses(self._requester)

    @cached_property
    def embeddings(self) -> AsyncEmbeddings:
        """Embeddings: ``await client.embeddings.create(model=..., input=[...])``."""
        from .embeddings import AsyncEmbeddings

        return AsyncEmbeddings(self._requester)
