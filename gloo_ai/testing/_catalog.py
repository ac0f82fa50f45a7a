"""The emulator's model catalog: ``GET /platform/v2/models`` (public, no auth).

A realistic list taken from Gloo's "Supported Models" page and the catalog code of Gloo's own
examples: rates as strings in both units, a model that only quotes ``rate_per_1k_tokens``,
cache-read rates where providers have them, reasoning models, a model without tools, and an
image-only model. Every model the emulator routes to is in it, so the cost of an emulated
completion can be estimated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from ._asgi import Reply, json_reply
from ._routes import RouteRequest, route

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["CATALOG_MODELS", "CATALOG_PATH", "CATALOG_ROUTES", "catalog_body"]

CATALOG_PATH: Final = "/platform/v2/models"


def _rate(per_million: str) -> dict[str, str]:
    per_1k = Decimal(per_million) / 1000
    return {
        "rate_per_1k_tokens": format(per_1k.normalize(), "f"),
        "rate_per_1m_tokens": per_million,
    }


def _pricing(input_rate: str, output_rate: str, cache_read: str | None = None) -> dict[str, Any]:
    pricing: dict[str, Any] = {"input": _rate(input_rate), "output": _rate(output_rate)}
    if cache_read is not None:
        pricing["cache_read"] = _rate(cache_read)
    return pricing


def _model(
    model_id: str,
    name: str,
    family: str,
    provider_id: str,
    *,
    context_window: int,
    max_output_tokens: int,
    tools: bool,
    reasoning: bool,
    pricing: dict[str, Any],
    inputs: tuple[str, ...] = ("text",),
    outputs: tuple[str, ...] | None = ("text",),
    description: str = "",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": model_id,
        "name": name,
        "family": family,
        "provider_id": provider_id,
        "description": description or f"{name}, served by Gloo AI.",
        "context_window": context_window,
        "max_output_tokens": max_output_tokens,
        "input_modalities": list(inputs),
        "supports_tools": tools,
        "supports_reasoning": reasoning,
        "pricing": pricing,
    }
    if outputs is not None:  # absent means text
        entry["output_modalities"] = list(outputs)
    return entry


_TEXT_IMAGE = ("text", "image")

CATALOG_MODELS: Final[list[dict[str, Any]]] = [
    _model(
        "gloo-anthropic-claude-haiku-4.5", "Claude Haiku 4.5", "Anthropic",
        "anthropic/claude-haiku-4.5", context_window=200_000, max_output_tokens=64_000,
        tools=True, reasoning=False, inputs=_TEXT_IMAGE, pricing=_pricing("1.00", "5.00", "0.10"),
    ),
    _model(
        "gloo-anthropic-claude-sonnet-4.5", "Claude Sonnet 4.5", "Anthropic",
        "anthropic/claude-sonnet-4.5", context_window=200_000, max_output_tokens=64_000,
        tools=True, reasoning=False, inputs=_TEXT_IMAGE, pricing=_pricing("3.00", "15.00", "0.30"),
    ),
    _model(
        "gloo-openai-gpt-5-nano", "GPT-5 Nano", "OpenAI", "openai/gpt-5-nano",
        context_window=400_000, max_output_tokens=128_000, tools=True, reasoning=True,
        inputs=_TEXT_IMAGE, pricing=_pricing("0.05", "0.40", "0.005"),
    ),
    _model(
        "gloo-openai-gpt-5-mini", "GPT-5 Mini", "OpenAI", "openai/gpt-5-mini",
        context_window=400_000, max_output_tokens=128_000, tools=True, reasoning=True,
        inputs=_TEXT_IMAGE, pricing=_pricing("0.25", "2.00", "0.025"),
    ),
    _model(
        "gloo-openai-gpt-5.2", "GPT-5.2", "OpenAI", "openai/gpt-5.2",
        context_window=400_000, max_output_tokens=128_000, tools=True, reasoning=True,
        inputs=_TEXT_IMAGE, pricing=_pricing("1.75", "14.00", "0.175"),
    ),
    _model(
        "gloo-google-gemini-2.5-flash", "Gemini 2.5 Flash", "Google", "google/gemini-2.5-flash",
        context_window=1_048_576, max_output_tokens=65_535, tools=True, reasoning=False,
        inputs=_TEXT_IMAGE, pricing=_pricing("0.30", "2.50", "0.03"),
    ),
    _model(
        "gloo-google-gemini-2.5-pro", "Gemini 2.5 Pro", "Google", "google/gemini-2.5-pro",
        context_window=1_048_576, max_output_tokens=65_536, tools=True, reasoning=True,
        inputs=_TEXT_IMAGE, pricing=_pricing("1.25", "10.00", "0.125"),
    ),
    _model(
        "gloo-meta-llama-3.1-8b-instruct", "Llama 3.1 8B Instruct", "Open Source",
        "meta-llama/llama-3.1-8b-instruct", context_window=131_072, max_output_tokens=16_384,
        tools=False, reasoning=False, outputs=None,
        pricing={"input": {"rate_per_1k_tokens": "0.00002"},
                 "output": {"rate_per_1k_tokens": "0.00005"}},
    ),
    _model(
        "gloo-deepseek-v3.2", "DeepSeek V3.2", "Open Source", "deepseek/deepseek-v3.2",
        context_window=163_840, max_output_tokens=65_500, tools=True, reasoning=False,
        pricing=_pricing("0.28", "0.42"),
    ),
    _model(
        "gloo-deepseek-r1", "DeepSeek R1", "Open Source", "deepseek/deepseek-r1",
        context_window=163_840, max_output_tokens=163_840, tools=False, reasoning=True,
        pricing=_pricing("0.70", "2.50"),
    ),
    _model(
        "gloo-openai-gpt-oss-120b", "GPT-OSS 120B", "Open Source", "openai/gpt-oss-120b",
        context_window=131_072, max_output_tokens=32_768, tools=True, reasoning=True,
        pricing=_pricing("0.10", "0.50"),
    ),
    _model(
        "gloo-bfl-flux-2-pro", "FLUX.2 Pro", "Black Forest Labs", "black-forest-labs/flux-2-pro",
        context_window=32_768, max_output_tokens=0, tools=False, reasoning=False,
        inputs=_TEXT_IMAGE, outputs=("image",), pricing=_pricing("15.00", "0.00"),
        description="Text-to-image generation (image output only).",
    ),
]  # fmt: skip


def catalog_body() -> dict[str, Any]:
    """The catalog's JSON answer: ``{"object": "list", "data": [...]}``."""
    return {"object": "list", "data": [dict(model) for model in CATALOG_MODELS]}


@route("GET", CATALOG_PATH, public=True)
def _catalog_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return json_reply(200, {"object": "list", "data": emulator.models})


CATALOG_ROUTES = [_catalog_route]
