"""How a chat stream ends: never short without an error, never waiting for a lingering body.

Hand-written SSE bodies (Gloo's wire format, gloo-api.md §5 and §14.1), served by respx or by
the loopback server, which counts connections. No test sleeps or looks at the time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import respx

from gloo_ai import (
    APIConnectionError,
    AsyncGloo,
    AsyncStream,
    GlooError,
    IncompleteStreamError,
)
from gloo_ai.resources.chat._stream_helpers import ChatCompletionStream
from gloo_ai.types.chat import ChatCompletionChunk
from tests.conftest import V2_URL, FakeClock
from tests.loopback import LoopbackServer, Reply

FIXTURES = Path(__file__).parent / "fixtures"
PATH = "/ai/v2/chat/completions"
API_KEY = "test-api-key"
MESSAGES = [{"role": "user", "content": "What does the Bible say about joy?"}]
SSE = {"content-type": "text/event-stream"}
USAGE_TEXT = "Joy is a fruit of the Spirit (Gal 5:22) — even in trials."
BASIC_TEXT = (
    "The Bible calls us to forgive — freely, as we were forgiven (Col 3:13). "
    "Café prayers welcome 🙏"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def events_of(raw: bytes) -> list[bytes | str]:
    return [part + b"\n\n" for part in raw.split(b"\n\n") if part]


def data(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def content(text: str, finish: str | None = None) -> bytes:
    return data({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]})


FINISH = data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
USAGE = data(
    {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
)


def sse_response(raw: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw, headers=SSE)

    return answer


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def read_into(
    stream: AsyncStream[ChatCompletionChunk], received: list[ChatCompletionChunk]
) -> None:
    async for chunk in stream:
        received.append(chunk)


@pytest.fixture
def client(clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, _clock=clock)


@pytest.fixture
def loop_client(loopback: LoopbackServer, clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, base_url=loopback.url, _clock=clock)


# --- a body that ends before the finish ----------------------------------------------------

CUT_SHORT = b"".join(events_of(fixture("v2_stream_basic.txt"))[:3])  # type: ignore[arg-type]
CUT_TEXT = "The Bible calls us to forgive"


@pytest.mark.asyncio
@pytest.mark.parametrize("ending", [b"", b"data: [DONE]\n\n"], ids=["eof", "done"])
async def test_a_body_that_ends_before_the_finish_raises_incomplete(
    client: AsyncGloo, ending: bytes
) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(CUT_SHORT + ending))
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        received: list[ChatCompletionChunk] = []
        with pytest.raises(IncompleteStreamError) as info:
            await read_into(stream, received)
    assert len(received) == 3
    error = info.value
    assert isinstance(error, APIConnectionError)
    assert isinstance(error, GlooError)
    assert error.text == CUT_TEXT == text_of(received)
    assert error.snapshot is None  # a raw stream assembles nothing
    assert "choice 0 has no finish_reason" in str(error)
    assert error.request is not None
    assert error.request.url == V2_URL
    assert stream.response.is_closed
    assert [c async for c in stream] == []
    await client.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("ending", [b"", b"data: [DONE]\n\n"], ids=["eof", "done"])
async def test_get_final_completion_of_a_body_cut_short_raises_incomplete(
    client: AsyncGloo, ending: bytes
) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(CUT_SHORT + ending))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            with pytest.raises(IncompleteStreamError) as info:
                await stream.get_final_completion()
        assert info.value.text == CUT_TEXT
        assert info.value.snapshot.choices[0].message.content == CUT_TEXT
        assert info.value.snapshot.choices[0].finish_reason is None
        # Iterating the events raises it too.
        types: list[str] = []

        async def read(stream: ChatCompletionStream) -> None:
            async for event in stream:
                types.append(event.type)

        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            with pytest.raises(IncompleteStreamError):
                await read(stream)
        assert types.count("content.delta") == 2
    await client.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [b"", b": keep-alive\n\n", data({"id": "c1", "model": "m"}), b"data: [DONE]\n\n"],
    ids=["empty", "comment", "metadata-only", "done-only"],
)
async def test_a_body_with_no_choice_at_all_is_incomplete(client: AsyncGloo, body: bytes) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(IncompleteStreamError, match="no chunk with a choice"):
            await read_into(stream, [])
        assert stream.response.is_closed
    await client.aclose()


@pytest.mark.asyncio
async def test_one_open_choice_of_two_is_incomplete(client: AsyncGloo) -> None:
    body = (
        data({"choices": [{"index": 0, "delta": {"content": "A"}, "finish_reason": None}]})
        + data({"choices": [{"index": 1, "delta": {"content": "B"}, "finish_reason": None}]})
        + data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    )
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(IncompleteStreamError, match="choice 1"):
            await read_into(stream, [])
    await client.aclose()


@pytest.mark.asyncio
async def test_a_finished_answer_without_the_usage_it_asked_for_is_not_an_error(
    client: AsyncGloo,
) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(fixture("v2_stream_basic.txt")))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            completion = await stream.get_final_completion()
    assert completion.choices[0].message.content == BASIC_TEXT
    assert completion.usage is None
    await client.aclose()


# --- after the finish ------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("include_usage", [True, False])
async def test_content_after_the_finish_is_dropped_and_logged(
    client: AsyncGloo, include_usage: bool, caplog: pytest.LogCaptureFixture
) -> None:
    late_tool = data(
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]},
                    "finish_reason": None,
                }
            ]
        }
    )
    body = content("Amen.") + FINISH + content(" EXTRA") + late_tool + USAGE
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        with caplog.at_level(logging.DEBUG, logger="gloo_ai"):
            stream = await client.chat.completions.create(
                messages=MESSAGES, stream=True, stream_options={"include_usage": include_usage}
            )
            chunks = [c async for c in stream]
    assert text_of(chunks) == "Amen."
    assert all(not c.choices or not c.choices[0].delta.tool_calls for c in chunks)
    # The usage chunk still comes (already in the body, it is read even when not asked for).
    assert len(chunks) == 3
    assert chunks[-1].usage is not None
    dropped = [r for r in caplog.records if r.name == "gloo_ai" and "Dropped" in r.message]
    assert len(dropped) == 2
    assert all(r.levelno == logging.DEBUG for r in dropped)
    await client.aclose()


@pytest.mark.asyncio
async def test_the_stream_helper_does_not_append_content_after_the_finish(
    client: AsyncGloo,
) -> None:
    body = content("Amen.") + FINISH + content(" EXTRA") + USAGE
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            types = [e.type async for e in stream]
            completion = await stream.get_final_completion()
    assert completion.choices[0].message.content == "Amen."
    assert types.count("content.delta") == 1
    assert types[-1] == "usage"
    await client.aclose()


@pytest.mark.asyncio
async def test_a_choice_first_seen_after_the_answer_was_complete_is_dropped(
    client: AsyncGloo,
) -> None:
    late_choice = data({"choices": [{"index": 1, "delta": {}, "finish_reason": None}]})
    body = content("Amen.") + FINISH + USAGE + late_choice
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            completion = await stream.get_final_completion()
    assert [c.index for c in completion.choices] == [0]
    assert completion.usage is not None
    await client.aclose()


@pytest.mark.asyncio
async def test_metadata_and_usage_after_the_finish_are_yielded(client: AsyncGloo) -> None:
    metadata = data({"id": "c1", "choices": [], "provider": "Gloo AI", "trace_id": "t-1"})
    # A repeated finish with an empty delta is harmless and kept.
    again = data(
        {
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )
    body = content("Amen.") + FINISH + metadata + again + content("never read")
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        stream = await client.chat.completions.create(
            messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in stream]
    assert len(chunks) == 4
    assert chunks[2].provider == "Gloo AI"
    assert chunks[3].usage is not None
    assert chunks[3].choices[0].finish_reason == "stop"
    assert text_of(chunks) == "Amen."
    await client.aclose()


# --- a server that keeps the connection open after the end ----------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "include_usage", "count"),
    [("v2_stream_basic.txt", False, 6), ("v2_stream_usage.txt", True, 6)],
    ids=["finish-chunk", "usage-chunk"],
)
async def test_a_connection_held_open_after_the_last_chunk_does_not_hang_the_stream(
    loop_client: AsyncGloo,
    loopback: LoopbackServer,
    name: str,
    include_usage: bool,
    count: int,
) -> None:
    # The server sends every chunk, then neither ends the body nor closes the connection:
    # without the finish rules the consumer would wait for the read timeout (here, forever:
    # no test sleeps, so a hang fails the test run).
    held = Reply(200, chunks=events_of(fixture(name)), headers=SSE, hold_open=True)
    loopback.add(PATH, held, held, held)
    for _ in range(3):
        stream = await loop_client.chat.completions.create(
            messages=MESSAGES, stream=True, stream_options={"include_usage": include_usage}
        )
        chunks = [c async for c in stream]
        assert len(chunks) == count
        assert (chunks[-1].usage is not None) is include_usage
        assert stream.response.is_closed
        # The body never ended, so the connection cannot be reused: the client closed it.
        assert loopback.wait_closed() == 0
    assert loopback.count(PATH) == 3
    assert loopback.connections_opened == 3
    await loop_client.aclose()


@pytest.mark.asyncio
async def test_the_stream_helper_returns_the_completion_of_a_held_open_stream(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    loopback.add(
        PATH,
        Reply(200, chunks=events_of(fixture("v2_stream_usage.txt")), headers=SSE, hold_open=True),
        Reply(200, chunks=events_of(fixture("v2_stream_usage.txt")), headers=SSE),
        Reply(200, chunks=events_of(fixture("v2_stream_usage.txt")), headers=SSE),
    )
    for _ in range(3):
        async with loop_client.chat.completions.stream(messages=MESSAGES) as stream:
            completion = await stream.get_final_completion()
        assert completion.choices[0].message.content == USAGE_TEXT
        assert completion.usage is not None
    # The held connection was closed; the two ordinary streams shared one connection.
    assert loopback.connections_opened == 2
    await loop_client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_done_then_a_connection_held_open_does_not_hang(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    loopback.add(
        PATH,
        Reply(200, chunks=events_of(fixture("v2_stream_done.txt")), headers=SSE, hold_open=True),
    )
    # Usage asked for but never sent: [DONE] ends the stream, and it is complete.
    stream = await loop_client.chat.completions.create(
        messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert text_of([c async for c in stream]) == BASIC_TEXT
    assert loopback.wait_closed() == 0
    await loop_client.aclose()


@pytest.mark.asyncio
async def test_streams_that_end_with_their_body_still_share_one_connection(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    loopback.default(
        PATH, Reply(200, chunks=events_of(fixture("v2_stream_basic.txt")), headers=SSE)
    )
    for _ in range(20):
        stream = await loop_client.chat.completions.create(messages=MESSAGES, stream=True)
        assert text_of([c async for c in stream]) == BASIC_TEXT
    assert loopback.count(PATH) == 20
    assert loopback.connections_opened == 1
    await loop_client.aclose()
    assert loopback.wait_closed() == 0
