"""The running token totals of a client's chat completions, and their estimated cost.

Gloo's responses carry no cost: `UsageTotals.estimated_cost` prices the totals with the model
catalog's rates, exactly (`decimal.Decimal`).
"""

from __future__ import annotations

import decimal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .chat.chat_completion import CompletionUsage
from .models import Model, ModelCatalog, cached_tokens_of, catalog_of

__all__ = ["ModelUsage", "UsageTotals"]


@dataclass
class ModelUsage:
    """The tokens one model used, summed over a client's completions.

    Attributes:
        requests: completions that reported usage.
        prompt_tokens: input tokens (cached ones included).
        completion_tokens: output tokens (reasoning ones included).
        cached_tokens: input tokens read from the provider's cache.
    """

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def as_usage(self) -> CompletionUsage:
        """These totals as a `CompletionUsage` (for `Model.estimated_cost`)."""
        return CompletionUsage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens,
            cache_read_input_tokens=self.cached_tokens or None,
        )


class UsageTotals:
    """``client.usage``: the tokens of every chat completion a client (and its
    ``with_options`` copies) received, per model.

    A completion counts once, when its answer is parsed: a retried request counts only the
    answer that arrived, each step of ``run_tools`` counts, and a stream counts its usage
    chunk (sent with ``stream_options={"include_usage": True}``, which
    ``chat.completions.stream()`` asks for by default; a stream without it reports none).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, ModelUsage] = {}

    def __repr__(self) -> str:
        return (
            f"UsageTotals(requests={self.requests}, prompt_tokens={self.prompt_tokens}, "
            f"completion_tokens={self.completion_tokens})"
        )

    @property
    def by_model(self) -> dict[str, ModelUsage]:
        """The totals per model id (a copy)."""
        with self._lock:
            return {
                model: ModelUsage(u.requests, u.prompt_tokens, u.completion_tokens, u.cached_tokens)
                for model, u in self._models.items()
            }

    @property
    def requests(self) -> int:
        """Completions that reported usage."""
        return sum(u.requests for u in self.by_model.values())

    @property
    def prompt_tokens(self) -> int:
        """Input tokens, over every model."""
        return sum(u.prompt_tokens for u in self.by_model.values())

    @property
    def completion_tokens(self) -> int:
        """Output tokens, over every model."""
        return sum(u.completion_tokens for u in self.by_model.values())

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens, over every model."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, model: str | None, usage: CompletionUsage, *, requests: int = 1) -> None:
        """Count one completion's ``usage`` for ``model`` (the id its answer names)."""
        self.add_tokens(
            model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cached_tokens=cached_tokens_of(usage),
            requests=requests,
        )

    def add_tokens(
        self,
        model: str | None,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        requests: int = 0,
    ) -> None:
        """Add token counts (which may be corrections, negative) for ``model``."""
        with self._lock:
            key = model or ""
            totals = self._models.get(key)
            if totals is None:
                totals = self._models[key] = ModelUsage()
            totals.requests += requests
            totals.prompt_tokens += prompt_tokens
            totals.completion_tokens += completion_tokens
            totals.cached_tokens += cached_tokens

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self._models.clear()

    def estimated_cost(self, catalog: ModelCatalog | Iterable[Model]) -> Decimal | None:
        """The exact cost in dollars of every token counted so far, at the catalog's rates.

        Returns:
            The cost (``Decimal(0)`` before any usage), or None when a model that was used
            is not in the catalog or lacks a rate its tokens need.
        """
        found = catalog_of(catalog)
        total = Decimal(0)
        with decimal.localcontext() as context:
            context.prec = 200  # the sum stays exact
            for model_id, usage in self.by_model.items():
                cost = found.estimated_cost(model_id, usage.as_usage())
                if cost is None:
                    return None
                total += cost
        return total
