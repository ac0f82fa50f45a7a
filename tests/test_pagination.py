"""Paged listings: both page shapes, a missing total, one page at a time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from gloo_ai import APIResponseValidationError, AsyncGloo, AsyncPage, InvalidArgumentError
from gloo_ai._models import GlooModel
from gloo_ai._pagination import read_page
from gloo_ai._requester import Requester, request_options
from tests.conftest import FakeClock
from tests.loopback import LoopbackServer, Reply

BASE = "https://platform.ai.gloo.com"
PATH = "/engine/v2/publisher/pub-1/items"


class Item(GlooModel):
    item_id: str
    status: str | None = None


def items(start: int, count: int) -> list[dict[str, Any]]:
    return [{"item_id": f"i{n}", "status": "COMPLETED"} for n in range(start, start + count)]


def requester(client: AsyncGloo) -> Requester:
    return client._requester


def pager(client: AsyncGloo, page_size: int) -> Any:
    return requester(client).pages(
        PATH, item=Item, page_size=page_size, options=request_options(retry="idempotent")
    )


def test_read_page_accepts_both_shapes() -> None:
    assert read_page([1, 2]).items == [1, 2]
    assert read_page([1, 2]).total_pages is None
    assert read_page({"items": [1], "total_pages": 3}).total_pages == 3
    assert read_page({"items": [1], "total_pages": "3"}).total_pages == 3
    assert read_page({"items": [1]}).total_pages is None
    assert read_page({"items": [1], "total_pages": None}).total_pages is None
    with pytest.raises(ValueError, match="items"):
        read_page({"data": []})


def page_router(shape: str, total: int, page_size: int | None) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["page_size"])
        assert page_size is None or size == page_size
        start = (page - 1) * size
        chunk = items(start, max(0, min(size, total - start)))
        if shape == "list":
            return httpx.Response(200, json=chunk)
        body: dict[str, Any] = {"items": chunk}
        if shape == "object":
            body["total_pages"] = -(-total // size)
        return httpx.Response(200, json=body)

    return answer


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["list", "object", "object-without-total"])
async def test_a_2500_item_listing_pages_through_every_shape(shape: str) -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + PATH).mock(side_effect=page_router(shape, 2500, 1000))
        async with AsyncGloo(api_key="k") as client:
            seen = [item.item_id async for item in pager(client, 1000)]
    assert seen == [f"i{n}" for n in range(2500)]
    assert route.call_count == 3  # 1000 + 1000 + 500: the short page is the last
    pages = [int(call.request.url.params["page"]) for call in route.calls]
    assert pages == [1, 2, 3]


@pytest.mark.asyncio
async def test_an_exact_multiple_without_total_stops_at_the_empty_page() -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + PATH).mock(side_effect=page_router("list", 20, 10))
        async with AsyncGloo(api_key="k") as client:
            seen = [item async for item in pager(client, 10)]
    assert len(seen) == 20
    assert route.call_count == 3


@pytest.mark.asyncio
async def test_with_a_total_the_last_page_needs_no_extra_request() -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + PATH).mock(side_effect=page_router("object", 20, 10))
        async with AsyncGloo(api_key="k") as client:
            seen = [item async for item in pager(client, 10)]
    assert len(seen) == 20
    assert route.call_count == 2


@pytest.mark.asyncio
async def test_one_page_at_a_time() -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + PATH).mock(side_effect=page_router("object", 25, 10))
        async with AsyncGloo(api_key="k") as client:
            first: AsyncPage[Item] = await pager(client, 10)
            assert [i.item_id for i in first.items][:2] == ["i0", "i1"]
            assert (first.number, first.total_pages, first.has_next_page()) == (1, 3, True)
            assert route.call_count == 1
            third = await pager(client, 10).get_page(3)
            assert len(third.items) == 5
            assert not third.has_next_page()
            assert await third.get_next_page() is None
            second = await first.get_next_page()
            assert second is not None
            assert second.number == 2
    assert route.call_count == 3


@pytest.mark.asyncio
async def test_pages_of_a_server_that_ignores_the_page_parameter_stop() -> None:
    with respx.mock() as mock:
        mock.get(BASE + PATH).respond(200, json=items(0, 10))
        async with AsyncGloo(api_key="k") as client:
            with pytest.raises(APIResponseValidationError, match="repeats"):
                _ = [item async for item in pager(client, 10)]


@pytest.mark.asyncio
async def test_a_bad_page_or_item_is_the_sdks_error() -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + PATH)
        async with AsyncGloo(api_key="k") as client:
            route.respond(200, json={"data": []})
            with pytest.raises(APIResponseValidationError, match="not a list"):
                await pager(client, 10)
            route.respond(200, json=[{"status": "QUEUED"}])
            with pytest.raises(APIResponseValidationError, match="item_id"):
                await pager(client, 10)


@pytest.mark.asyncio
async def test_page_size_is_checked_before_sending() -> None:
    async with AsyncGloo(api_key="k") as client:
        with pytest.raises(InvalidArgumentError, match="page_size"):
            pager(client, 0)


@pytest.mark.asyncio
async def test_a_page_is_retried_as_idempotent_on_the_loopback_server(
    loopback: LoopbackServer,
) -> None:
    loopback.add(PATH, Reply(503, {"detail": "busy"}), Reply(200, items(0, 3)))
    clock = FakeClock()
    async with AsyncGloo(api_key="k", base_url=loopback.url, _clock=clock) as client:
        seen = [item.item_id async for item in pager(client, 10)]
    assert seen == ["i0", "i1", "i2"]
    assert loopback.count(PATH) == 2
    assert loopback.connections_opened == 1


@pytest.mark.asyncio
async def test_client_pages_is_the_public_entry_with_dicts_by_default() -> None:
    with respx.mock() as mock:
        route = mock.get(BASE + PATH).mock(side_effect=page_router("object", 5, None))
        async with AsyncGloo(api_key="k") as client:
            seen = [item["item_id"] async for item in client.pages(PATH, page_size=2)]
            typed = [item async for item in client.pages(PATH, page_size=5, cast_to=Item)]
            first = await client.pages(PATH, page_size=2, query={"status": "COMPLETED"})
    assert seen == ["i0", "i1", "i2", "i3", "i4"]
    assert all(isinstance(i, Item) for i in typed)
    assert first.total_pages == 3
    assert route.calls.last.request.url.params["status"] == "COMPLETED"
    assert route.call_count == 3 + 1 + 1
