"""Semantic search of publisher content: ``POST /ai/data/v1/search``."""

# No ``from __future__ import annotations``: the kwargs TypedDict is read at run time.

from typing import Any

from pydantic import Field
from typing_extensions import Required

from .._call_options import CallOptions
from .._config import NotGiven
from .._models import GlooModel, RequestModel

__all__ = [
    "SearchMetadata",
    "SearchParams",
    "SearchProperties",
    "SearchQueryKwargs",
    "SearchResponse",
    "SearchResult",
]


class SearchQueryKwargs(CallOptions, total=False):
    """The keyword arguments of ``client.search.query()``.

    ``query`` and ``tenant`` are required; ``collection`` defaults to ``"GlooProd"``,
    ``certainty`` to 0.75 and ``limit`` to 10.
    """

    query: Required[str]
    tenant: Required[str]
    collection: str | NotGiven
    certainty: float | NotGiven
    limit: int | NotGiven


class SearchParams(RequestModel):
    """The body of a search request.

    Attributes:
        query: natural language (semantic, not keyword, search); at least one character.
        collection: always ``"GlooProd"``.
        tenant: the publisher's (tenant's) name, from Studio, Organizations, View Publishers.
        certainty: the lowest certainty of a result, 0 to 1.
        limit: the most results; at least 1.
    """

    query: str = Field(min_length=1, pattern=r"\S")
    collection: str = Field(default="GlooProd", min_length=1)
    tenant: str = Field(min_length=1)
    certainty: float = Field(default=0.75, ge=0, le=1)
    limit: int = Field(default=10, ge=1)


class SearchMetadata(GlooModel):
    """How a result matched.

    Attributes:
        creation_time: when the snippet was indexed (ISO 8601).
        last_update_time: when it was last updated.
        distance: vector distance (lower is closer).
        certainty: 0 to 1 (higher is closer).
        score: the hybrid score, where sent.
        explain_score: the engine's explanation of the score.
        is_consistent: the engine's consistency flag.
        rerank_score: the reranker's score, where sent.
    """

    creation_time: str | None = None
    last_update_time: str | None = None
    distance: float | None = None
    certainty: float | None = None
    score: float | None = None
    explain_score: str | None = None
    is_consistent: bool | None = None
    rerank_score: float | None = None


class SearchProperties(GlooModel):
    """What a result is: open-ended (every field the engine sends is kept); the common ones
    are typed.

    Attributes:
        item_title: the title of the item the snippet belongs to.
        item_id: the item's id.
        publisher: the publisher's name.
        publication_date: when the item was published.
        snippet: the matching text.
        type: the item's media type (``"article"``, ``"book"`` ...).
        author: its authors.
        summaries: the engine's summaries.
        biblical_analysis: the engine's biblical analysis.
        title: a title (some collections).
        url: the item's URL (some collections).
        primary_url: its primary URL (some collections).
        published_date: its publication date (some collections).
    """

    item_title: str | None = None
    item_id: str | None = None
    publisher: str | None = None
    publication_date: str | None = None
    snippet: str | None = None
    type: str | None = None
    author: list[str] | str | None = None
    summaries: Any = None
    biblical_analysis: Any = None
    title: str | None = None
    url: str | None = None
    primary_url: str | None = None
    published_date: str | None = None


class SearchResult(GlooModel):
    """One matching snippet.

    Attributes:
        uuid: the snippet's id.
        metadata: how it matched.
        properties: what it is.
        references: unused (null).
        vector: unused (``{}``).
        collection: the collection it came from.
    """

    uuid: str
    metadata: SearchMetadata | None = None
    properties: SearchProperties = Field(default_factory=SearchProperties)
    references: Any = None
    vector: Any = None
    collection: str | None = None


class SearchResponse(GlooModel):
    """The answer of a search: ``data`` (best first) and the query's ``intent``.

    Attributes:
        data: the results.
        intent: the intent the engine read in the query.
    """

    data: list[SearchResult] = Field(default_factory=list)
    intent: int | None = None
