"""Embeddings (``client.embeddings``) on respx and against the emulator: the body, the typed
answer, empty input refused before sending, deterministic unit vectors, faults and counts."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import respx

from gloo_ai import AsyncGloo, InvalidArgumentError, UnprocessableEntityError
from gloo_ai.testing import GlooEmulator
from gloo_ai.testing._embeddings import DIMENSIONS
from gloo_ai.types.embeddings import CreateEmbeddingResponse, Embedding
from tests.conftest import BASE_URL, FakeClock

PATH = "/ai/v2/direct/embeddings"
MODEL = "gloo-baai-bge-base-en-v1.5"


def client(**kwargs: Any) -> AsyncGloo:
    return AsyncGloo(api_key="key", max_retries=0, **kwargs)


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def answer(*vectors: list[float]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": v, "norm": 1.0}
            for i, v in enumerate(vectors)
        ],
        "model": MODEL,
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }


@pytest.mark.asyncio
@pytest.mark.parametrize("surface", ["standard", "guarded", "direct"])
async def test_one_text_is_sent_as_a_list_on_the_only_known_path(
    api: respx.MockRouter, surface: str
) -> None:
    route = api.post(PATH).respond(200, json=answer([0.6, 0.8]))
    result = await client(surface=surface).embeddings.create(model=MODEL, input="What is grace?")
    assert json.loads(route.calls.last.request.content) == {
        "model": MODEL,
        "input": ["What is grace?"],
    }
    assert isinstance(result, CreateEmbeddingResponse)
    assert isinstance(result.data[0], Embedding)
    assert result.data[0].embedding == [0.6, 0.8]
    assert result.data[0].model_extra == {"norm": 1.0}
    assert result.model == MODEL
    assert result.usage is not None
    assert result.usage.total_tokens == 3


@pytest.mark.asyncio
async def test_the_vectors_come_in_input_order(api: respx.MockRouter) -> None:
    body = answer([1.0], [2.0])
    body["data"].reverse()
    api.post(PATH).respond(200, json=body)
    result = await client().embeddings.create(model=MODEL, input=("a", "b"))
    assert result.embeddings == [[1.0], [2.0]]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input": ""}, "empty"),
        ({"input": "   "}, "empty"),
        ({"input": []}, "input"),
        ({"input": ["grace", ""]}, "text 1 is empty"),
        ({"input": [3]}, "input"),
        ({"input": "x", "model": ""}, "model"),
        ({"input": "x", "inputs": "y"}, "did you mean 'input'"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    api: respx.MockRouter, kwargs: dict[str, Any], message: str
) -> None:
    route = api.post(PATH).respond(200, json=answer([1.0]))
    kwargs.setdefault("model", MODEL)
    with pytest.raises(InvalidArgumentError, match=message):
        await client().embeddings.create(**kwargs)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_with_raw_response(api: respx.MockRouter) -> None:
    api.post(PATH).respond(200, json=answer([1.0]), headers={"x-request-id": "r-1"})
    raw = await client().embeddings.with_raw_response.create(model=MODEL, input="x")
    assert raw.request_id == "r-1"
    assert raw.parse().data[0].embedding == [1.0]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.asyncio
async def test_the_emulator_embeds_deterministically_with_unit_vectors() -> None:
    emulator = GlooEmulator()
    async with emulator.client(api_key=True) as gloo:
        texts = ["God's grace is enough", "grace is enough for today", "The weather is cold"]
        first = await gloo.embeddings.create(model=MODEL, input=texts)
        again = await gloo.embeddings.create(model=MODEL, input=texts[0])
        other = await gloo.embeddings.create(model="another-model", input=texts[0])
    vectors = first.embeddings
    assert [len(v) for v in vectors] == [DIMENSIONS] * 3
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0) for v in vectors)
    assert again.data[0].embedding == vectors[0]
    assert other.data[0].embedding != vectors[0]
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    assert first.usage is not None
    assert first.usage.prompt_tokens == 13
    assert emulator.counts[PATH] == 3
    assert emulator.requests[0].json == {"model": MODEL, "input": texts}


@pytest.mark.asyncio
async def test_the_emulator_route_faults_and_refusals(clock: FakeClock) -> None:
    emulator = GlooEmulator()
    async with emulator.client(api_key=True, _clock=clock) as gloo:
        emulator.faults.server_error(PATH, status=503, code=2002, name="PROVIDER_UNAVAILABLE")
        await gloo.embeddings.create(model=MODEL, input="x")
        assert emulator.counts[PATH] == 2  # retried once
        with pytest.raises(UnprocessableEntityError):
            await gloo.embeddings.create(model=MODEL, input="x", extra_body={"input": 7})
    async with emulator.http_client() as http:
        key = {"authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}
        empty = await http.post(PATH, json={"model": MODEL, "input": []}, headers=key)
        blank = await http.post(PATH, json={"model": MODEL, "input": [" "]}, headers=key)
        anonymous = await http.post(PATH, json={"model": MODEL, "input": ["x"]})
    assert (empty.status_code, blank.status_code, anonymous.status_code) == (400, 400, 401)
