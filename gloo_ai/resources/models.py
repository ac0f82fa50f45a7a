"""``client.models``: the model catalog (``GET /platform/v2/models``, public, no auth).

The catalog is fetched once and cached in the client (shared with its ``with_options``
copies) for ``catalog_ttl`` seconds; any number of concurrent callers share one fetch.
"""

from __future__ import annotations

from typing_extensions import Unpack

from .._call_options import ReadCallOptions, check_arguments
from .._exceptions import NotFoundError
from ..types.models import Model, ModelCatalog
from ._base import AsyncAPIResource, parse_model
from ._catalog import ModelCatalogCache
from ._options import options_of

__all__ = ["CATALOG_PATH", "AsyncModels"]

CATALOG_PATH = "/platform/v2/models"


class AsyncModels(AsyncAPIResource):
    """``client.models``: the catalog of callable models, their capabilities and prices."""

    @property
    def _cache(self) -> ModelCatalogCache:
        return self._requester.shared.get(ModelCatalogCache)

    async def list(
        self, *, refresh: bool = False, **kwargs: Unpack[ReadCallOptions]
    ) -> ModelCatalog:
        """The model catalog: every model you can pass as ``model=``.

        Sent without credentials (the catalog is public), so a client created without any
        can call it. The answer is cached in the client for ``catalog_ttl`` seconds (10
        minutes by default); concurrent callers share one request.

        Args:
            refresh: fetch it now even if the cached copy is still fresh.
            **kwargs: ``extra_headers``, ``extra_query``, ``timeout``, ``max_retries`` (used
                when the catalog is fetched).

        Returns:
            The `ModelCatalog` (``catalog.data`` is the list of `Model`;
            ``catalog.get(model_id)`` finds one).
        """
        check_arguments("models.list", kwargs, ReadCallOptions, also=("refresh",))
        _, options, _ = options_of(kwargs, auth=False, retry="idempotent")

        async def fetch() -> ModelCatalog:
            return await self._request(
                "GET", CATALOG_PATH, body=None, options=options, parse=parse_model(ModelCatalog)
            )

        return await self._cache.get(fetch, refresh=refresh)

    async def retrieve(self, model_id: str, **kwargs: Unpack[ReadCallOptions]) -> Model:
        """One model of the (cached) catalog.

        Args:
            model_id: the model's id, such as ``"gloo-anthropic-claude-haiku-4.5"``.
            **kwargs: as for `list`.

        Raises:
            NotFoundError: no model has this id; the message names the closest ids.
        """
        check_arguments("models.retrieve", kwargs, ReadCallOptions, also=("model_id",))
        catalog = await self.list(**kwargs)
        model = catalog.get(model_id)
        if model is not None:
            return model
        raise _not_found(self._requester.base_url, model_id, catalog)


def _not_found(base_url: str, model_id: str, catalog: ModelCatalog) -> NotFoundError:
    import httpx

    close = catalog.close_ids(model_id)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    message = (
        f"The model catalog has no model {model_id!r}.{hint} "
        "`gloo models` (or client.models.list()) lists every id."
    )
    # The catalog has no per-model endpoint: this 404 is the SDK's, not the server's.
    response = httpx.Response(
        404,
        json={"detail": message},
        request=httpx.Request("GET", f"{base_url}{CATALOG_PATH}/{model_id}"),
    )
    return NotFoundError(message, response=response, body={"detail": message})
