"""Resources: abandoned streams give their connection back at once; tool runs are bounded.

The stream tests run with the garbage collector disabled: a stream left with ``break`` and
dropped must release its connection by reference counting alone. Counts only, no timings.
"""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, InvalidArgumentError, ToolCallLimitError
from tests.conftest import V2_URL, FakeClock, completion_json
from tests.loopback import LoopbackServer, Reply

PATH = "/ai/v2/chat/completions"
MESSAGES = [{"role": "user", "content": "Hello"}]
SSE = {"content-type": "text/event-stream"}


def _chunk(text: str) -> bytes:
    chunk = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


@pytest.fixture
def no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pool_size(http: httpx.AsyncClient) -> int:
    return len(http._transport._pool.connections)  # type: ignore[attr-defined]


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)
@pytest.mark.usefixtures("no_gc")
# Under trio, httpx's own nested body generators (inside Response.aiter_bytes) are left to
# trio's finaliser when a body is closed early, which warns; that is httpx, not the stream.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_100_streams_left_with_break_release_their_connections_without_gc(
    loopback: LoopbackServer, clock: FakeClock, anyio_backend: str
) -> None:
    # Two connections at most, and a pool wait that would fail the test if a stream kept one.
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=2), timeout=httpx.Timeout(5.0))
    client = AsyncGloo(
        api_key="k", base_url=loopback.url, http_client=http, max_retries=0, _clock=clock
    )
    loopback.default(PATH, Reply(200, headers=SSE, chunks=[_chunk("a"), _chunk("b")] * 50))
    for _ in range(100):
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        async for _chunk_seen in stream:
            break
        del stream  # left without close(): reference counting alone must free it
    assert loopback.count(PATH) == 100
    for _ in range(5):
        await anyio.lowlevel.checkpoint()  # the dropped generators' own clean-up runs on the loop
    assert _pool_size(http) <= 2
    completion = await client.chat.completions.create(messages=MESSAGES, stream=True)
    await completion.close()
    await http.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)
@pytest.mark.usefixtures("no_gc")
async def test_a_stream_dropped_before_it_was_read_closes_its_response(
    loopback: LoopbackServer, clock: FakeClock, anyio_backend: str
) -> None:
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(5.0))
    client = AsyncGloo(
        api_key="k", base_url=loopback.url, http_client=http, max_retries=0, _clock=clock
    )
    loopback.default(PATH, Reply(200, headers=SSE, chunks=[_chunk("a")] * 10))
    for _ in range(5):
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        response = stream.response
        del stream  # never iterated: its generator never started
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        assert response.is_closed
    assert loopback.count(PATH) == 5
    await http.aclose()


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("kind", ["AsyncStream", "ChatCompletionStream", "ResponseStream"])
async def test_a_half_read_stream_is_freed_by_reference_counting(kind: str) -> None:
    from gloo_ai import ChatCompletionStream, ResponseStream
    from gloo_ai._streaming import AsyncStream
    from gloo_ai.resources.responses._stream import response_stream_parser
    from gloo_ai.types.chat import ChatCompletionChunk

    if kind == "ResponseStream":
        event = {"type": "response.output_text.delta", "item_id": "m", "delta": "a"}
        body = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode() * 2
    else:
        body = _chunk("a") + _chunk("b")
    response = httpx.Response(200, headers=SSE, content=body, request=httpx.Request("POST", V2_URL))
    stream: Any
    if kind == "ResponseStream":
        stream = ResponseStream(response_stream_parser()(response))
    else:
        stream = AsyncStream(response=response, cast_to=ChatCompletionChunk)
        if kind == "ChatCompletionStream":
            stream = ChatCompletionStream(stream)
    async for _event in stream:
        break
    ref = weakref.ref(stream)
    del stream
    assert ref() is None  # no cycle: freed at once, gc disabled


# --- tool runs --------------------------------------------------------------------------


def _tool_calls(count: int) -> dict[str, Any]:
    body = completion_json()
    body["choices"] = [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": json.dumps({"n": i})},
                    }
                    for i in range(count)
                ],
            },
        }
    ]
    return body


class _Counter:
    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.runs = 0

    async def lookup(self, n: int) -> str:
        """Look a number up."""
        self.running += 1
        self.runs += 1
        self.peak = max(self.peak, self.running)
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()
        self.running -= 1
        return str(n)


@pytest.mark.asyncio
async def test_5000_tool_calls_in_one_answer_are_refused_before_any_runs(clock: FakeClock) -> None:
    counter = _Counter()
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        route = router.post(V2_URL).mock(return_value=httpx.Response(200, json=_tool_calls(5000)))
        with pytest.raises(ToolCallLimitError) as caught:
            await client.chat.completions.run_tools(messages=MESSAGES, tools=[counter.lookup])
    assert (caught.value.calls, caught.value.limit) == (5000, 128)
    assert counter.runs == 0
    assert route.call_count == 1


@pytest.mark.asyncio
async def test_tool_calls_run_at_most_max_concurrent_tools_at_once(clock: FakeClock) -> None:
    counter = _Counter()
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        router.post(V2_URL).mock(
            side_effect=[
                httpx.Response(200, json=_tool_calls(300)),
                httpx.Response(200, json=completion_json("done")),
            ]
        )
        result = await client.chat.completions.run_tools(
            messages=MESSAGES, tools=[counter.lookup], max_tool_calls=300, max_concurrent_tools=7
        )
    assert result.content == "done"
    assert counter.runs == 300
    assert counter.peak == 7
    # The results keep the order of the calls.
    tool_messages = [m for m in result.messages if getattr(m, "role", None) == "tool"]
    assert [m.content for m in tool_messages] == [str(i) for i in range(300)]  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_the_default_runs_a_few_tens_of_tools_at_once(clock: FakeClock) -> None:
    counter = _Counter()
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock() as router:
        router.post(V2_URL).mock(
            side_effect=[
                httpx.Response(200, json=_tool_calls(100)),
                httpx.Response(200, json=completion_json("done")),
            ]
        )
        await client.chat.completions.run_tools(messages=MESSAGES, tools=[counter.lookup])
    assert counter.runs == 100
    assert 10 <= counter.peak <= 99


@pytest.mark.asyncio
@pytest.mark.parametrize("argument", ["max_concurrent_tools", "max_tool_calls"])
@pytest.mark.parametrize("value", [0, -3, 2.5, "8", True])
async def test_a_tool_cap_that_is_not_a_whole_number_is_refused_before_sending(
    clock: FakeClock, argument: str, value: object
) -> None:
    counter = _Counter()
    client = AsyncGloo(api_key="k", _clock=clock)
    with respx.mock(assert_all_called=False) as router:
        route = router.post(V2_URL).mock(return_value=httpx.Response(200, json=_tool_calls(1)))
        with pytest.raises(InvalidArgumentError, match=argument):
            await client.chat.completions.run_tools(
                messages=MESSAGES,
                tools=[counter.lookup],
                **{argument: value},  # type: ignore[arg-type]
            )
    assert route.call_count == 0
