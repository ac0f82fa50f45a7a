"""``client.recommendations``: items of a publisher (``base``, ``verbose``) or of the
affiliate network (``affiliates``) that best match a query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import Unpack

from .._call_options import check_arguments
from .._models import RequestModel
from .._response import parse_as
from ..types.recommendations import (
    AffiliateItem,
    AffiliateRecommendationKwargs,
    AffiliateRecommendationParams,
    RecommendationKwargs,
    RecommendationParams,
    RecommendedItem,
)
from ._base import AsyncAPIResource
from ._options import body_of, options_of

__all__ = ["AFFILIATES_PATH", "BASE_PATH", "VERBOSE_PATH", "AsyncRecommendations"]

BASE_PATH = "/ai/v1/data/items/recommendations/base"
VERBOSE_PATH = "/ai/v1/data/items/recommendations/verbose"
AFFILIATES_PATH = "/ai/v1/data/affiliates/referenced-items"


class AsyncRecommendations(AsyncAPIResource):
    """``client.recommendations``: items ranked by how many of their snippets match a query
    (ties broken by the snippets' summed certainty)."""

    async def base(self, **kwargs: Unpack[RecommendationKwargs]) -> list[RecommendedItem]:
        """Items of a publisher that match ``query``, with their matching snippets' metadata.

        Example::

            items = await client.recommendations.base(
                query="grief", tenant="TestOrg", item_count=3
            )
            for item in items:
                print(item.item_title, [s.ai_title for s in item.uuids])

        Args:
            **kwargs: `RecommendationKwargs`: ``query`` and ``tenant`` (required),
                ``item_count`` (1 to 50, default 5), ``certainty_threshold`` (0 to 1,
                default 0.75), ``collection`` (``"GlooProd"``), the older API's
                ``publishers``, ``media_types``, ``max_snippet_count_overall`` and
                ``min_snippet_count_per_item``, and the call options.

        Returns:
            The items (`RecommendedItem`), best first.

        Raises:
            InvalidArgumentError: a value out of range or an unknown argument; nothing was
                sent.
        """
        return await self._send("recommendations.base", BASE_PATH, kwargs)

    async def verbose(self, **kwargs: Unpack[RecommendationKwargs]) -> list[RecommendedItem]:
        """As `base`, with each snippet's full text (``item.uuids[i].snippet``)."""
        return await self._send("recommendations.verbose", VERBOSE_PATH, kwargs)

    async def affiliates(
        self, **kwargs: Unpack[AffiliateRecommendationKwargs]
    ) -> list[AffiliateItem]:
        """Items from other publishers in Gloo's affiliate network that match ``query``.

        Args:
            **kwargs: `AffiliateRecommendationKwargs`: ``query`` (required), ``item_count``
                (1 to 50, default 5), ``certainty_threshold`` (0 to 1, default 0.75) and the
                call options. No tenant: the network spans publishers.

        Returns:
            The items (`AffiliateItem`), best first.

        Raises:
            InvalidArgumentError: a value out of range or an unknown argument; nothing was
                sent.
        """
        where = "recommendations.affiliates"
        check_arguments(where, kwargs, AffiliateRecommendationKwargs)
        items: list[AffiliateItem] = await self._post(
            where, AFFILIATES_PATH, AffiliateRecommendationParams, kwargs, list[AffiliateItem]
        )
        return items

    async def _send(
        self, where: str, path: str, kwargs: Mapping[str, Any]
    ) -> list[RecommendedItem]:
        check_arguments(where, kwargs, RecommendationKwargs)
        items: list[RecommendedItem] = await self._post(
            where, path, RecommendationParams, kwargs, list[RecommendedItem]
        )
        return items

    async def _post(
        self,
        where: str,
        path: str,
        params_cls: type[RequestModel],
        kwargs: Mapping[str, Any],
        cast_to: Any,
    ) -> Any:
        fields, options, extra_body = options_of(kwargs, retry="idempotent")
        body = body_of(where, params_cls, fields, extra_body)
        return await self._request(
            "POST", path, body=body, options=options, parse=parse_as(cast_to)
        )
