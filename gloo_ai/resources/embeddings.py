"""``client.embeddings``: vectors of texts (``POST /ai/v2/direct/embeddings``, gloo-api.md §13).

The direct surface's path is the only one known, so it serves every client whatever its
surface setting: embeddings have no guardrails or values layer to choose.
"""

from __future__ import annotations

from typing_extensions import Unpack

from .._call_options import check_arguments
from ..types.embeddings import CreateEmbeddingResponse, EmbeddingCreateKwargs, EmbeddingCreateParams
from ._base import AsyncAPIResource, parse_model, raw_response_wrapper
from ._options import body_of, options_of

__all__ = ["EMBEDDINGS_PATH", "AsyncEmbeddings"]

EMBEDDINGS_PATH = "/ai/v2/direct/embeddings"


class AsyncEmbeddings(AsyncAPIResource):
    """``client.embeddings``: turn texts into vectors for semantic search and clustering."""

    @property
    def with_raw_response(self) -> AsyncEmbeddingsWithRawResponse:
        """The same methods, returning the `APIResponse` (status, headers, request id)."""
        return AsyncEmbeddingsWithRawResponse(self)

    async def create(self, **kwargs: Unpack[EmbeddingCreateKwargs]) -> CreateEmbeddingResponse:
        """Embed one text or a list of texts (``POST /ai/v2/direct/embeddings``).

        Example::

            result = await client.embeddings.create(
                model="gloo-baai-bge-base-en-v1.5",
                input=["What is grace?", "Love your neighbour."],
            )
            vector = result.data[0].embedding  # a list of floats

        Args:
            **kwargs: `EmbeddingCreateKwargs`:

                - ``model`` (required): the embedding model, such as
                  ``"gloo-baai-bge-base-en-v1.5"``.
                - ``input`` (required): a text, or a list of texts; at least one, none empty.
                - ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                  ``max_retries``.

        Returns:
            A `CreateEmbeddingResponse`: ``data`` (one `Embedding` per text, in order, each
            with its ``embedding``), ``model`` and ``usage``.

        Raises:
            InvalidArgumentError: an empty ``input`` (``""``, ``[]`` or a blank text), an
                empty model, or an unknown argument; nothing was sent.
            APIStatusError: the API answered with an error status (a subclass per status).
        """
        where = "embeddings.create"
        check_arguments(where, kwargs, EmbeddingCreateKwargs)
        # The same texts give the same vectors: a retry pays for nothing new.
        fields, options, extra_body = options_of(kwargs, retry="idempotent")
        body = body_of(where, EmbeddingCreateParams, fields, extra_body)
        return await self._request(
            "POST",
            EMBEDDINGS_PATH,
            body=body,
            options=options,
            parse=parse_model(CreateEmbeddingResponse),
        )


class AsyncEmbeddingsWithRawResponse:
    """``client.embeddings.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, embeddings: AsyncEmbeddings) -> None:
        self.create = raw_response_wrapper(embeddings.create)
