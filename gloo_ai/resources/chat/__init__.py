"""``client.chat``: chat completions v2, grounded completions and the deprecated v1."""

from __future__ import annotations

from functools import cached_property

from .._base import AsyncAPIResource
from .completions import AsyncCompletions
from .completions_v1 import AsyncCompletionsV1
from .grounded import AsyncGrounded

__all__ = ["AsyncChat", "AsyncCompletions", "AsyncCompletionsV1", "AsyncGrounded"]


class AsyncChat(AsyncAPIResource):
    """``client.chat``."""

    @cached_property
    def completions(self) -> AsyncCompletions:
        """Chat completions v2 (``/ai/v2/chat/completions``), with Gloo's routing."""
        return AsyncCompletions(self._requester)

    @cached_property
    def completions_v1(self) -> AsyncCompletionsV1:
        """The deprecated chat completions v1 (``/ai/v1/chat/completions``)."""
        return AsyncCompletionsV1(self._requester)

    @cached_property
    def grounded(self) -> AsyncGrounded:
        """Grounded completions (RAG): answers drawn from a publisher's content, with their
        sources (``/ai/v2/chat/completions/grounded``; Gen-2 on guarded and direct)."""
        return AsyncGrounded(self._requester)
