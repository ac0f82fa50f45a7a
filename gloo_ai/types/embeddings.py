"""Embeddings: ``POST /ai/v2/direct/embeddings`` (gloo-api.md §13; seen only in code).

The path is the only one known (Gloo's docs do not describe embeddings); the answer is taken
to be OpenAI's shape (``data[].embedding``), with every unknown field kept.
"""

# No ``from __future__ import annotations``: the kwargs TypedDict is read at run time.

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator
from typing_extensions import Required

from .._call_options import CallOptions
from .._models import GlooModel, RequestModel

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "CreateEmbeddingResponse",
    "Embedding",
    "EmbeddingCreateKwargs",
    "EmbeddingCreateParams",
    "EmbeddingUsage",
]

DEFAULT_EMBEDDING_MODEL = "gloo-baai-bge-base-en-v1.5"
"""The embedding model Gloo's callers use (gloo-api.md §3.6)."""


class EmbeddingCreateKwargs(CallOptions, total=False):
    """The keyword arguments of ``client.embeddings.create()``.

    ``model`` and ``input`` are required: ``input`` is one text or a list of texts, none of
    them empty.
    """

    model: Required[str]
    input: Required[str | Sequence[str]]


class EmbeddingCreateParams(RequestModel):
    """The body of an embeddings request: ``{"model", "input": [...]}``.

    Attributes:
        model: the embedding model's id, such as ``"gloo-baai-bge-base-en-v1.5"``.
        input: the texts to embed, at least one, each with a non-blank character.
    """

    model: str = Field(min_length=1, pattern=r"\S")
    input: list[str] = Field(min_length=1)

    @field_validator("input", mode="before")
    @classmethod
    def _one_text_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("input")
    @classmethod
    def _no_empty_text(cls, value: list[str]) -> list[str]:
        for i, text in enumerate(value):
            if not text.strip():
                raise ValueError(f"text {i} is empty; every text to embed needs some content")
        return value


class Embedding(GlooModel):
    """One embedding of the answer.

    Attributes:
        index: the position of its text in ``input``.
        embedding: the vector, a list of floats.
        object: ``"embedding"``.
    """

    index: int = 0
    embedding: list[float]
    object: Literal["embedding"] | str = "embedding"


class EmbeddingUsage(GlooModel):
    """Token counts of an embeddings request."""

    prompt_tokens: int = 0
    total_tokens: int = 0


class CreateEmbeddingResponse(GlooModel):
    """The answer of ``client.embeddings.create()``.

    Attributes:
        data: one `Embedding` per text, in the order of ``input``.
        model: the model that made them.
        usage: the token counts, where sent.
        object: ``"list"``.
    """

    data: list[Embedding]
    model: str = ""
    usage: EmbeddingUsage | None = None
    object: Literal["list"] | str = "list"

    @property
    def embeddings(self) -> list[list[float]]:
        """The vectors alone, in the order of ``input``."""
        return [item.embedding for item in sorted(self.data, key=lambda item: item.index)]
