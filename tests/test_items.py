"""``client.items``: the data engine on respx, the emulator and the loopback server."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import pytest
import respx

from gloo_ai import (
    APIConnectionError,
    AsyncGloo,
    AsyncPage,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.items import ItemFilter, ItemPatchOp, ItemStatus, ItemSummary
from tests.conftest import FakeClock
from tests.loopback import LoopbackServer, Reply
from tests.test_pagination import page_router

BASE = "https://platform.ai.gloo.com"
PUB = "3f0e5a0c-0000-4000-8000-000000000001"
LIST = f"/engine/v2/publisher/{PUB}/items"
ITEM = "9b1d7a52-0000-4000-8000-0000000000aa"


def client(**kwargs: Any) -> AsyncGloo:
    return AsyncGloo(api_key="k", **kwargs)


# --- the status enum and the models ------------------------------------------------------------


def test_status_keeps_unknown_values_and_compares_with_strings() -> None:
    summary = ItemSummary.model_validate({"item_id": "a", "status": "RE_EMBEDDING"})
    assert summary.status == "RE_EMBEDDING"
    assert summary.status is not None
    assert not summary.status.is_known
    assert not summary.status.is_terminal
    assert str(summary.status) == "RE_EMBEDDING"
    assert ItemStatus("COMPLETED") is ItemStatus.COMPLETED
    assert ItemStatus.COMPLETED.is_known
    assert ItemStatus.FAILED.is_terminal
    assert summary.to_dict() == {"item_id": "a", "status": "RE_EMBEDDING"}


# --- list ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["list", "object", "object-without-total"])
async def test_list_pages_through_2500_items_on_respx(shape: str) -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + LIST).mock(side_effect=page_router(shape, 2500, 1000))
        async with client() as c:
            seen = [item async for item in c.items.list(PUB)]
    assert [i.item_id for i in seen] == [f"i{n}" for n in range(2500)]
    assert all(isinstance(i, ItemSummary) and i.status is ItemStatus.COMPLETED for i in seen)
    assert route.call_count == 3
    assert [c.request.url.params["page_size"] for c in route.calls] == ["1000"] * 3


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["list", "object", "object-without-total"])
async def test_list_pages_through_2500_items_on_the_emulator(shape: str) -> None:
    emulator = GlooEmulator()
    emulator.engine.page_shape = shape  # type: ignore[assignment]
    ids = emulator.engine.add_items(PUB, 2500)
    emulator.engine.add_items("another-publisher", 3)
    async with emulator.client() as c:
        seen = [item.item_id async for item in c.items.list(PUB)]
        first: AsyncPage[ItemSummary] = await c.items.list(PUB, page_size=400)
    assert seen == ids
    assert emulator.counts[LIST] == 4  # three pages, then the first page on its own
    assert len(first.items) == 400
    assert first.total_pages == (7 if shape == "object" else None)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [0, 1001, True])
async def test_list_checks_the_page_size_before_sending(size: int) -> None:
    async with client() as c:
        with pytest.raises(InvalidArgumentError, match="page_size"):
            c.items.list(PUB, page_size=size)


@pytest.mark.asyncio
async def test_list_and_retrieve_refuse_an_empty_id_and_a_misspelt_option() -> None:
    async with client() as c:
        with pytest.raises(InvalidArgumentError, match="publisher_id"):
            c.items.list("")
        with pytest.raises(InvalidArgumentError, match="item_id"):
            await c.items.retrieve(" ")
        with pytest.raises(InvalidArgumentError, match="extra_headers"):
            await c.items.retrieve(ITEM, extra_header={"x": "1"})  # type: ignore[call-arg]


# --- retrieve ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_retrieve_types_the_metadata_and_maps_404() -> None:
    metadata = {
        "item_id": ITEM,
        "status": "SYNCED",
        "item_title": "Hope",
        "item_number": 7,
        "author": "Ann, Bob",
        "collection_memberships": [{"type": "collection", "id": "c1", "name": "Advent"}],
        "brand_new_field": {"x": 1},
    }
    with respx.mock() as mock:
        route = mock.get(f"{BASE}/engine/v2/items/{ITEM}")
        route.side_effect = [
            httpx.Response(200, json=metadata),
            httpx.Response(404, json={"detail": "Item not found"}),
        ]
        async with client() as c:
            item = await c.items.retrieve(ITEM)
            with pytest.raises(NotFoundError):
                await c.items.retrieve(ITEM)
    assert item.status is ItemStatus.SYNCED
    assert item.item_number == "7"
    assert item.author == ["Ann", "Bob"]
    assert item.collection_memberships is not None
    assert item.collection_memberships[0].name == "Advent"
    assert item.model_extra == {"brand_new_field": {"x": 1}}


@pytest.mark.asyncio
async def test_a_read_is_retried_as_idempotent(clock: FakeClock) -> None:
    with respx.mock() as mock:
        route = mock.get(f"{BASE}/engine/v2/items/{ITEM}")
        route.side_effect = [httpx.Response(503), httpx.Response(200, json={"item_id": ITEM})]
        async with client(_clock=clock) as c:
            await c.items.retrieve(ITEM)
    assert route.call_count == 2


# --- update --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_update_sends_the_keys_and_only_the_fields_given(clock: FakeClock) -> None:
    with respx.mock() as mock:
        route = mock.patch(f"{BASE}/engine/v2/item")
        route.side_effect = [
            httpx.Response(502, json={"detail": "vector store update failed"}),
            httpx.Response(
                200, json={"success": True, "message": f"Item {ITEM} has been updated."}
            ),
        ]
        async with client(_clock=clock) as c:
            result = await c.items.update(
                publisher_id=PUB,
                item_id=ITEM,
                item_title="Hope",
                item_tags=("a", "b"),
                item_url=None,
            )
    assert result.success is True
    assert route.call_count == 2  # idempotent: a 502 is retried
    assert json.loads(route.calls.last.request.content) == {
        "publisher_id": PUB,
        "item_id": ITEM,
        "item_title": "Hope",
        "item_tags": ["a", "b"],
        "item_url": None,
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"publisher_id": PUB, "item_id": ITEM}, "at least one field"),
        ({"publisher_id": PUB, "item_title": "x"}, "item_id=... or producer_id"),
        ({"publisher_id": PUB, "item_id": ITEM, "item_titel": "x"}, "item_title"),
        ({"publisher_id": "", "item_id": ITEM, "item_title": "x"}, "publisher_id"),
        ({"publisher_id": PUB, "item_id": ITEM, "author": [1]}, "author"),
    ],
)
async def test_update_refuses_bad_arguments_before_sending(
    kwargs: dict[str, Any], message: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.patch(f"{BASE}/engine/v2/item")
        async with client() as c:
            with pytest.raises(InvalidArgumentError, match=message):
                await c.items.update(**kwargs)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_update_on_the_emulator_by_producer_id_and_ownership() -> None:
    emulator = GlooEmulator()
    item_id = emulator.engine.add_item(PUB, filename="a.txt", producer_id="mine-1")
    emulator.engine.add_item("other-pub", filename="b.txt")
    async with emulator.client() as c:
        await c.items.update(publisher_id=PUB, producer_id="mine-1", author=["Ann"])
        assert (await c.items.retrieve(item_id)).author == ["Ann"]
        with pytest.raises(PermissionDeniedError):
            await c.items.update(publisher_id="other-pub", item_id=item_id, item_title="x")
        with pytest.raises(NotFoundError):
            await c.items.update(publisher_id=PUB, item_id="missing", item_title="x")


# --- bulk update ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_bulk_update_on_the_emulator_applies_every_op() -> None:
    emulator = GlooEmulator()
    engine = emulator.engine
    a = engine.add_item(PUB, filename="a.txt", item_tags=["advent"], author=["Ann"])
    b = engine.add_item(PUB, filename="b.txt", item_tags=["advent", "old"])
    c_id = engine.add_item(PUB, filename="c.txt", item_tags=["lent"])
    async with emulator.client() as c:
        result = await c.items.bulk_update(
            PUB,
            filter=ItemFilter(tags=["advent"]),
            ops=[
                {"op": "append", "field": "item_tags", "value": "christmas"},
                ItemPatchOp(op="remove", field="item_tags", value=["old"]),
                {"op": "replace", "field": "visible_in_chat", "value": False},
            ],
            limit=10,
        )
        tags = {i: (await c.items.retrieve(i)).item_tags for i in (a, b, c_id)}
        flags = (await c.items.retrieve(b)).visible_in_chat
    assert (result.total_matched, result.total_patched, result.total_failed) == (2, 2, 0)
    assert {r.item_id for r in result.results} == {a, b}
    assert tags == {a: ["advent", "christmas"], b: ["advent", "christmas"], c_id: ["lent"]}
    assert flags is False
    (sent,) = [r.json for r in emulator.requests if r.path == "/engine/v2/items"]
    assert sent["filter"] == {"tags": ["advent"]}
    assert sent["limit"] == 10


@pytest.mark.asyncio
async def test_an_empty_filter_is_refused_unless_match_all() -> None:
    emulator = GlooEmulator()
    emulator.engine.add_items(PUB, 3)
    ops: list[Any] = [{"op": "replace", "field": "evergreen", "value": True}]
    async with emulator.client() as c:
        with pytest.raises(InvalidArgumentError, match="match_all=True"):
            await c.items.bulk_update(PUB, filter={}, ops=ops)
        with pytest.raises(InvalidArgumentError, match="match_all=True"):
            await c.items.bulk_update(PUB, filter=ItemFilter(), ops=ops)
        assert emulator.counts["/engine/v2/items"] == 0
        result = await c.items.bulk_update(PUB, filter={}, ops=ops, match_all=True)
    assert result.total_patched == 3


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("ops", "limit", "message"),
    [
        ([], None, "at least one operation"),
        ([{"op": "append", "field": "item_title", "value": "x"}], None, "author and item_tags"),
        ([{"op": "replace", "field": "evergreen", "value": "yes"}], None, "True or False"),
        ([{"op": "replace", "field": "item_title", "value": ["x"]}], None, "a string"),
        ([{"op": "rename", "field": "item_title", "value": "x"}], None, "op"),
        ([{"op": "replace", "field": "etag", "value": "x"}], None, "field"),
        ([{"op": "replace", "field": "item_title", "value": "x"}], 0, "limit"),
        ([{"op": "replace", "field": "item_title", "value": "x"}], 10001, "limit"),
    ],
)
async def test_bulk_update_refuses_bad_ops_before_sending(
    ops: list[Any], limit: int | None, message: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.patch(f"{BASE}/engine/v2/items")
        async with client() as c:
            with pytest.raises(InvalidArgumentError, match=message):
                await c.items.bulk_update(PUB, filter={"item_ids": [ITEM]}, ops=ops, limit=limit)
    assert route.call_count == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(("op", "calls"), [("replace", 2), ("append", 1), ("remove", 1)])
async def test_bulk_update_is_retried_only_when_every_op_is_replace(
    op: str, calls: int, clock: FakeClock
) -> None:
    with respx.mock() as mock:
        route = mock.patch(f"{BASE}/engine/v2/items")
        route.side_effect = [httpx.Response(503), httpx.Response(200, json={"success": True})]
        async with client(_clock=clock) as c:
            with contextlib.suppress(InternalServerError):  # the 503, when not retried
                await c.items.bulk_update(
                    PUB,
                    filter={"item_ids": [ITEM]},
                    ops=[{"op": op, "field": "item_tags", "value": ["x"]}],  # type: ignore[typeddict-item]
                )
    assert route.call_count == calls
    assert route.calls[0].request.url.params["publisher_id"] == PUB


# --- delete --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_delete_permanently_removes_for_good_on_the_emulator() -> None:
    emulator = GlooEmulator()
    keep, gone = emulator.engine.add_items(PUB, 2)
    async with emulator.client() as c:
        result = await c.items.delete_permanently([gone, "not-an-item"])
        with pytest.raises(NotFoundError):
            await c.items.retrieve(gone)
        remaining = [i.item_id async for i in c.items.list(PUB)]
    assert remaining == [keep]
    assert (result.total_requested, result.total_deleted, result.total_failed) == (2, 1, 1)
    assert result.results[0].deleted_from is not None
    assert result.results[0].deleted_from.weaviate is True
    assert result.results[1].success is False
    (sent,) = [r for r in emulator.requests if r.path == "/engine/v2/items"]
    assert (sent.method, sent.json) == ("DELETE", {"item_ids": [gone, "not-an-item"]})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "empty"),
        ([f"id-{n}" for n in range(1001)], "At most 1000"),
        (ITEM, "list of item ids"),
        ([ITEM, ""], "each item id"),
    ],
)
async def test_delete_refuses_bad_ids_before_sending(ids: Any, message: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.delete(f"{BASE}/engine/v2/items")
        async with client() as c:
            with pytest.raises(InvalidArgumentError, match=message):
                await c.items.delete_permanently(ids)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_delete_is_attempted_exactly_once_under_a_connection_drop(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(
        "/engine/v2/items",
        Reply(200, {"success": True, "results": []}, drop_after=0),
        Reply(200, {"success": True, "results": []}),
    )
    async with client(base_url=loopback.url, _clock=clock, max_retries=3) as c:
        with pytest.raises(APIConnectionError):
            await c.items.delete_permanently([ITEM])
    assert loopback.count("/engine/v2/items") == 1
    assert clock.sleeps == []
    assert json.loads(loopback.seen[0].body) == {"item_ids": [ITEM]}


@pytest.mark.asyncio
async def test_delete_is_not_retried_after_a_server_error(clock: FakeClock) -> None:
    with respx.mock() as mock:
        route = mock.delete(f"{BASE}/engine/v2/items").respond(500, json={"detail": "boom"})
        async with client(_clock=clock) as c:
            with pytest.raises(InternalServerError):
                await c.items.delete_permanently([ITEM])
    assert route.call_count == 1
