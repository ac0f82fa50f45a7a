"""Hostile bodies: huge lines, events and bodies, JSON nested too deep, streams that are not.

Each answer comes from the loopback server (or respx, where the body is small); memory is
measured with tracemalloc, work by the bytes the decoder scanned, never by the time taken.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from gloo_ai import (
    APIResponseValidationError,
    AsyncGloo,
    BadRequestError,
    ConfigurationError,
    GlooError,
    InternalServerError,
    ResponseTooLargeError,
)
from gloo_ai._limits import BodyLimits, read_body
from gloo_ai._sse import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_LINE_BYTES, SSEDecoder, SSELimitError
from tests.conftest import TOKEN_URL, V2_URL, FakeClock, completion_json
from tests.loopback import LoopbackServer, Reply

PATH = "/ai/v2/chat/completions"
MESSAGES = [{"role": "user", "content": "Hello"}]
SSE = {"content-type": "text/event-stream"}
MB = 1024 * 1024
PIECE = 64 * 1024
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def loop_client(loopback: LoopbackServer, clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key="test-api-key", base_url=loopback.url, _clock=clock)


class Peak:
    """The peak of the memory traced inside the block, in bytes."""

    def __enter__(self) -> Peak:
        tracemalloc.start()
        self.bytes = 0
        return self

    def __exit__(self, *exc: object) -> None:
        self.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


# --- the SSE decoder is linear and capped --------------------------------------------------


def test_a_32_mb_line_is_scanned_once_and_decoded_within_a_small_peak() -> None:
    decoder = SSEDecoder(max_line_bytes=64 * MB, max_event_bytes=64 * MB)
    piece = b"x" * PIECE
    pieces = 32 * MB // PIECE
    with Peak() as peak:
        assert decoder.feed(b"data: ") == []
        for _ in range(pieces):
            assert decoder.feed(piece) == []
        (event,) = decoder.feed(b"\n\n")
        assert len(event.data) == 32 * MB
        del event
    # Each byte is searched for a line end once (the old decoder rescanned the whole buffer
    # for every piece: 512 pieces made 8 GB of scanning and 20 s of CPU).
    assert decoder.bytes_scanned == 6 + pieces * PIECE + 2
    # The line buffer, then the line and its text: about three copies, never one per piece.
    assert peak.bytes < 4 * 32 * MB


def test_the_decoder_refuses_a_line_or_an_event_over_its_limits() -> None:
    decoder = SSEDecoder(max_line_bytes=1000, max_event_bytes=10_000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(SSELimitError) as line:
        decoder.feed(b"x" * 200)
    assert (line.value.what, line.value.limit) == ("line", 1000)

    decoder = SSEDecoder(max_line_bytes=1000, max_event_bytes=10_000)
    with pytest.raises(SSELimitError) as event:
        decoder.feed((b"data: " + b"y" * 900 + b"\n") * 20)
    assert (event.value.what, event.value.limit) == ("event", 10_000)

    # Within the limits, nothing changes: events, ids, CRLF line ends.
    decoder = SSEDecoder(max_line_bytes=1000, max_event_bytes=10_000)
    events = decoder.feed(b"id: 7\r\ndata: a\r\ndata: b\r\n\r\n")
    assert [(e.data, e.id) for e in events] == [("a\nb", "7")]


def test_the_default_limits_are_a_few_megabytes() -> None:
    assert 1 * MB <= DEFAULT_MAX_LINE_BYTES <= 16 * MB
    assert DEFAULT_MAX_LINE_BYTES <= DEFAULT_MAX_EVENT_BYTES <= 16 * MB
    assert BodyLimits().line_bytes == DEFAULT_MAX_LINE_BYTES


@pytest.mark.asyncio
async def test_an_unterminated_32_mb_line_raises_at_the_line_limit(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    piece = b"x" * PIECE
    loopback.add(PATH, Reply(200, headers=SSE, chunks=[b"data: ", *[piece] * (32 * MB // PIECE)]))
    with Peak() as peak:
        stream = await loop_client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(ResponseTooLargeError) as caught:
            async for _ in stream:
                pass
    assert caught.value.limit == DEFAULT_MAX_LINE_BYTES
    assert "max_stream_line_bytes" in str(caught.value)
    assert stream.response.is_closed
    assert peak.bytes < 3 * DEFAULT_MAX_LINE_BYTES  # not 32 MB, nor a multiple of it
    assert loopback.count(PATH) == 1  # not retried
    await loop_client.aclose()


@pytest.mark.asyncio
async def test_63_mb_of_data_lines_without_a_blank_line_raise_at_the_event_limit(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    line = b"data: " + b"z" * (PIECE - 7) + b"\n"
    loopback.add(PATH, Reply(200, headers=SSE, chunks=[line] * (63 * MB // PIECE)))
    with Peak() as peak:
        stream = await loop_client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(ResponseTooLargeError) as caught:
            async for _ in stream:
                pass
    assert caught.value.limit == DEFAULT_MAX_EVENT_BYTES
    assert "max_stream_event_bytes" in str(caught.value)
    assert peak.bytes < 3 * DEFAULT_MAX_EVENT_BYTES  # the old decoder peaked at 510 MB
    await loop_client.aclose()


@pytest.mark.asyncio
async def test_the_stream_limits_are_set_per_client(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    client = AsyncGloo(
        api_key="k",
        base_url=loopback.url,
        max_stream_line_bytes=2000,
        max_stream_event_bytes=4000,
        _clock=clock,
    )
    chunk = {"choices": [{"index": 0, "delta": {"content": "x" * 2000}, "finish_reason": None}]}
    loopback.add(PATH, Reply(200, headers=SSE, chunks=[f"data: {json.dumps(chunk)}\n\n"]))
    stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
    with pytest.raises(ResponseTooLargeError, match="2000 bytes"):
        async for _ in stream:
            pass
    # A copy keeps its client's limits.
    copy = client.with_options(max_retries=0)
    assert copy._transport.limits == client._transport.limits
    await client.aclose()


@pytest.mark.parametrize(
    "argument",
    ["max_response_bytes", "max_stream_line_bytes", "max_stream_event_bytes"],
)
@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True, None])
def test_a_limit_that_is_not_a_whole_number_of_bytes_is_a_configuration_error(
    argument: str, value: object
) -> None:
    with pytest.raises(ConfigurationError, match=argument):
        AsyncGloo(api_key="k", **{argument: value})  # type: ignore[arg-type]


# --- whole bodies are capped; an error body is read once, and only its start -------------


@pytest.mark.asyncio
async def test_a_200_mb_completion_is_refused_at_max_response_bytes(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    client = AsyncGloo(api_key="k", base_url=loopback.url, max_response_bytes=8 * MB, _clock=clock)
    piece = b" " * MB  # whitespace: JSON that would only fail once read to its end
    loopback.add(PATH, Reply(200, chunks=[piece] * 200))
    with Peak() as peak, pytest.raises(ResponseTooLargeError) as caught:
        await client.chat.completions.create(messages=MESSAGES)
    assert caught.value.limit == 8 * MB
    assert "max_response_bytes" in str(caught.value)
    assert peak.bytes < 3 * 8 * MB  # the old client peaked at 722 MB for this body
    assert loopback.count(PATH) == 1  # a generation is never paid for twice
    await client.aclose()


class _CountingStream(httpx.AsyncByteStream):
    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.read += len(piece)
            yield piece


@pytest.mark.asyncio
async def test_a_content_length_over_the_limit_is_refused_before_reading() -> None:
    stream = _CountingStream(iter([b"x" * 1000] * 10))
    response = httpx.Response(
        200, headers={"content-length": str(200 * MB)}, stream=stream, request=_request()
    )
    with pytest.raises(ResponseTooLargeError):
        await read_body(response, 8 * MB)
    assert stream.read == 0
    assert response.is_closed


@pytest.mark.asyncio
async def test_a_body_within_the_limit_is_read_whole() -> None:
    stream = _CountingStream(iter([b'{"a": ', b"1}"]))
    response = httpx.Response(200, stream=stream, request=_request())
    assert await read_body(response, 8) == b'{"a": 1}'
    assert response.json() == {"a": 1}


@pytest.mark.asyncio
async def test_a_100_mb_error_body_is_read_once_and_only_its_start(
    loop_client: AsyncGloo, loopback: LoopbackServer
) -> None:
    piece = b"e" * MB
    loopback.add(PATH, Reply(500, headers={"content-type": "text/plain"}, chunks=[piece] * 100))
    with Peak() as peak, pytest.raises(InternalServerError) as caught:
        await loop_client.chat.completions.create(messages=MESSAGES, max_retries=0)
    assert isinstance(caught.value.body, str)
    assert len(caught.value.body) <= MB
    assert len(caught.value.message) < 1000
    assert peak.bytes < 8 * MB  # not 100 MB read (three times, before)
    await loop_client.aclose()


# --- JSON nested too deep is the SDK's own error, never a RecursionError -----------------


@pytest.mark.asyncio
async def test_deeply_nested_json_in_a_200_body_is_a_validation_error(clock: FakeClock) -> None:
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        router.post(V2_URL).mock(return_value=httpx.Response(200, text=DEEP))
        with pytest.raises(APIResponseValidationError):
            await client.chat.completions.create(messages=MESSAGES)
        router.get(f"{V2_URL}/raw").mock(return_value=httpx.Response(200, text=DEEP))
        with pytest.raises(APIResponseValidationError):
            await client.get("/ai/v2/chat/completions/raw", cast_to=dict)


@pytest.mark.asyncio
async def test_deeply_nested_json_in_an_error_body_is_a_status_error(clock: FakeClock) -> None:
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        router.post(V2_URL).mock(return_value=httpx.Response(400, text=DEEP))
        with pytest.raises(BadRequestError) as caught:
            await client.chat.completions.create(messages=MESSAGES)
    assert isinstance(caught.value.body, str)


@pytest.mark.asyncio
async def test_deeply_nested_json_in_a_stream_event_is_a_validation_error(
    clock: FakeClock,
) -> None:
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        router.post(V2_URL).mock(
            return_value=httpx.Response(200, headers=SSE, text=f"data: {DEEP}\n\n")
        )
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(APIResponseValidationError, match="not JSON"):
            async for _ in stream:
                pass


@pytest.mark.asyncio
async def test_deeply_nested_json_in_a_token_answer_is_a_typed_error(clock: FakeClock) -> None:
    client = AsyncGloo(client_id="id", client_secret="secret-value", _clock=clock)
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(return_value=httpx.Response(200, text=DEEP))
        completion = router.post(V2_URL).mock(
            return_value=httpx.Response(200, json=completion_json())
        )
        with pytest.raises(GlooError) as caught:
            await client.chat.completions.create(messages=MESSAGES)
    assert not isinstance(caught.value, RecursionError)
    assert "secret-value" not in repr(caught.value)
    assert completion.call_count == 0


# --- a stream that is not an event stream ---------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", "<html><body>Gateway says hello</body></html>"),
        ("text/plain", "upstream connect error or disconnect/reset before headers"),
        ("", "data: looks like SSE, but nothing says so"),
    ],
)
async def test_a_stream_answered_with_another_content_type_raises_with_its_start(
    loop_client: AsyncGloo, loopback: LoopbackServer, content_type: str, body: str
) -> None:
    loopback.add(PATH, Reply(200, headers={"content-type": content_type}, body=body))
    stream = await loop_client.chat.completions.create(messages=MESSAGES, stream=True)
    with pytest.raises(APIResponseValidationError) as caught:
        async for _ in stream:
            pass
    assert body[:40] in str(caught.value)
    assert (content_type or "without a content type") in str(caught.value)
    assert stream.response.is_closed
    await loop_client.aclose()


def _request() -> httpx.Request:
    return httpx.Request("GET", "https://platform.ai.gloo.com/x")


def test_a_piece_that_is_one_whole_event_keeps_the_fields_set_before_it() -> None:
    # The decoder's fast path (one "data: ...\n\n" per piece) follows the same rules.
    decoder = SSEDecoder(max_line_bytes=100, max_event_bytes=100)
    assert decoder.feed(b"event: delta\nid: 9\n") == []
    (first,) = decoder.feed(b"data: {}\n\n")
    (second,) = decoder.feed(b"data:[DONE]\n\n")
    assert (first.data, first.event, first.id) == ("{}", "delta", "9")
    assert (second.data, second.event, second.id) == ("[DONE]", None, "9")
    with pytest.raises(SSELimitError):
        decoder.feed(b"data: " + b"x" * 200 + b"\n\n")


def test_deeply_nested_tool_arguments_are_a_tool_arguments_error() -> None:
    from gloo_ai import ToolArgumentsError, function_tool

    raw = function_tool(
        {"name": "lookup", "parameters": {"type": "object", "properties": {}}}, strict=False
    )
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        raw.parse_arguments(DEEP)


@pytest.mark.asyncio
async def test_deeply_nested_json_in_a_page_is_a_validation_error(clock: FakeClock) -> None:
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        router.get(url__startswith="https://platform.ai.gloo.com/engine/v2/publisher/").mock(
            return_value=httpx.Response(200, text=DEEP)
        )
        with pytest.raises(APIResponseValidationError):
            async for _ in client.items.list("pub-1"):
                pass
