"""``client.search``: semantic search of publisher content (``POST /ai/data/v1/search``)."""

from __future__ import annotations

from typing_extensions import Unpack

from .._call_options import check_arguments
from ..types.search import SearchParams, SearchQueryKwargs, SearchResponse
from ._base import AsyncAPIResource, parse_model
from ._options import body_of, options_of

__all__ = ["SEARCH_PATH", "AsyncSearch"]

SEARCH_PATH = "/ai/data/v1/search"


class AsyncSearch(AsyncAPIResource):
    """``client.search``: find the snippets of a publisher's content closest in meaning."""

    async def query(self, **kwargs: Unpack[SearchQueryKwargs]) -> SearchResponse:
        """Search a publisher's content by meaning (not keywords).

        Example::

            found = await client.search.query(query="How can I find true happiness?",
                                              tenant="TestOrg", limit=5)
            for result in found.data:
                print(result.properties.item_title, result.metadata.certainty)

        Args:
            **kwargs: `SearchQueryKwargs`:

                - ``query`` (required): natural language; not empty.
                - ``tenant`` (required): the publisher's name, from Gloo AI Studio
                  (Organizations, View Publishers).
                - ``collection``: ``"GlooProd"`` (the default).
                - ``certainty``: the lowest certainty of a result, 0 to 1 (default 0.75).
                - ``limit``: the most results, at least 1 (default 10).
                - ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                  ``max_retries``.

        Returns:
            A `SearchResponse`: ``data`` (each a `SearchResult` with ``uuid``, ``metadata``
            and ``properties``) and ``intent``.

        Raises:
            InvalidArgumentError: an empty query, a certainty outside 0..1, a limit below 1,
                or an unknown argument; nothing was sent.
        """
        where = "search.query"
        check_arguments(where, kwargs, SearchQueryKwargs)
        fields, options, extra_body = options_of(kwargs, retry="idempotent")
        body = body_of(where, SearchParams, fields, extra_body)
        return await self._request(
            "POST", SEARCH_PATH, body=body, options=options, parse=parse_model(SearchResponse)
        )
