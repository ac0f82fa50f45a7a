"""The model catalog (``GET /platform/v2/models``): models, their capabilities and prices.

Rates arrive as strings (``"0.15"``) and are kept exact as `decimal.Decimal`; a cost is
computed from them with no rounding at all.
"""

from __future__ import annotations

import decimal
import difflib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from .. import _display as md
from .._models import GlooModel

if TYPE_CHECKING:
    from .chat.chat_completion import CompletionUsage

__all__ = [
    "Model",
    "ModelCatalog",
    "ModelPricing",
    "TokenRate",
    "cached_tokens_of",
    "catalog_of",
]

# Enough digits for any product of a token count and a rate: the cost is exact.
_EXACT = decimal.Context(prec=200, traps=[decimal.Inexact, decimal.InvalidOperation])
_MILLION = Decimal(1_000_000)
_THOUSAND = Decimal(1_000)


class TokenRate(GlooModel):
    """The price of one kind of token, in US dollars (Gloo sends both units as strings).

    Attributes:
        rate_per_1k_tokens: dollars per 1,000 tokens.
        rate_per_1m_tokens: dollars per 1,000,000 tokens.
    """

    rate_per_1k_tokens: Decimal | None = None
    rate_per_1m_tokens: Decimal | None = None

    @property
    def per_million(self) -> Decimal | None:
        """Dollars per 1,000,000 tokens (from ``rate_per_1k_tokens`` if only that is sent)."""
        if self.rate_per_1m_tokens is not None:
            return self.rate_per_1m_tokens
        if self.rate_per_1k_tokens is not None:
            return _EXACT.multiply(self.rate_per_1k_tokens, _THOUSAND).normalize(_EXACT)
        return None


class ModelPricing(GlooModel):
    """A model's rates. ``cache_read`` appears only where the catalog has it.

    Attributes:
        input: prompt tokens.
        output: completion tokens (reasoning tokens included).
        cache_read: prompt tokens read from the provider's cache.
    """

    input: TokenRate | None = None
    output: TokenRate | None = None
    cache_read: TokenRate | None = None


class Model(GlooModel):
    """One callable model of the catalog. Everything but ``id`` is optional; fields this SDK
    does not know are kept.

    Attributes:
        id: the model id to pass as ``model=`` (``"gloo-anthropic-claude-haiku-4.5"``).
        name: the display name.
        family: ``"Anthropic"``, ``"OpenAI"``, ``"Google"``, ``"Open Source"``, ...
        provider_id: the provider's own id (``"anthropic/claude-haiku-4.5"``).
        description: a short description.
        context_window: the most tokens of input and output together.
        max_output_tokens: the most tokens of output.
        input_modalities: ``["text", "image"]`` and so on.
        output_modalities: ``["text"]`` or ``["image"]``; absent means ``["text"]``.
        supports_tools: whether the model can call tools.
        supports_reasoning: whether it is a reasoning model (needs ``max_tokens >= 1024``).
        pricing: its rates.
    """

    id: str
    name: str | None = None
    family: str | None = None
    provider_id: str | None = None
    description: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_modalities: list[str] | None = None
    output_modalities: list[str] = Field(default_factory=lambda: ["text"])
    supports_tools: bool | None = None
    supports_reasoning: bool | None = None
    pricing: ModelPricing | None = None

    @field_validator("output_modalities", mode="before")
    @classmethod
    def _absent_means_text(cls, value: object) -> object:
        return ["text"] if value is None else value

    def _repr_markdown_(self) -> str:
        """How Jupyter shows a model: one row of the catalog's table."""
        return md.table(_MODEL_COLUMNS, [_model_row(self)])

    @property
    def is_image_only(self) -> bool:
        """Whether the model only makes images (it cannot chat)."""
        return self.output_modalities == ["image"]

    def estimated_cost(self, usage: CompletionUsage | None) -> Decimal | None:
        """The exact cost in dollars of ``usage`` at this model's rates.

        Prompt tokens are priced at the input rate; cached prompt tokens (where the usage
        reports them, ``cache_read_input_tokens`` or ``prompt_tokens_details.cached_tokens``,
        counted within ``prompt_tokens``) at the ``cache_read`` rate when the catalog has one;
        completion tokens at the output rate.

        Returns:
            The cost, or None when ``usage`` or a rate it needs is unknown.
        """
        if usage is None or self.pricing is None:
            return None
        input_rate = self.pricing.input.per_million if self.pricing.input else None
        output_rate = self.pricing.output.per_million if self.pricing.output else None
        if input_rate is None or (usage.completion_tokens and output_rate is None):
            return None
        cache_rate = self.pricing.cache_read.per_million if self.pricing.cache_read else None
        prompt = usage.prompt_tokens
        cached = min(cached_tokens_of(usage), prompt) if cache_rate is not None else 0
        ctx = _EXACT
        total = ctx.multiply(Decimal(prompt - cached), input_rate)
        if cached:
            assert cache_rate is not None
            total = ctx.add(total, ctx.multiply(Decimal(cached), cache_rate))
        if usage.completion_tokens:
            assert output_rate is not None
            total = ctx.add(total, ctx.multiply(Decimal(usage.completion_tokens), output_rate))
        return ctx.divide(total, _MILLION)


def cached_tokens_of(usage: CompletionUsage) -> int:
    """The prompt tokens a usage reports as read from the cache (0 when it says nothing)."""
    if usage.cache_read_input_tokens:
        return usage.cache_read_input_tokens
    details = usage.prompt_tokens_details or {}
    cached = details.get("cached_tokens")
    return cached if isinstance(cached, int) and not isinstance(cached, bool) else 0


_MODEL_COLUMNS = (
    "id",
    "family",
    "context",
    "max output",
    "tools",
    "reasoning",
    "input $/1M",
    "output $/1M",
)


def _model_row(model: Model) -> list[str]:
    pricing = model.pricing
    rate_in = pricing.input.per_million if pricing and pricing.input else None
    rate_out = pricing.output.per_million if pricing and pricing.output else None
    return [
        md.code(model.id),
        md.inline(model.family) if model.family else "—",
        md.number(model.context_window),
        md.number(model.max_output_tokens),
        md.number(model.supports_tools),
        md.number(model.supports_reasoning),
        md.number(rate_in),
        md.number(rate_out),
    ]


class ModelCatalog(GlooModel):
    """The catalog: ``{"object": "list", "data": [Model, ...]}``, as ``client.models.list()``
    returns it. ``catalog.get(model_id)`` finds one model.

    Attributes:
        object: ``"list"``.
        data: the models.
    """

    object: str = "list"
    data: list[Model] = Field(default_factory=list)

    def get(self, model_id: str) -> Model | None:
        """The model with this id, or None."""
        for model in self.data:
            if model.id == model_id:
                return model
        return None

    def ids(self) -> list[str]:
        """Every model id, in the catalog's order."""
        return [model.id for model in self.data]

    def close_ids(self, model_id: str, n: int = 3) -> list[str]:
        """The ids closest to ``model_id`` (for "did you mean" messages)."""
        return difflib.get_close_matches(model_id, self.ids(), n=n, cutoff=0.5)

    def __len__(self) -> int:
        return len(self.data)

    def _repr_markdown_(self) -> str:
        """How Jupyter shows the catalog: a table, one model a row, with its rates."""
        count = f"**{len(self.data)} model{'s' if len(self.data) != 1 else ''}**"
        return md.markdown(count, md.table(_MODEL_COLUMNS, map(_model_row, self.data)))

    def models(self) -> Iterator[Model]:
        """Iterate over the models."""
        return iter(self.data)

    def estimated_cost(self, model_id: str, usage: CompletionUsage | None) -> Decimal | None:
        """The exact cost of ``usage`` at ``model_id``'s rates; None if either is unknown."""
        model = self.get(model_id)
        return model.estimated_cost(usage) if model is not None else None


def catalog_of(catalog: ModelCatalog | Iterable[Model]) -> ModelCatalog:
    """A `ModelCatalog` from a catalog or any iterable of models."""
    if isinstance(catalog, ModelCatalog):
        return catalog
    return ModelCatalog(data=list(catalog))
