"""The model catalog: typed and exact, public, cached per client, warnings, cost, usage."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
import respx

from gloo_ai import (
    AsyncGloo,
    ConfigurationError,
    InternalServerError,
    ModelCapabilityWarning,
    ModelCatalog,
    NotFoundError,
)
from gloo_ai.resources._catalog import catalog_warnings
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.chat import ChatCompletion, CompletionUsage
from tests.conftest import BASE_URL, FakeClock, completion_json

CATALOG_URL = f"{BASE_URL}/platform/v2/models"
V2 = "/ai/v2/chat/completions"
CATALOG = "/platform/v2/models"
ASK = [{"role": "user", "content": "What is grace?"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}

PRICE_TABLE: dict[str, Any] = {
    "object": "list",
    "data": [
        {
            "id": "gloo-test-priced",
            "family": "Test",
            "supports_tools": True,
            "pricing": {
                "input": {"rate_per_1k_tokens": "0.000123", "rate_per_1m_tokens": "0.123"},
                "output": {"rate_per_1k_tokens": "0.0045678", "rate_per_1m_tokens": "4.5678"},
                "cache_read": {"rate_per_1m_tokens": "0.0123"},
            },
            "brand_new_field": {"kept": True},
        },
        {"id": "gloo-test-1k-only", "pricing": {"input": {"rate_per_1k_tokens": "0.0007"},
                                               "output": {"rate_per_1k_tokens": "0.0011"}}},
        {"id": "gloo-test-unpriced"},
    ],
}  # fmt: skip


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


# -- typed and exact ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_catalog_is_typed_with_exact_rates_and_sent_without_credentials(
    api: respx.MockRouter,
) -> None:
    route = api.get("/platform/v2/models").respond(200, json=PRICE_TABLE)
    client = AsyncGloo(api_key="k")
    catalog = await client.models.list()
    assert isinstance(catalog, ModelCatalog)
    assert catalog.ids() == ["gloo-test-priced", "gloo-test-1k-only", "gloo-test-unpriced"]
    priced = catalog.data[0]
    assert priced.pricing is not None
    assert priced.pricing.input is not None
    assert priced.pricing.input.rate_per_1m_tokens == Decimal("0.123")
    assert isinstance(priced.pricing.input.rate_per_1m_tokens, Decimal)
    assert priced.output_modalities == ["text"]  # absent means text
    assert priced.brand_new_field == {"kept": True}  # type: ignore[attr-defined]
    assert catalog.data[2].pricing is None
    assert catalog.data[2].supports_tools is None
    assert "authorization" not in route.calls.last.request.headers


@pytest.mark.asyncio
async def test_a_client_without_credentials_lists_models_and_nothing_else() -> None:
    emulator = GlooEmulator()
    client = AsyncGloo(base_url=emulator.BASE_URL, http_client=emulator.http_client())
    catalog = await client.models.list()
    assert len(catalog) == len(emulator.models)
    for call in (
        client.chat.completions.create(messages=ASK),
        client.search.query(query="hope", tenant="TestOrg"),
        client.get("/engine/v2/items/x"),
    ):
        with pytest.raises(ConfigurationError, match="GLOO_CLIENT_ID"):
            await call
    assert emulator.counts == {CATALOG: 1}  # nothing else was sent
    await client.aclose()


# -- the cache ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_200_concurrent_lists_make_one_request() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    results: list[ModelCatalog] = []

    async def one() -> None:
        results.append(await client.models.list())

    async with anyio.create_task_group() as group:
        for _ in range(200):
            group.start_soon(one)
    assert len(results) == 200
    assert all(result is results[0] for result in results)
    assert emulator.counts[CATALOG] == 1
    await client.aclose()


@pytest.mark.asyncio
async def test_the_cache_expires_after_the_ttl_and_is_shared_with_copies() -> None:
    emulator = GlooEmulator()
    clock = FakeClock()
    client = emulator.client(_clock=clock, catalog_ttl=120)
    copy = client.with_options(timeout=5)
    await client.models.list()
    clock.advance(119)
    await copy.models.list()
    await copy.models.retrieve("gloo-openai-gpt-5-mini")
    assert emulator.counts[CATALOG] == 1
    clock.advance(1)
    await copy.models.list()
    assert emulator.counts[CATALOG] == 2
    await client.models.list(refresh=True)
    assert emulator.counts[CATALOG] == 3
    await client.aclose()


@pytest.mark.asyncio
async def test_waiters_share_a_failed_fetch_instead_of_retrying_in_turn() -> None:
    emulator = GlooEmulator()
    emulator.faults.server_error(CATALOG, times=1)
    client = emulator.client(max_retries=0)
    failures: list[BaseException] = []

    async def one() -> None:
        try:
            await client.models.list()
        except Exception as exc:
            failures.append(exc)

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(one)
    assert len(failures) == 20
    assert emulator.counts[CATALOG] == 1
    assert len(await client.models.list()) == len(emulator.models)  # the next call fetches
    assert emulator.counts[CATALOG] == 2
    await client.aclose()


@pytest.mark.asyncio
async def test_retrieve_of_an_unknown_id_names_the_closest_ids() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    model = await client.models.retrieve("gloo-deepseek-r1")
    assert model.supports_reasoning is True
    assert model.supports_tools is False
    with pytest.raises(NotFoundError, match="gloo-openai-gpt-5-mini") as info:
        await client.models.retrieve("gloo-openai-gpt-5-mni")
    assert info.value.status_code == 404
    assert emulator.counts[CATALOG] == 1
    await client.aclose()


def test_catalog_ttl_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="catalog_ttl"):
        AsyncGloo(api_key="k", catalog_ttl=-1)


@pytest.mark.asyncio
async def test_a_misspelt_argument_is_refused_before_sending() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    with pytest.raises(TypeError, match="refresh"):
        await client.models.list(refesh=True)  # type: ignore[call-arg]
    assert emulator.counts[CATALOG] == 0
    await client.aclose()


# -- cost ----------------------------------------------------------------------------------


def test_the_cost_of_a_known_usage_is_exact_to_the_last_decimal_place() -> None:
    catalog = ModelCatalog.model_validate(PRICE_TABLE)
    usage = CompletionUsage(
        prompt_tokens=123_457,
        completion_tokens=98_765,
        total_tokens=222_222,
        prompt_tokens_details={"cached_tokens": 23_457},
    )
    completion = ChatCompletion.model_validate(
        {**completion_json(), "model": "gloo-test-priced", "usage": usage.model_dump()}
    )
    # 100000 * 0.123 + 23457 * 0.0123 + 98765 * 4.5678, per million tokens:
    # 12300.000 + 288.5211 + 451138.7670 = 463727.2881, so $0.4637272881 exactly.
    assert completion.estimated_cost(catalog) == Decimal("0.4637272881")
    assert str(completion.estimated_cost(catalog.data)) == "0.4637272881"
    # Only rate_per_1k_tokens: 1000 * 0.0007 / 1000 + 3 * 0.0011 / 1000
    small = CompletionUsage(prompt_tokens=1000, completion_tokens=3, total_tokens=1003)
    assert catalog.estimated_cost("gloo-test-1k-only", small) == Decimal("0.0007033")
    assert catalog.estimated_cost("gloo-test-unpriced", small) is None
    assert catalog.estimated_cost("gloo-not-there", small) is None


@pytest.mark.asyncio
async def test_usage_totals_count_create_stream_tools_retries_and_raw_responses() -> None:
    emulator = GlooEmulator()
    client = emulator.client(_clock=FakeClock())
    catalog = await client.models.list()
    model = "gloo-anthropic-claude-haiku-4.5"

    emulator.faults.server_error(V2, times=1)  # retried: counted once
    first = await client.chat.completions.create(model=model, messages=ASK)
    assert first.usage is not None
    assert client.usage.requests == 1
    assert client.usage.prompt_tokens == first.usage.prompt_tokens

    async with client.chat.completions.stream(model=model, messages=ASK) as stream:
        async for _ in stream:
            pass
    streamed = await stream.get_final_completion()
    assert client.usage.requests == 2

    plain = await client.chat.completions.create(model=model, messages=ASK, stream=True)
    async for _ in plain:  # no include_usage: no usage chunk, nothing to count
        pass
    assert client.usage.requests == 2

    def lookup(city: str) -> str:
        """The weather."""
        return "sunny"

    result = await client.chat.completions.run_tools(
        model=model,
        messages=[{"role": "user", "content": "Weather in Denver?"}],
        tools=[lookup],
        tool_choice="auto",
    )
    assert client.usage.requests == 2 + result.steps

    raw = await client.chat.completions.with_raw_response.create(model=model, messages=ASK)
    assert client.usage.requests == 2 + result.steps  # counted when parsed
    raw.parse()
    raw.parse()
    assert client.usage.requests == 3 + result.steps

    copy = client.with_options(max_retries=0)
    await copy.chat.completions.create(model=model, messages=ASK)
    assert client.usage.requests == 4 + result.steps  # the copy shares the totals

    totals = client.usage.by_model[model]
    assert streamed.usage is not None
    assert totals.prompt_tokens == client.usage.prompt_tokens
    cost = client.usage.estimated_cost(catalog)
    assert isinstance(cost, Decimal)
    assert cost > 0
    haiku = catalog.get(model)
    assert haiku is not None
    assert cost == haiku.estimated_cost(totals.as_usage())
    emulator.models.append({"id": "gloo-unknown-model"})  # served, but not in `catalog`
    await client.chat.completions.create(model="gloo-unknown-model", messages=ASK)
    assert client.usage.estimated_cost(catalog) is None  # a model the catalog lacks
    client.usage.reset()
    assert client.usage.requests == 0
    assert client.usage.estimated_cost(catalog) == 0
    await client.aclose()


# -- warnings --------------------------------------------------------------------------------


def _chat(client: AsyncGloo, **kwargs: Any) -> Any:
    return client.chat.completions.create(messages=ASK, **kwargs)


@pytest.mark.asyncio
async def test_capability_warnings_name_the_model_once_per_client_and_cost_no_request() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    await client.models.list()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await _chat(client, model="gloo-deepseek-r1", max_tokens=100, tools=[TOOL])
        await _chat(client, model="gloo-deepseek-r1", max_tokens=100, tools=[TOOL])
        await _chat(client, model="gloo-bfl-flux-2-pro")
        await _chat(client, model="gloo-openai-gpt-5-mini", max_tokens=2048, tools=[TOOL])
        await _chat(client, max_tokens=10)  # auto routing: no model to check
    messages = [str(w.message) for w in caught]
    assert all(w.category is ModelCapabilityWarning for w in caught)
    assert all(w.filename == __file__ for w in caught)  # points at the caller
    assert len(messages) == 3
    assert "gloo-deepseek-r1 does not support tools" in messages[0]
    assert "gloo-deepseek-r1 is a reasoning model and max_tokens=100" in messages[1]
    assert "1024" in messages[1]
    assert "2006" in messages[1]
    assert "gloo-bfl-flux-2-pro only makes images" in messages[2]
    assert emulator.counts[CATALOG] == 1
    # Another client warns again: once per client.
    other = emulator.client()
    await other.models.list()
    with pytest.warns(ModelCapabilityWarning, match="reasoning model"):
        await _chat(other, model="gloo-google-gemini-2.5-pro", max_tokens=512)
    await client.aclose()
    await other.aclose()


@pytest.mark.asyncio
async def test_no_warning_without_a_cached_catalog_and_no_fetch_for_one() -> None:
    emulator = GlooEmulator()
    client = emulator.client(max_retries=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await _chat(client, model="gloo-deepseek-r1", max_tokens=100, tools=[TOOL])
        emulator.faults.server_error(CATALOG, times=1)
        with pytest.raises(InternalServerError):
            await client.models.list()
        await _chat(client, model="gloo-deepseek-r1", max_tokens=100)
    assert emulator.counts[CATALOG] == 1  # only the explicit list()
    await client.aclose()


def test_catalog_warnings_is_a_pure_function() -> None:
    catalog = ModelCatalog.model_validate(
        {"data": [{"id": "m", "supports_tools": False, "supports_reasoning": True},
                  {"id": "img", "output_modalities": ["image"]}]}
    )  # fmt: skip
    assert catalog_warnings(catalog, {"model": "m", "max_tokens": 1024, "tools": []}) == []
    found = catalog_warnings(catalog, {"model": "m", "max_tokens": 1023, "tools": [TOOL]})
    assert [problem for _, problem, _ in found] == ["tools", "max_tokens"]
    assert [p for _, p, _ in catalog_warnings(catalog, {"model": "img"})] == ["image_only"]
    assert catalog_warnings(catalog, {"model": "unknown", "max_tokens": 1}) == []
    assert catalog_warnings(catalog, {"auto_routing": True, "max_tokens": 1}) == []


@pytest.mark.asyncio
async def test_retrieve_on_respx_and_the_request_shape(api: respx.MockRouter) -> None:
    api.get("/platform/v2/models").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=PRICE_TABLE)]
    )
    client = AsyncGloo(api_key="k", _clock=FakeClock())
    model = await client.models.retrieve("gloo-test-priced")  # the 503 is retried
    assert model.family == "Test"
    assert len(api.calls) == 2
