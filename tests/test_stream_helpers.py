"""``client.chat.completions.stream(...)``: events, text, the final completion, connections.

Bodies are the hand-written fixtures in ``tests/fixtures``, served by respx or by the loopback
server (which counts connections); the last tests compare with the emulator. No test sleeps:
tasks are sequenced with anyio events, and ``anyio.fail_after`` only guards against a hang.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from gloo_ai import APIStreamError, AsyncGloo, BadRequestError
from gloo_ai.resources.chat._accumulator import IncompleteStreamError
from gloo_ai.resources.chat._stream_helpers import ChatCompletionStream, ChatCompletionStreamManager
from gloo_ai.types.chat import (
    ChatCompletion,
    ChunkEvent,
    ContentDeltaEvent,
    ToolCallDoneEvent,
    UsageEvent,
)
from tests.conftest import V2_URL, FakeClock
from tests.loopback import LoopbackServer, Reply

FIXTURES = Path(__file__).parent / "fixtures"
PATH = "/ai/v2/chat/completions"
API_KEY = "test-api-key"
MESSAGES = [{"role": "user", "content": "What does the Bible say about joy?"}]
SSE = {"content-type": "text/event-stream"}
USAGE_TEXT = "Joy is a fruit of the Spirit (Gal 5:22) — even in trials."


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def events_of(raw: bytes) -> list[bytes | str]:
    return [part + b"\n\n" for part in raw.split(b"\n\n") if part]


def sse_response(raw: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw, headers=SSE)

    return answer


class StallingStream(httpx.AsyncByteStream):
    """A body that sends ``pieces`` and then waits, as a silent server does, until closed.

    Closing it makes the pending read fail the way a closed socket does (``ReadError``).
    """

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.stalled = anyio.Event()
        self.closed = anyio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        self.stalled.set()
        await self.closed.wait()
        raise httpx.ReadError("the connection was closed")

    async def aclose(self) -> None:
        self.closed.set()


class StallingChunks(list[bytes | str]):
    """Loopback chunks that stop after the first ``send`` until released (a silent server)."""

    def __init__(self, chunks: list[bytes | str], send: int) -> None:
        super().__init__(chunks)
        self.send = send
        self.release = threading.Event()

    def __iter__(self) -> Iterator[bytes | str]:
        for i, chunk in enumerate(list.__iter__(self)):
            if i == self.send:
                self.release.wait(5)
                return
            yield chunk


@pytest.fixture
def client(clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, _clock=clock)


@pytest.fixture
def loop_client(loopback: LoopbackServer, clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, base_url=loopback.url, _clock=clock)


# --- through respx -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_events_text_and_final_completion(client: AsyncGloo) -> None:
    with respx.mock() as router:
        route = router.post(V2_URL).mock(side_effect=sse_response(fixture("v2_stream_usage.txt")))
        manager = client.chat.completions.stream(messages=MESSAGES, model="gloo-openai-gpt-5.2")
        assert isinstance(manager, ChatCompletionStreamManager)
        assert not route.called  # sent when the block is entered
        async with manager as stream:
            assert isinstance(stream, ChatCompletionStream)
            events = [event async for event in stream]
            completion = await stream.get_final_completion()
    body = json.loads(route.calls.last.request.content)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gloo-openai-gpt-5.2"
    assert [e.type for e in events].count("chunk") == 6
    assert isinstance(events[0], ChunkEvent)
    text = "".join(e.delta for e in events if isinstance(e, ContentDeltaEvent))
    assert text == USAGE_TEXT
    assert isinstance(events[-1], UsageEvent)
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == USAGE_TEXT
    assert completion.usage is not None
    assert completion.usage.total_tokens == 203
    assert completion.routing_tier == "tier_2"
    assert completion.ttft_ms == pytest.approx(412.5)
    assert stream.ttft_ms == pytest.approx(412.5)
    assert stream.current_completion_snapshot.choices[0].message.content == USAGE_TEXT
    assert stream.response.is_closed
    await client.aclose()


@pytest.mark.asyncio
async def test_text_stream_yields_only_the_text(client: AsyncGloo) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(fixture("v2_stream_multibyte.txt")))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            pieces = [text async for text in stream.text_stream]
            completion = await stream.get_final_completion()
    assert len(pieces) == 8
    assert "".join(pieces) == completion.choices[0].message.content
    assert completion.usage is not None
    await client.aclose()


@pytest.mark.asyncio
async def test_caller_stream_options_are_kept(client: AsyncGloo) -> None:
    with respx.mock() as router:
        route = router.post(V2_URL).mock(side_effect=sse_response(fixture("v2_stream_basic.txt")))
        async with client.chat.completions.stream(
            messages=MESSAGES, stream_options={"include_usage": False}, tradition="evangelical"
        ) as stream:
            completion = await stream.get_final_completion()
    body = json.loads(route.calls.last.request.content)
    assert body["stream_options"] == {"include_usage": False}
    assert body["tradition"] == "evangelical"
    assert completion.usage is None
    await client.aclose()


@pytest.mark.asyncio
async def test_tool_calls_assembled(client: AsyncGloo) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(
            side_effect=sse_response(fixture("v2_stream_parallel_tool_calls.txt"))
        )
        async with client.chat.completions.stream(
            messages=MESSAGES, model_family="anthropic", tool_choice="auto"
        ) as stream:
            done = [e async for e in stream if isinstance(e, ToolCallDoneEvent)]
            completion = await stream.get_final_completion()
    assert [e.name for e in done] == ["get_weather", "lookup_verse"]
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert json.loads(calls[1].function.arguments)["reference"] == "Psalm 23:1"
    assert completion.choices[0].finish_reason == "tool_calls"
    await client.aclose()


@pytest.mark.asyncio
async def test_refusal(client: AsyncGloo) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(fixture("v2_stream_refusal.txt")))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            types = [e.type async for e in stream]
            completion = await stream.get_final_completion()
    assert "refusal.done" in types
    assert "content.delta" not in types
    assert completion.choices[0].finish_reason == "content_filter"
    assert (completion.choices[0].message.refusal or "").startswith("I can\u2019t help")
    await client.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["v2_stream_error.txt", "v2_stream_error_2006.txt"])
async def test_in_band_error_raises_api_stream_error(client: AsyncGloo, name: str) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(fixture(name)))
        received: list[str] = []

        async def read(stream: ChatCompletionStream) -> None:
            async for event in stream:
                received.append(event.type)

        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            with pytest.raises(APIStreamError) as info:
                await read(stream)
        assert received.count("content.delta") == 2
        assert info.value.retryable is True
        assert stream.response.is_closed
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            with pytest.raises(APIStreamError):
                await stream.get_final_completion()
    await client.aclose()


@pytest.mark.asyncio
async def test_error_status_raises_on_entering(client: AsyncGloo) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(
            return_value=httpx.Response(400, json={"detail": "Use one routing mechanism"})
        )
        with pytest.raises(BadRequestError):
            async with client.chat.completions.stream(messages=MESSAGES):
                pass
    await client.aclose()


@pytest.mark.asyncio
async def test_closed_early_final_completion_raises(client: AsyncGloo) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(fixture("v2_stream_usage.txt")))
        manager = client.chat.completions.stream(messages=MESSAGES)
        async with manager as stream:
            async for event in stream:
                if isinstance(event, ContentDeltaEvent):
                    break
            await stream.close()
            await stream.close()
            assert [e async for e in stream] == []
            with pytest.raises(IncompleteStreamError) as info:
                await stream.get_final_completion()
        assert info.value.snapshot.choices[0].message.content == "Joy is"
        assert stream.response.is_closed
        with pytest.raises(RuntimeError, match="already entered"):
            await manager.__aenter__()
    await client.aclose()


@pytest.mark.asyncio
async def test_close_from_another_task_while_blocked_in_a_read(client: AsyncGloo) -> None:
    body = StallingStream(events_of(fixture("v2_stream_usage.txt"))[:2])  # type: ignore[arg-type]
    received: list[str] = []
    finished = anyio.Event()

    async def consume(stream: ChatCompletionStream) -> None:
        async for event in stream:  # ends cleanly: no exception when closed elsewhere
            received.append(event.type)
        finished.set()

    with respx.mock() as router:
        router.post(V2_URL).mock(return_value=httpx.Response(200, headers=SSE, stream=body))
        with anyio.fail_after(5):
            async with client.chat.completions.stream(messages=MESSAGES) as stream:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(consume, stream)
                    await body.stalled.wait()
                    await stream.close()
                    await finished.wait()
                await stream.close()
    assert received == ["chunk", "chunk", "content.delta"]
    assert body.closed.is_set()
    assert stream.response.is_closed
    await client.aclose()


@pytest.mark.asyncio
async def test_cancelling_the_consumer_blocked_in_a_read_closes_the_response(
    client: AsyncGloo,
) -> None:
    body = StallingStream(events_of(fixture("v2_stream_usage.txt"))[:2])  # type: ignore[arg-type]
    with respx.mock() as router:
        router.post(V2_URL).mock(return_value=httpx.Response(200, headers=SSE, stream=body))
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:

                async def consume() -> None:
                    async with client.chat.completions.stream(messages=MESSAGES) as stream:
                        await stream.until_done()

                tg.start_soon(consume)
                await body.stalled.wait()
                tg.cancel_scope.cancel()
    assert body.closed.is_set()
    await client.aclose()


# --- connections, through the loopback server ----------------------------------------------


@pytest.mark.asyncio
async def test_50_sequential_streams_read_to_the_end_use_one_connection(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    loopback.default(
        PATH, Reply(200, chunks=events_of(fixture("v2_stream_usage.txt")), headers=SSE)
    )
    for i in range(50):
        async with loop_client.chat.completions.stream(messages=MESSAGES) as stream:
            if i % 2:
                completion = await stream.get_final_completion()
            else:
                async for _ in stream:
                    pass
                completion = stream.accumulator.final_completion()
            assert completion.choices[0].message.content == USAGE_TEXT
            assert completion.usage is not None
            assert stream.response.is_closed
    assert loopback.count(PATH) == 50
    assert all(
        json.loads(s.body)["stream_options"] == {"include_usage": True} for s in loopback.seen
    )
    assert loopback.connections_opened == 1
    assert loopback.open_connections == 1
    await loop_client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_streams_left_early_release_their_connections(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    loopback.default(
        PATH, Reply(200, chunks=events_of(fixture("v2_stream_usage.txt")), headers=SSE)
    )
    for i in range(20):
        async with loop_client.chat.completions.stream(messages=MESSAGES) as stream:
            async for text in stream.text_stream:
                assert text
                if i % 2:
                    break
                await stream.close()
        assert stream.response.is_closed
        assert loopback.wait_closed(open_at_most=1) <= 1
    assert loopback.count(PATH) == 20
    # The pool still works.
    async with loop_client.chat.completions.stream(messages=MESSAGES) as stream:
        completion = await stream.get_final_completion()
    assert completion.choices[0].message.content == USAGE_TEXT
    await loop_client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_close_from_another_task_mid_iteration_releases_the_connection(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    loopback.default(
        PATH, Reply(200, chunks=events_of(fixture("v2_stream_usage.txt")), headers=SSE)
    )

    async def consume(
        stream: ChatCompletionStream,
        received: list[str],
        first_text: anyio.Event,
        closed: anyio.Event,
    ) -> None:
        async for event in stream:
            received.append(event.type)
            if isinstance(event, ContentDeltaEvent):
                first_text.set()
                await closed.wait()

    for _ in range(5):
        first_text = anyio.Event()
        closed = anyio.Event()
        received: list[str] = []
        with anyio.fail_after(5):
            async with (
                loop_client.chat.completions.stream(messages=MESSAGES) as stream,
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(consume, stream, received, first_text, closed)
                await first_text.wait()
                await stream.close()
                closed.set()
        assert received == ["chunk", "chunk", "content.delta"]
        assert stream.response.is_closed
        assert loopback.wait_closed(open_at_most=1) <= 1
    await loop_client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_close_from_another_task_while_blocked_on_a_real_socket(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    chunks = StallingChunks(events_of(fixture("v2_stream_usage.txt")), send=2)
    loopback.add(PATH, Reply(200, chunks=chunks, headers=SSE))
    two_chunks = anyio.Event()
    received: list[str] = []

    async def consume(stream: ChatCompletionStream) -> None:
        async for event in stream:
            received.append(event.type)
            if received.count("chunk") == 2:
                two_chunks.set()

    try:
        with anyio.fail_after(5):
            async with (
                loop_client.chat.completions.stream(messages=MESSAGES) as stream,
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(consume, stream)
                await two_chunks.wait()
                # The consumer is now waiting for bytes the server does not send.
                await stream.close()
        assert received == ["chunk", "chunk", "content.delta"]
        assert stream.response.is_closed
    finally:
        chunks.release.set()
    assert loopback.wait_closed() == 0
    await loop_client.aclose()


@pytest.mark.asyncio
async def test_cancelling_the_consuming_task_releases_the_connection(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    chunks = StallingChunks(events_of(fixture("v2_stream_usage.txt")), send=3)
    loopback.add(PATH, Reply(200, chunks=chunks, headers=SSE))
    second_text = anyio.Event()
    try:
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:

                async def consume() -> None:
                    async with loop_client.chat.completions.stream(messages=MESSAGES) as stream:
                        async for event in stream:
                            if isinstance(event, ContentDeltaEvent) and "Spirit" in event.delta:
                                second_text.set()

                tg.start_soon(consume)
                await second_text.wait()
                tg.cancel_scope.cancel()
    finally:
        chunks.release.set()
    assert loopback.wait_closed() == 0
    await loop_client.aclose()


# --- stream and non-stream agree, on the emulator ------------------------------------------

ROUTING_FIELDS = (
    "provider",
    "model_family",
    "auto_routing",
    "routing_mechanism",
    "routing_tier",
    "routing_confidence",
    "tradition",
)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "routing",
    [{}, {"model": "gloo-anthropic-claude-sonnet-4.5"}, {"model_family": "google"}],
    ids=["auto", "model", "family"],
)
async def test_stream_and_create_give_the_same_completion(
    gloo_client: AsyncGloo, routing: dict[str, str]
) -> None:
    messages = [{"role": "user", "content": "How can I find peace in anxious times?"}]
    created = await gloo_client.chat.completions.create(
        messages=messages, tradition="catholic", **routing
    )
    async with gloo_client.chat.completions.stream(
        messages=messages, tradition="catholic", **routing
    ) as stream:
        pieces = [text async for text in stream.text_stream]
        streamed = await stream.get_final_completion()
    assert created.choices[0].message.content
    assert streamed.choices[0].message.content == created.choices[0].message.content
    assert "".join(pieces) == created.choices[0].message.content
    assert streamed.choices[0].finish_reason == created.choices[0].finish_reason
    assert streamed.model == created.model
    for name in ROUTING_FIELDS:  # field by field: the stream carries the same routing
        assert getattr(streamed, name) == getattr(created, name), name
    assert streamed.provider == "Gloo AI"
    assert streamed.auto_routing is (routing == {})
    assert streamed.routing_mechanism is not None
    assert streamed.tradition == "catholic"
    assert streamed.usage == created.usage
    assert streamed.ttft_ms is not None
