"""``client.ingestion``: streamed uploads, waiting for processing, the legacy text upload."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, IngestionTimeoutError, InvalidArgumentError
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.items import ItemStatus
from tests.conftest import FakeClock
from tests.loopback import LoopbackServer, Reply
from tests.test_multipart import OneShot, parts_of

BASE = "https://platform.ai.gloo.com"
UPLOAD = "/ingestion/v2/files"
PUB = "3f0e5a0c-0000-4000-8000-000000000001"
QUEUED = {"success": True, "message": "queued", "ingesting": ["i1"], "duplicates": []}


def emulated(clock: FakeClock) -> tuple[GlooEmulator, AsyncGloo]:
    emulator = GlooEmulator(clock=clock.monotonic)
    return emulator, emulator.client(_clock=clock)


# --- upload_files --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_upload_sends_files_publisher_and_query_as_the_reference_says(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sermon.pdf"
    path.write_bytes(b"%PDF-1.7 grace")
    with respx.mock() as mock:
        route = mock.post(BASE + UPLOAD).respond(200, json=QUEUED)
        async with AsyncGloo(api_key="k") as client:
            result = await client.ingestion.upload_files(PUB, path, producer_id="mine-1")
            await client.ingestion.upload_files(
                PUB, [("notes.txt", b"Psalm 23"), io.BytesIO(b"raw")]
            )
    assert result.ingesting == ["i1"]
    assert result.duplicates == []
    first, second = (call.request for call in route.calls)
    assert first.url.params["producer_id"] == "mine-1"
    assert "update" not in first.url.params
    assert parts_of(first.headers["content-type"], first.content) == [
        ("publisher_id", None, PUB.encode()),
        ("files", "sermon.pdf", b"%PDF-1.7 grace"),
    ]
    assert [p[:2] for p in parts_of(second.headers["content-type"], second.content)] == [
        ("publisher_id", None),
        ("files", "notes.txt"),
        ("files", "upload.bin"),
    ]
    assert not second.url.params


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("files", "extra", "message"),
    [
        ([], {}, "at least one file"),
        ([("a.txt", b"a"), ("b.txt", b"b")], {"producer_id": "p"}, "single file"),
        ([("a.txt", b"a"), ("b.txt", b"b")], {"update": "item-1"}, "single file"),
        (b"no name", {}, "need a file name"),
        ("/no/such/file.pdf", {}, "not a file"),
        (42, {}, "a file or a list"),
        ([("a.txt", b"a")], {"producer_id": ""}, "producer_id"),
    ],
)
async def test_upload_refuses_bad_input_before_sending(
    files: Any, extra: dict[str, Any], message: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(BASE + UPLOAD).respond(200, json=QUEUED)
        async with AsyncGloo(api_key="k") as client:
            with pytest.raises(InvalidArgumentError, match=message):
                await client.ingestion.upload_files(PUB, files, **extra)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_the_emulator_finds_duplicates_by_content_and_replaces_with_update(
    clock: FakeClock,
) -> None:
    emulator, client = emulated(clock)
    async with client:
        first = await client.ingestion.upload_files(PUB, [("a.txt", b"grace"), ("b.txt", b"peace")])
        again = await client.ingestion.upload_files(PUB, [("copy.txt", b"grace")])
        elsewhere = await client.ingestion.upload_files("other-pub", [("a.txt", b"grace")])
        clock.advance(100)
        replaced = await client.ingestion.upload_files(
            PUB, ("a2.txt", b"more grace"), update=first.ingesting[0]
        )
        status = (await client.items.retrieve(first.ingesting[0])).status
    assert len(first.ingesting) == 2
    assert (again.ingesting, again.duplicates) == ([], [first.ingesting[0]])
    assert len(elsewhere.ingesting) == 1  # duplicates are per publisher
    assert replaced.ingesting == [first.ingesting[0]]
    assert status is ItemStatus.STARTED  # processing starts again
    assert emulator.engine.items[first.ingesting[0]].filename == "a2.txt"


@pytest.mark.asyncio
async def test_the_emulator_checks_the_multipart_field_names(clock: FakeClock) -> None:
    emulator, client = emulated(clock)
    async with client:
        with pytest.raises(Exception, match="files") as raised:
            await client.post(UPLOAD, files=[("file", ("a.txt", b"a"))], data={"publisher_id": PUB})
        assert getattr(raised.value, "status_code", None) == 422
        with pytest.raises(Exception, match="publisher_id"):
            await client.post(UPLOAD, files=[("files", ("a.txt", b"a"))])
        with pytest.raises(Exception, match="multipart"):
            await client.post(UPLOAD, body={"publisher_id": PUB})
        with pytest.raises(Exception, match="single file"):
            await client.post(
                UPLOAD,
                files=[("files", ("a.txt", b"a")), ("files", ("b.txt", b"b"))],
                data={"publisher_id": PUB},
                query={"producer_id": "p"},
            )
    assert emulator.engine.items == {}


@pytest.mark.asyncio
async def test_a_50_mb_upload_streams_within_10_mb_with_monotonic_progress(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    size = 50 * 1024 * 1024
    path = tmp_path / "large.bin"
    with path.open("wb") as file:
        for _ in range(size // (1024 * 1024)):
            file.write(b"\x02" * (1024 * 1024))
    loopback.digest_bodies = True
    loopback.add(UPLOAD, Reply(200, QUEUED), Reply(200, QUEUED))
    progress: list[tuple[int, int | None]] = []
    async with AsyncGloo(api_key="k", base_url=loopback.url) as client:
        await client.ingestion.upload_files(PUB, ("warm-up.txt", b"x"))  # imports and the pool
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await client.ingestion.upload_files(
                PUB, path, on_progress=lambda sent, total: progress.append((sent, total))
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    sent = loopback.seen[-1]
    assert sent.size > size
    assert peak - baseline < 10 * 1024 * 1024, f"{(peak - baseline) / 2**20:.1f} MiB above baseline"
    counts = [s for s, _ in progress]
    assert counts == sorted(counts)
    assert len(progress) > 100  # reported as it goes
    assert progress[-1] == (sent.size, sent.size)
    assert {total for _, total in progress} == {sent.size}


@pytest.mark.asyncio
async def test_a_retried_upload_resends_the_whole_file_and_a_one_shot_is_sent_once(
    loopback: LoopbackServer, tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(bytes(range(256)) * 1024)
    loopback.add(UPLOAD, Reply(503, {"detail": "busy"}), Reply(200, QUEUED))
    loopback.add(UPLOAD, Reply(503, {"detail": "busy"}), Reply(200, QUEUED))
    async with AsyncGloo(api_key="k", base_url=loopback.url, _clock=clock) as client:
        await client.ingestion.upload_files(PUB, path)
        with pytest.raises(Exception, match="503"):
            await client.ingestion.upload_files(PUB, ("pipe.txt", OneShot(b"once" * 100)))
    first, second, third = loopback.seen
    assert first.body == second.body
    content = parts_of(first.headers["content-type"], first.body)[1][2]
    assert hashlib.sha256(content).digest() == hashlib.sha256(path.read_bytes()).digest()
    assert third.headers["transfer-encoding"] == "chunked"
    assert loopback.count(UPLOAD) == 3


# --- wait_until_processed ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_wait_until_processed_reports_failed_items_in_its_result(clock: FakeClock) -> None:
    emulator, client = emulated(clock)
    emulator.engine.failing_filenames.add("broken.pdf")
    polls: list[int] = []
    async with client:
        upload = await client.ingestion.upload_files(
            PUB, [("good.txt", b"good"), ("broken.pdf", b"broken")]
        )
        result = await client.ingestion.wait_until_processed(
            PUB,
            upload.ingesting,
            timeout=60,
            poll_interval=2,
            on_poll=lambda r: polls.append(len(r.pending)),
        )
    good, broken = upload.ingesting
    assert result.statuses == {good: ItemStatus.COMPLETED, broken: ItemStatus.FAILED}
    assert (result.completed, result.failed, result.pending, result.ok) == (
        [good],
        [broken],
        [],
        False,
    )
    assert clock.sleeps == [2, 2, 2, 2]  # 9 steps of 1 s: COMPLETED at 8 s
    assert polls == [2, 2, 1, 1, 0]  # the broken file fails at CHUNKING (at 4 s)
    assert emulator.counts[f"/engine/v2/publisher/{PUB}/items"] == 5


@pytest.mark.asyncio
async def test_wait_until_processed_times_out_naming_the_pending_items(clock: FakeClock) -> None:
    emulator, client = emulated(clock)
    async with client:
        upload = await client.ingestion.upload_files(PUB, [("a.txt", b"a"), ("b.txt", b"b")])
        done = emulator.engine.add_item(PUB, filename="done.txt", status="COMPLETED")
        emulator.engine.set_status(upload.ingesting[1], "EMBEDDING")
        with pytest.raises(IngestionTimeoutError) as raised:
            await client.ingestion.wait_until_processed(
                PUB, [*upload.ingesting, done], timeout=3, poll_interval=2
            )
    error = raised.value
    assert error.pending == upload.ingesting
    assert all(item_id in str(error) for item_id in upload.ingesting)
    assert done not in str(error)
    assert error.result.statuses[done] is ItemStatus.COMPLETED
    assert error.timeout == 3
    assert isinstance(error, TimeoutError)
    assert clock.sleeps == [2, 1]  # never past the deadline


@pytest.mark.asyncio
async def test_an_item_not_listed_yet_is_pending(clock: FakeClock) -> None:
    _, client = emulated(clock)
    async with client:
        with pytest.raises(IngestionTimeoutError, match="missing-id"):
            await client.ingestion.wait_until_processed(PUB, ["missing-id"], timeout=0)


class CancellingClock(FakeClock):
    """A clock whose sleep cancels the wait, as a caller's timeout or Ctrl-C would."""

    scope: anyio.CancelScope | None = None

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        assert self.scope is not None
        self.scope.cancel()
        await anyio.lowlevel.checkpoint()


@pytest.mark.asyncio
async def test_wait_until_processed_is_cancellable() -> None:
    clock = CancellingClock()
    emulator = GlooEmulator(clock=clock.monotonic)
    item_id = emulator.engine.add_item(PUB, filename="a.txt")
    async with emulator.client(_clock=clock) as client:
        with anyio.CancelScope() as scope:
            clock.scope = scope
            await client.ingestion.wait_until_processed(PUB, [item_id], poll_interval=5)
        assert scope.cancelled_caught
    assert clock.sleeps == [5]
    assert emulator.counts[f"/engine/v2/publisher/{PUB}/items"] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("ids", "options", "message"),
    [
        ([], {}, "empty"),
        ("one-id", {}, "list of ids"),
        (["a"], {"timeout": -1}, "timeout"),
        (["a"], {"poll_interval": 0}, "poll_interval"),
        (["a"], {"poll_interval": float("nan")}, "poll_interval"),
    ],
)
async def test_wait_until_processed_checks_its_arguments(
    ids: Any, options: dict[str, Any], message: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(url__startswith=BASE)
        async with AsyncGloo(api_key="k") as client:
            with pytest.raises(InvalidArgumentError, match=message):
                await client.ingestion.wait_until_processed(PUB, ids, **options)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_wait_polls_the_listing_on_respx_and_stops_paging_once_all_are_seen(
    clock: FakeClock,
) -> None:
    answers = [
        [{"item_id": "a", "status": "QUEUED"}, {"item_id": "x", "status": "COMPLETED"}],
        [{"item_id": "a", "status": "COMPLETED"}, {"item_id": "x", "status": "COMPLETED"}],
    ]
    with respx.mock() as mock:
        route = mock.get(f"{BASE}/engine/v2/publisher/{PUB}/items")
        route.side_effect = [httpx.Response(200, json=a) for a in answers]
        async with AsyncGloo(api_key="k", _clock=clock) as client:
            result = await client.ingestion.wait_until_processed(PUB, ["a"], poll_interval=15)
    assert result.ok
    assert route.call_count == 2
    assert clock.sleeps == [15]


# --- upload_text (legacy) ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_upload_text_warns_and_sends_snake_case(clock: FakeClock) -> None:
    emulator, client = emulated(clock)
    async with client:
        with pytest.warns(DeprecationWarning, match="upload_files") as warned:
            result = await client.ingestion.upload_text(
                content="The Lord is my shepherd.",
                publisher_id=PUB,
                item_title="Psalm 23",
                author=("David",),
                item_tags="psalms, comfort",
                evergreen=True,
                extra_body={"drm": ["aspen"]},
            )
        item = await client.items.retrieve(result.item_id or "")
    assert warned[0].filename == __file__
    (sent,) = [r.json for r in emulator.requests if r.path == "/ingestion/v1/real_time_upload"]
    assert sent == {
        "content": "The Lord is my shepherd.",
        "publisher_id": PUB,
        "item_title": "Psalm 23",
        "author": ["David"],
        "item_tags": "psalms, comfort",
        "evergreen": True,
        "drm": ["aspen"],
    }
    assert item.item_title == "Psalm 23"
    assert item.author == ["David"]


@pytest.mark.asyncio
async def test_upload_text_refuses_a_misspelt_or_missing_argument() -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(f"{BASE}/ingestion/v1/real_time_upload").respond(200, json={})
        async with AsyncGloo(api_key="k") as client:
            with (
                pytest.warns(DeprecationWarning, match="deprecated"),
                pytest.raises(InvalidArgumentError, match="item_title"),
            ):
                await client.ingestion.upload_text(
                    content="x",
                    publisher_id=PUB,
                    item_titel="x",  # type: ignore[call-arg]
                )
            with (
                pytest.warns(DeprecationWarning, match="deprecated"),
                pytest.raises(InvalidArgumentError, match="content"),
            ):
                await client.ingestion.upload_text(publisher_id=PUB)  # type: ignore[call-arg]
    assert route.call_count == 0
