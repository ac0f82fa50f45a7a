"""Grounded completions (RAG): the completion, its chunks, its citations (gloo-api.md §4).

A grounded completion is a v2 chat completion plus ``sources_returned`` (whether retrieval
found sources to ground the answer in) and, with ``include_citations=True``, ``citations``.
The citation schema is not in Gloo's docs: ``item_title``, ``item_url`` and ``snippets`` are
what Gloo's clients read; every other field of a citation is kept as sent.
"""

from __future__ import annotations

from pydantic import Field

from ..._models import GlooModel
from .chat_completion import ChatCompletion
from .chat_completion_chunk import ChatCompletionChunk

__all__ = ["Citation", "GroundedChatCompletion", "GroundedChatCompletionChunk"]


class Citation(GlooModel):
    """A source the answer drew on: an item of the publisher's content.

    Every field is optional, and fields this SDK does not know are kept (``model_extra``).

    Attributes:
        item_title: the item's title.
        item_url: where the item is published.
        snippets: the passages of the item that were retrieved.
    """

    item_title: str | None = None
    item_url: str | None = None
    snippets: list[str] = Field(default_factory=list)


class GroundedChatCompletion(ChatCompletion):
    """A grounded chat completion: a `ChatCompletion` plus what retrieval found.

    Attributes:
        sources_returned: whether retrieval found sources that ground the answer (None where
            Gloo did not say).
        citations: the sources, with ``include_citations=True`` (else empty).
    """

    sources_returned: bool | None = None
    citations: list[Citation] = Field(default_factory=list)


class GroundedChatCompletionChunk(ChatCompletionChunk):
    """A chunk of a streamed grounded completion.

    With ``include_citations=True`` the first event of the stream carries ``citations`` and
    no ``choices``; the chunks after it are ordinary chat chunks.

    Attributes:
        sources_returned: whether retrieval found sources, where this chunk says.
        citations: the citations this event carries, else None.
    """

    sources_returned: bool | None = None
    citations: list[Citation] | None = None
