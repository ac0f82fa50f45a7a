"""A stream of named events (``event:`` lines, the Responses API's shape, gloo-api.md §7) on
the same `SSEDecoder` and the same `AsyncStream` as chat, with a tiny model and tiny rules.

This is what a later Responses-API stream will plug in: a decode callable and a rules object.
The SSE bodies are hand-written.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from gloo_ai import APIStreamError, AsyncStream, IncompleteStreamError
from gloo_ai._models import GlooModel
from gloo_ai._sse import ServerSentEvent
from gloo_ai._streaming import JSONEventDecoder, Verdict

URL = "https://platform.ai.gloo.com/ai/v1/responses"
SSE = {"content-type": "text/event-stream"}


class ResponseEvent(GlooModel):
    """A tiny stand-in for the Responses API's events."""

    type: str
    delta: str | None = None
    sequence_number: int | None = None


class ResponseRules:
    """Yield until ``response.completed``; after it, drop; a body cut short is incomplete."""

    def __init__(self) -> None:
        self.completed = False
        self.text = ""

    def accept(self, item: ResponseEvent) -> Verdict:
        if self.completed:
            return Verdict.DROP
        if item.type == "response.output_text.delta":
            self.text += item.delta or ""
        if item.type == "response.completed":
            self.completed = True
            return Verdict.FINISH
        return Verdict.YIELD

    def end_of_body(self) -> None:
        if not self.completed:
            raise IncompleteStreamError("no response.completed", text=self.text)


def named(event: str, payload: str) -> bytes:
    return f"event: {event}\ndata: {payload}\n\n".encode()


CREATED = named("response.created", '{"type":"response.created","sequence_number":0}')
IN_PROGRESS = named("response.in_progress", '{"type":"response.in_progress","sequence_number":1}')
DELTAS = b"".join(
    named(
        "response.output_text.delta",
        f'{{"type":"response.output_text.delta","delta":"{piece}","sequence_number":{i}}}',
    )
    for i, piece in enumerate(["Peace ", "be ", "with you."], start=2)
)
# The live API puts the response's fields flat in the payload, "error": null among them.
COMPLETED = named(
    "response.completed",
    '{"type":"response.completed","id":"resp_1","status":"completed","error":null,'
    '"usage":{"input_tokens":5,"output_tokens":4,"total_tokens":9},"sequence_number":5}',
)


def open_stream(body: bytes) -> AsyncStream[ResponseEvent]:
    response = httpx.Response(200, headers=SSE, content=body, request=httpx.Request("POST", URL))
    decoder = JSONEventDecoder(ResponseEvent, response)

    def decode(event: ServerSentEvent) -> ResponseEvent | None:
        if event.event == "response.in_progress":
            return None  # an event this stream does not care about
        return decoder(event)

    return AsyncStream(response=response, decode=decode, rules=ResponseRules())


async def read_into(stream: AsyncStream[ResponseEvent], received: list[ResponseEvent]) -> None:
    async for event in stream:
        received.append(event)


@pytest.mark.asyncio
async def test_named_events_decode_through_async_stream() -> None:
    late = named("response.output_text.delta", '{"type":"response.output_text.delta","delta":"!"}')
    stream = open_stream(CREATED + IN_PROGRESS + DELTAS + COMPLETED + late)
    events = [event async for event in stream]
    assert [e.type for e in events] == [
        "response.created",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.completed",
    ]
    assert "".join(e.delta or "" for e in events) == "Peace be with you."
    completed = events[-1]
    assert completed.model_extra is not None
    assert completed.model_extra["usage"]["total_tokens"] == 9
    assert completed.model_extra["error"] is None
    assert stream.response.is_closed


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "error",
    [
        named("error", '{"type":"error","code":"server_error","message":"The model failed"}'),
        # The type in the payload alone says so too.
        b'data: {"type":"error","code":"server_error","message":"The model failed"}\n\n',
    ],
    ids=["event-line", "data-type"],
)
async def test_an_error_event_raises_api_stream_error(error: bytes) -> None:
    stream = open_stream(CREATED + DELTAS + error + COMPLETED)
    received: list[ResponseEvent] = []
    with pytest.raises(APIStreamError) as info:
        await read_into(stream, received)
    assert len(received) == 4
    assert info.value.code == "server_error"
    assert info.value.detail == "The model failed"
    assert info.value.request is not None
    assert info.value.request.url == URL
    assert stream.response.is_closed


@pytest.mark.asyncio
async def test_a_named_stream_cut_short_raises_what_its_rules_say() -> None:
    stream = open_stream(CREATED + DELTAS)
    with pytest.raises(IncompleteStreamError) as info:
        await read_into(stream, [])
    assert info.value.text == "Peace be with you."


def test_the_generic_stream_imports_no_api_area() -> None:
    # gloo_ai._streaming and gloo_ai._sse are root modules: they must not pull in an area.
    code = (
        "import sys, gloo_ai._streaming, gloo_ai._sse; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('gloo_ai.resources', 'gloo_ai.types'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
