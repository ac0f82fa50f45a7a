"""Checked by mypy (``nox -s typecheck``), never run: the data engine's and ingestion's
arguments are typed.

A misspelt argument carries ``# type: ignore[...]``; strict mode warns about an unused
ignore, so if the typo stopped being an error mypy would fail.
"""

from __future__ import annotations

from pathlib import Path

from gloo_ai import AsyncGloo, AsyncPage, AsyncPaginator
from gloo_ai.types.ingestion import ProcessingResult, RealTimeUploadResult, UploadResult
from gloo_ai.types.items import (
    BulkUpdateResult,
    DeleteResult,
    Item,
    ItemFilter,
    ItemStatus,
    ItemSummary,
    ItemUpdateResult,
)


async def items(client: AsyncGloo) -> None:
    listing: AsyncPaginator[ItemSummary] = client.items.list("pub", page_size=100)
    first: AsyncPage[ItemSummary] = await listing
    async for summary in client.items.list("pub"):
        status: ItemStatus | None = summary.status
        del status
    item: Item = await client.items.retrieve("id", timeout=5.0)
    updated: ItemUpdateResult = await client.items.update(
        publisher_id="pub", item_id="id", item_title="Hope", author=["Ann"], item_url=None
    )
    bulk: BulkUpdateResult = await client.items.bulk_update(
        "pub",
        filter={"tags": ["advent"], "statuses": [ItemStatus.COMPLETED]},
        ops=[{"op": "append", "field": "item_tags", "value": "christmas"}],
        limit=10,
    )
    await client.items.bulk_update(
        "pub",
        filter=ItemFilter(),
        ops=[{"op": "replace", "field": "evergreen", "value": True}],
        match_all=True,
    )
    deleted: DeleteResult = await client.items.delete_permanently(["id"], max_retries=0)
    del first, item, updated, bulk, deleted

    client.items.list("pub", page_sise=10)  # type: ignore[call-arg]
    await client.items.retrieve("id", extra_header={})  # type: ignore[call-arg]
    await client.items.update(publisher_id="p", item_id="i", item_titel="x")  # type: ignore[call-arg]
    await client.items.update(item_id="i", item_title="x")  # type: ignore[call-arg]
    await client.items.bulk_update(
        "pub",
        filter={"tag": ["x"]},  # type: ignore[arg-type]
        ops=[],
    )
    await client.items.bulk_update(
        "pub",
        filter={},
        ops=[{"op": "rename", "field": "item_title", "value": "x"}],  # type: ignore[list-item]
    )
    await client.items.bulk_update(
        "pub",
        filter={},
        ops=[{"op": "replace", "field": "etag", "value": "x"}],  # type: ignore[list-item]
    )
    await client.items.bulk_update("pub", filter={}, ops=[], match_al=True)  # type: ignore[call-arg]
    await client.items.delete_permanently(["id"], retry="always")  # type: ignore[call-arg]


async def ingestion(client: AsyncGloo) -> None:
    uploaded: UploadResult = await client.ingestion.upload_files(
        "pub",
        [Path("a.pdf"), ("notes.txt", b"Psalm 23")],
        on_progress=lambda sent, total: None,
    )
    await client.ingestion.upload_files("pub", Path("a.pdf"), producer_id="mine", update="id")
    result: ProcessingResult = await client.ingestion.wait_until_processed(
        "pub", uploaded.ingesting, timeout=60, poll_interval=5
    )
    text: RealTimeUploadResult = await client.ingestion.upload_text(
        content="Psalm 23", publisher_id="pub", item_tags=["psalms"], evergreen=True
    )
    del result, text

    await client.ingestion.upload_files("pub", [Path("a")], producer="x")  # type: ignore[call-arg]
    await client.ingestion.wait_until_processed("pub", ["i"], poll=5)  # type: ignore[call-arg]
    await client.ingestion.upload_text(content="x", publisher_id="p", titel="x")  # type: ignore[call-arg]
    await client.ingestion.upload_text(publisher_id="p")  # type: ignore[call-arg]
