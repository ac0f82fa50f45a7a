"""In-band error events in a chat stream, in every shape of gloo-api.md §14.1, and chunks that
only look like errors.

Each body is hand-written: one ordinary chunk, then the error event.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import respx

from gloo_ai import APIStreamError, AsyncGloo, AsyncStream
from gloo_ai.types.chat import ChatCompletionChunk
from tests.conftest import V2_URL, FakeClock

API_KEY = "test-api-key"
MESSAGES = [{"role": "user", "content": "Pray for me."}]
SSE = {"content-type": "text/event-stream"}


def data(payload: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(payload).encode() + b"\n\n"


FIRST = data({"choices": [{"index": 0, "delta": {"content": "Grace"}, "finish_reason": None}]})
FINISH = data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})


def sse_response(raw: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw, headers=SSE)

    return answer


async def read_into(
    stream: AsyncStream[ChatCompletionChunk], received: list[ChatCompletionChunk]
) -> None:
    async for chunk in stream:
        received.append(chunk)


@pytest.fixture
def client(clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, _clock=clock)


ERROR_EVENTS = {
    "ai-error-object": (
        data(
            {
                "error": {
                    "type": "service_unavailable_error",
                    "code": 2002,
                    "name": "PROVIDER_UNAVAILABLE",
                    "fault": "provider",
                    "retryable": True,
                    "message": "Provider unavailable",
                }
            }
        ),
        2002,
        "Provider unavailable",
    ),
    "string-error-and-code": (
        data({"error": "Rate limit exceeded", "code": "too_many_requests"}),
        "too_many_requests",
        "Rate limit exceeded",
    ),
    "detail-string": (
        data({"detail": "Error generating response."}),
        None,
        "Error generating response.",
    ),
    "detail-list": (
        data(
            {"detail": [{"type": "missing", "loc": ["body", "messages"], "msg": "Field required"}]}
        ),
        None,
        "messages: Field required",
    ),
    "message-and-code": (
        data({"message": "Upstream failed", "code": 2006, "retryable": True}),
        2006,
        "Upstream failed",
    ),
    "error-with-empty-choices": (
        data({"choices": [], "error": {"code": 2002, "message": "down"}}),
        2002,
        "down",
    ),
    "event-error-json": (
        data({"message": "Model crashed", "code": "internal"}, event="error"),
        "internal",
        "Model crashed",
    ),
    "event-error-chunk-shaped": (
        data({"choices": [], "usage": None}, event="error"),
        None,
        None,
    ),
    "event-error-text": (
        b"event: error\ndata: the provider went away\n\n",
        None,
        "the provider went away",
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(ERROR_EVENTS))
async def test_every_error_shape_raises_api_stream_error(client: AsyncGloo, name: str) -> None:
    event, code, detail = ERROR_EVENTS[name]
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(FIRST + event + FINISH))
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        received: list[ChatCompletionChunk] = []
        with pytest.raises(APIStreamError) as info:
            await read_into(stream, received)
    # The ordinary chunk came; no empty chunk was made of the error; nothing after it.
    assert len(received) == 1
    assert received[0].choices[0].delta.content == "Grace"
    assert info.value.code == code
    assert info.value.detail == detail
    assert info.value.request is not None
    assert "in the middle of the stream" in str(info.value)
    assert stream.response.is_closed
    await client.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["detail-string", "message-and-code", "event-error-json"])
async def test_the_stream_helper_raises_every_error_shape(client: AsyncGloo, name: str) -> None:
    event, _, _ = ERROR_EVENTS[name]
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(FIRST + event + FINISH))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            with pytest.raises(APIStreamError):
                await stream.get_final_completion()
    await client.aclose()


LOOKALIKES = {
    # A chunk with choices is a chunk, whatever else it carries.
    "choices-and-error-null": {
        "error": None,
        "choices": [{"index": 0, "delta": {"content": " and peace"}, "finish_reason": None}],
    },
    "choices-and-an-error-object": {
        "error": {"code": 1},
        "choices": [{"index": 0, "delta": {"content": " and peace"}, "finish_reason": None}],
    },
    "choices-and-message-and-code": {
        "message": "note",
        "code": 7,
        "choices": [{"index": 0, "delta": {"content": " and peace"}, "finish_reason": None}],
    },
    "content-that-says-error": {
        "choices": [
            {"index": 0, "delta": {"content": ' and peace {"error": "x"}'}, "finish_reason": None}
        ]
    },
    "named-event-that-is-not-error": {
        "choices": [{"index": 0, "delta": {"content": " and peace"}, "finish_reason": None}]
    },
}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(LOOKALIKES))
async def test_chunks_that_look_like_errors_are_chunks(client: AsyncGloo, name: str) -> None:
    event = "message" if name == "named-event-that-is-not-error" else None
    usage_with_null_error = data(
        {
            "choices": [],
            "error": None,
            "detail": None,
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }
    )
    body = FIRST + data(LOOKALIKES[name], event=event) + FINISH + usage_with_null_error
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(body))
        stream = await client.chat.completions.create(
            messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in stream]
    assert len(chunks) == 4
    assert chunks[1].choices[0].delta.content is not None
    assert chunks[1].choices[0].delta.content.startswith(" and peace")
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 3
    await client.aclose()
