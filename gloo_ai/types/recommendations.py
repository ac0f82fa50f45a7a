"""Item recommendations: ``POST /ai/v1/data/items/recommendations/{base,verbose}`` and
``POST /ai/v1/data/affiliates/referenced-items``."""

# No ``from __future__ import annotations``: the kwargs TypedDicts are read at run time.

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field
from typing_extensions import Required

from .._call_options import CallOptions
from .._config import NotGiven
from .._models import GlooModel, RequestModel

__all__ = [
    "AffiliateItem",
    "AffiliateRecommendationKwargs",
    "AffiliateRecommendationParams",
    "ItemSnippet",
    "MediaType",
    "RecommendationKwargs",
    "RecommendationParams",
    "RecommendedItem",
]

MediaType = Literal["audio", "video", "book", "article"]
"""A media type to recommend (the older API's ``media_types``)."""


class AffiliateRecommendationKwargs(CallOptions, total=False):
    """The keyword arguments of ``client.recommendations.affiliates()``: ``query``
    (required), ``item_count`` (1 to 50, default 5) and ``certainty_threshold`` (0 to 1,
    default 0.75)."""

    query: Required[str]
    item_count: int | NotGiven
    certainty_threshold: float | NotGiven


class RecommendationKwargs(AffiliateRecommendationKwargs, total=False):
    """The keyword arguments of ``client.recommendations.base()`` and ``verbose()``: those
    of ``affiliates`` plus ``tenant`` (required), ``collection`` (default ``"GlooProd"``) and
    the older API's optional ``publishers``, ``media_types``, ``max_snippet_count_overall``
    and ``min_snippet_count_per_item``."""

    tenant: Required[str]
    collection: str | NotGiven
    publishers: Sequence[str] | NotGiven
    media_types: Sequence[MediaType] | NotGiven
    max_snippet_count_overall: int | NotGiven
    min_snippet_count_per_item: int | NotGiven


class AffiliateRecommendationParams(RequestModel):
    """The body of an affiliate recommendation request.

    Attributes:
        query: what to find items about; at least one character.
        item_count: how many items, 1 to 50.
        certainty_threshold: the lowest certainty of a matching snippet, 0 to 1.
    """

    query: str = Field(min_length=1, pattern=r"\S")
    item_count: int = Field(default=5, ge=1, le=50)
    certainty_threshold: float = Field(default=0.75, ge=0, le=1)


class RecommendationParams(AffiliateRecommendationParams):
    """The body of a publisher-scoped recommendation request (``base``, ``verbose``).

    Attributes:
        collection: always ``"GlooProd"``.
        tenant: the publisher's (tenant's) name.
        publishers: publisher names (your own organisation's only; older API).
        media_types: the media types to recommend (older API).
        max_snippet_count_overall: the most snippets in all (older API).
        min_snippet_count_per_item: the fewest matching snippets per item, at least 1.
    """

    collection: str = Field(default="GlooProd", min_length=1)
    tenant: str = Field(min_length=1)
    publishers: list[str] | None = None
    media_types: list[MediaType] | None = None
    max_snippet_count_overall: int | None = Field(default=None, ge=1)
    min_snippet_count_per_item: int | None = Field(default=None, ge=1)


class ItemSnippet(GlooModel):
    """A snippet of a recommended item that matched the query.

    Attributes:
        uuid: the snippet's id.
        ai_title: its generated title.
        ai_subtitle: its generated subtitle.
        item_summary: a summary of the item.
        time_start: where it starts (audio and video).
        time_end: where it ends.
        part: which part of the item it is.
        certainty: how well it matched, 0 to 1.
        snippet: its full text (``verbose`` only).
    """

    uuid: str | None = None
    ai_title: str | None = None
    ai_subtitle: str | None = None
    item_summary: str | None = None
    time_start: Any = None
    time_end: Any = None
    part: Any = None
    certainty: float | None = None
    snippet: str | None = None


class RecommendedItem(GlooModel):
    """An item of the publisher's, ranked by its matching snippets.

    Attributes:
        item_id: the item's id.
        item_title: its title.
        item_subtitle: its subtitle.
        item_url: where to read, watch or hear it.
        item_image: its image.
        author: its authors.
        tradition: its faith tradition.
        duration: its length (audio and video).
        uuids: the snippets that matched, best first.
    """

    item_id: str | None = None
    item_title: str | None = None
    item_subtitle: str | None = None
    item_url: str | None = None
    item_image: str | None = None
    author: list[str] | None = None
    tradition: str | None = None
    duration: Any = None
    uuids: list[ItemSnippet] = Field(default_factory=list)


class AffiliateItem(GlooModel):
    """An item from the affiliate network (other publishers that allow references).

    The ``h2_*`` and ``h3_*`` fields (the item's parent and grandparent, such as a series)
    are kept as sent.

    Attributes:
        item_id: the item's id.
        item_title: its title.
        item_subtitle: its subtitle.
        item_url: where to find it.
        item_image: its image.
        item_tags: its tags.
        author: its authors.
        filename: its file name.
        tradition: its faith tradition.
        denomination: its denomination (sent instead of ``tradition`` by some publishers).
        duration: its length.
        summary: a summary.
        type: its media type.
        publication_date: when it was published.
        publisher: the publisher's name.
        publisher_id: the publisher's id.
        publisher_url: the publisher's site.
        publisher_logo: the publisher's logo.
        hosted_url: where Gloo hosts it.
        snippet_count: how many of its snippets matched.
        cumulative_certainty: their certainties, summed (the tie-breaker of the ranking).
    """

    item_id: str | None = None
    item_title: str | None = None
    item_subtitle: str | None = None
    item_url: str | None = None
    item_image: str | None = None
    item_tags: Any = None
    author: list[str] | None = None
    filename: str | None = None
    tradition: str | None = None
    denomination: str | None = None
    duration: Any = None
    summary: str | None = None
    type: str | None = None
    publication_date: str | None = None
    publisher: str | None = None
    publisher_id: str | None = None
    publisher_url: str | None = None
    publisher_logo: str | None = None
    hosted_url: str | None = None
    snippet_count: int | None = None
    cumulative_certainty: float | None = None
