"""Search, recommendations and the deprecated stateful chat API, on respx and the emulator."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
import respx

from gloo_ai import AsyncGloo, InvalidArgumentError
from gloo_ai.testing import GlooEmulator
from tests.conftest import BASE_URL

SEARCH = "/ai/data/v1/search"


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def sent(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- search ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_search_sends_the_documented_body_and_keeps_unknown_properties(
    api: respx.MockRouter,
) -> None:
    route = api.post(SEARCH).respond(
        200,
        json={
            "data": [
                {
                    "uuid": "u1",
                    "metadata": {"certainty": 0.81, "distance": 0.19},
                    "properties": {"item_title": "Joy", "snippet": "...", "new_field": 7},
                    "references": None,
                    "vector": {},
                    "collection": "GlooProd",
                }
            ],
            "intent": 1,
        },
    )
    client = AsyncGloo(api_key="k")
    found = await client.search.query(query="How can I find true happiness?", tenant="TestOrg")
    assert sent(route) == {
        "query": "How can I find true happiness?",
        "collection": "GlooProd",
        "tenant": "TestOrg",
        "certainty": 0.75,
        "limit": 10,
    }
    assert route.calls.last.request.headers["authorization"] == "Bearer k"
    result = found.data[0]
    assert (result.uuid, found.intent, result.properties.item_title) == ("u1", 1, "Joy")
    assert result.metadata is not None
    assert result.metadata.certainty == 0.81
    assert result.properties.new_field == 7  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"certainty": 1.5}, "certainty"),
        ({"certainty": -0.1}, "certainty"),
        ({"limit": 0}, "limit"),
        ({"tenant": ""}, "tenant"),
    ],
)
@pytest.mark.asyncio
async def test_search_refuses_bad_values_before_sending(
    api: respx.MockRouter, kwargs: dict[str, Any], problem: str
) -> None:
    client = AsyncGloo(api_key="k")
    arguments: dict[str, Any] = {"query": "hope", "tenant": "TestOrg", **kwargs}
    with pytest.raises(InvalidArgumentError, match=problem):
        await client.search.query(**arguments)
    assert not api.calls


@pytest.mark.asyncio
async def test_a_misspelt_argument_names_the_close_match(api: respx.MockRouter) -> None:
    client = AsyncGloo(api_key="k")
    with pytest.raises(InvalidArgumentError, match="certainty"):
        await client.search.query(query="hope", tenant="T", certainity=0.5)  # type: ignore[typeddict-unknown-key]
    with pytest.raises(InvalidArgumentError, match="item_count"):
        await client.recommendations.base(query="x", tenant="T", item_cont=3)  # type: ignore[typeddict-unknown-key]
    assert not api.calls


@pytest.mark.asyncio
async def test_search_on_the_emulator_is_derived_from_the_query() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    first = await client.search.query(query="How can I find true happiness?", tenant="TestOrg")
    again = await client.search.query(query="How can I find true happiness?", tenant="TestOrg")
    assert [r.uuid for r in first.data] == [r.uuid for r in again.data]
    assert first.data
    assert first.data[0].properties.item_title == "Joy in Hard Times"
    assert first.data[0].properties.publisher == "TestOrg"
    certainties = [r.metadata.certainty for r in first.data if r.metadata]
    assert certainties == sorted(certainties, reverse=True)
    assert all(c is not None and c >= 0.75 for c in certainties)
    few = await client.search.query(query="hope grief joy", tenant="T", certainty=0, limit=2)
    assert len(few.data) == 2
    # The emulator refuses what the SDK would: sent raw, a missing tenant is a 422.
    with pytest.raises(Exception, match="422"):
        await client.post(SEARCH, body={"query": "hope", "collection": "GlooProd"})
    await client.aclose()


# -- recommendations -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_recommendations_paths_bodies_and_ranges(api: respx.MockRouter) -> None:
    base = api.post("/ai/v1/data/items/recommendations/base").respond(
        200, json=[{"item_id": "i", "item_title": "T", "uuids": [{"uuid": "s", "certainty": 0.9}]}]
    )
    verbose = api.post("/ai/v1/data/items/recommendations/verbose").respond(200, json=[])
    affiliates = api.post("/ai/v1/data/affiliates/referenced-items").respond(
        200, json=[{"item_id": "a", "publisher": "P", "snippet_count": 2, "h2_title": "S"}]
    )
    client = AsyncGloo(api_key="k")
    items = await client.recommendations.base(query="grief", tenant="TestOrg", item_count=3)
    assert items[0].uuids[0].certainty == 0.9
    assert sent(base) == {
        "query": "grief",
        "item_count": 3,
        "certainty_threshold": 0.75,
        "collection": "GlooProd",
        "tenant": "TestOrg",
    }
    await client.recommendations.verbose(
        query="grief", tenant="TestOrg", media_types=["audio"], certainty_threshold=0.5
    )
    assert sent(verbose)["media_types"] == ["audio"]
    network = await client.recommendations.affiliates(query="forgiveness")
    assert sent(affiliates) == {
        "query": "forgiveness",
        "item_count": 5,
        "certainty_threshold": 0.75,
    }
    assert network[0].publisher == "P"
    assert network[0].h2_title == "S"
    calls = len(api.calls)
    for bad in ({"item_count": 0}, {"item_count": 51}, {"certainty_threshold": 1.01}):
        with pytest.raises(InvalidArgumentError):
            await client.recommendations.affiliates(query="x", **bad)  # type: ignore[arg-type]
    assert len(api.calls) == calls


@pytest.mark.asyncio
async def test_recommendations_on_the_emulator() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    items = await client.recommendations.base(query="grief and hope", tenant="T", item_count=1)
    assert [item.item_title for item in items] == ["Walking Through Grief"]
    assert items[0].uuids
    assert items[0].uuids[0].snippet is None
    detailed = await client.recommendations.verbose(query="grief and hope", tenant="T")
    assert detailed[0].uuids[0].snippet
    network = await client.recommendations.affiliates(query="forgiveness grace")
    assert network
    assert network[0].publisher
    assert network[0].snippet_count
    await client.aclose()


# -- the stateful chat API --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_chat_tutorial_on_the_emulator_warns_at_each_call() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        first = await client.messages.send(query="What is grace?")
        follow = await client.messages.send(
            query="And mercy?", chat_id=first.chat_id, enable_suggestions=1, intent=1
        )
        chat = await client.chats.retrieve(first.chat_id or "")
        titled = await client.chats.update(first.chat_id or "", field="title", value="Grace")
        pinned = await client.chats.update(first.chat_id or "", field="pin", value=True)
        stopped = await client.messages.stop(
            chat_id=first.chat_id or "", message_id=follow.message_id or ""
        )
        deleted = await client.messages.delete(
            message_id=follow.message_id or "", query_id=follow.query_id or ""
        )
        kallm = await client.messages.send_kallm(query="Thanks", chat_id=first.chat_id)
        after = await client.chats.retrieve(first.chat_id or "")
    assert len(record) == 9
    assert all(w.category is DeprecationWarning for w in record)
    assert all("client.chat.completions.create" in str(w.message) for w in record)
    assert all(w.filename == __file__ for w in record)  # points at the caller's line
    assert first.chat_id
    assert first.chat_id.startswith("c")
    assert first.message
    assert follow.chat_id == first.chat_id
    assert follow.suggestions
    assert follow.intent == 1
    assert [m.role for m in chat.messages] == ["user", "kallm", "user", "kallm"]
    assert (titled.field, titled.value, pinned.value) == ("title", "Grace", True)
    assert stopped.success
    assert stopped.task == "stop"
    assert deleted.deleted
    assert deleted.message_id == follow.message_id
    assert kallm.message
    assert kallm.query_id
    assert kallm.query_id.startswith("q")
    assert after.title == "Grace"
    assert after.pin is True
    assert len(after.messages) == 5  # one answer deleted, two messages added
    await client.aclose()


@pytest.mark.asyncio
async def test_the_chat_api_query_parameters_and_bodies(api: respx.MockRouter) -> None:
    message = api.post("/ai/v1/message").respond(200, json={"chat_id": "c1", "message": "Hi"})
    chat = api.patch("/ai/v1/chat").respond(200, json={"chat_id": "c1", "field": "summary"})
    delete = api.delete("/ai/v1/message").respond(200, json={"deleted": True, "message_id": "m"})
    stop = api.put("/ai/v1/message").respond(200, json={"task": "stop", "success": True})
    client = AsyncGloo(api_key="k")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        await client.messages.send(
            query="Hi", chat_id="c1", intent=1, enable_sources=2, enable_suggestions=1,
            character_limit=500, publishers=["Pub"],
        )  # fmt: skip
        await client.chats.update("c1", field="summary", value="S")
        await client.messages.delete(message_id="m", query_id="q")
        await client.messages.stop(chat_id="c1", message_id="m")
        with pytest.raises(InvalidArgumentError, match="field"):
            await client.chats.update("c1", field="colour", value=1)  # type: ignore[typeddict-item]
        with pytest.raises(InvalidArgumentError, match="query"):
            await client.messages.send(query="")
    params = message.calls.last.request.url.params
    assert dict(params) == {"chat_id": "c1", "enable_suggestions": "1", "intent": "1",
                            "enable_sources": "2"}  # fmt: skip
    assert sent(message) == {"query": "Hi", "chat_id": "c1", "character_limit": 500,
                             "publishers": ["Pub"], "enable_suggestions": 1}  # fmt: skip
    assert dict(chat.calls.last.request.url.params) == {"chat_id": "c1", "chat_field": "summary"}
    assert sent(chat) == {"new_value": "S"}
    assert dict(delete.calls.last.request.url.params) == {"message_id": "m", "query_id": "q"}
    assert dict(stop.calls.last.request.url.params) == {
        "task": "stop", "chat_id": "c1", "message_id": "m"
    }  # fmt: skip
    assert len(api.calls) == 4


@pytest.mark.asyncio
async def test_a_new_chat_sends_no_chat_id() -> None:
    emulator = GlooEmulator()
    client = emulator.client()
    with pytest.warns(DeprecationWarning, match=r"messages\.send\(\) uses Gloo's deprecated"):
        answer = await client.messages.send(query="Hello")
    recorded = emulator.requests[-1]
    assert "chat_id" not in recorded.json
    assert answer.chat_id in emulator.chats.chats
    await client.aclose()
