"""The emulator in-process: SSE streams, the fault script, and trio.

A fake clock absorbs the SDK's retry waits; a hang is checked under a short cancel guard
(``anyio.move_on_after``), which never waits for the emulator, only stops waiting for it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import pytest_asyncio

from gloo_ai import (
    APIResponseValidationError,
    APIStreamError,
    AsyncGloo,
    BadRequestError,
    InternalServerError,
    RateLimitError,
    TokenExchangeError,
    TokenUnavailableError,
)
from gloo_ai.testing import EmulatedDisconnect, FaultScript, GlooEmulator
from gloo_ai.types.chat import ChatCompletionChunk
from tests.conftest import FakeClock

TOKEN = "/oauth2/token"
V2 = "/ai/v2/chat/completions"
V1 = "/ai/v1/chat/completions"
API_KEY_HEADERS = {"Authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}
MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]
BODY = {"messages": MESSAGES, "auto_routing": True}
TOOL = {
    "type": "function",
    "function": {
        "name": "find_verse",
        "parameters": {
            "type": "object",
            "properties": {"topic": {"type": "string"}, "count": {"type": "integer"}},
            "required": ["topic", "count"],
        },
    },
}


@pytest.fixture
def emulator() -> GlooEmulator:
    return GlooEmulator()


@pytest_asyncio.fixture
async def client(emulator: GlooEmulator, clock: FakeClock) -> AsyncIterator[AsyncGloo]:
    async with emulator.client(_clock=clock) as client:
        yield client


@pytest_asyncio.fixture
async def http(emulator: GlooEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with emulator.http_client() as client:
        yield client


async def collect(stream: Any) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in stream]


async def drain(stream: Any, into: list[ChatCompletionChunk]) -> None:
    async for chunk in stream:
        into.append(chunk)


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# -- streams ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_stream_joins_to_the_plain_answer(client: AsyncGloo) -> None:
    plain = await client.chat.completions.create(messages=MESSAGES, tradition="mainline")
    chunks = await collect(
        await client.chat.completions.create(messages=MESSAGES, tradition="mainline", stream=True)
    )
    assert text_of(chunks) == plain.choices[0].message.content
    first, *middle, last = chunks
    assert first.choices[0].delta.role == "assistant"
    assert first.model == "gloo-openai-gpt-5.2"
    assert first.model_family == "OpenAI"
    assert first.routing_tier == plain.routing_tier
    assert first.routing_confidence == plain.routing_confidence
    assert first.ttft_ms is not None
    assert len(middle) == len((plain.choices[0].message.content or "").split()) - 1
    assert all(c.choices[0].finish_reason is None for c in [first, *middle])
    assert last.choices[0].finish_reason == "stop"
    assert last.choices[0].delta.content is None
    assert all(c.usage is None for c in chunks)  # no usage chunk without include_usage
    for chunk in chunks:
        assert chunk.id == first.id
        assert chunk.object == "chat.completion.chunk"
        assert chunk.created == first.created
        assert chunk.model == first.model


@pytest.mark.asyncio
async def test_usage_chunk_only_with_include_usage(client: AsyncGloo) -> None:
    plain = await client.chat.completions.create(messages=MESSAGES)
    chunks = await collect(
        await client.chat.completions.create(
            messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    *_, finish, usage = chunks
    assert finish.choices[0].finish_reason == "stop"
    assert usage.choices == []
    assert usage.usage == plain.usage
    assert usage.id == finish.id


@pytest.mark.asyncio
async def test_raw_stream_is_sse_without_done(http: httpx.AsyncClient) -> None:
    response = await http.post(V2, json={**BODY, "stream": True}, headers=API_KEY_HEADERS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert "x-request-id" in response.headers
    assert b"[DONE]" not in response.content
    events = response.content.split(b"\n\n")
    assert events.pop() == b""
    payloads = [json.loads(event.removeprefix(b"data: ")) for event in events]
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop"
    assert payloads[-1]["choices"][0]["delta"] == {}


@pytest.mark.asyncio
async def test_direct_model_stream_has_no_tier(client: AsyncGloo) -> None:
    chunks = await collect(
        await client.chat.completions.create(
            messages=MESSAGES, model="gloo-google-gemini-2.5-pro", stream=True
        )
    )
    assert chunks[0].model == "gloo-google-gemini-2.5-pro"
    assert chunks[0].model_family == "Google"
    assert chunks[0].routing_tier is None
    assert chunks[0].routing_confidence is None


@pytest.mark.asyncio
async def test_stream_with_max_tokens_ends_with_length(client: AsyncGloo) -> None:
    chunks = await collect(
        await client.chat.completions.create(messages=MESSAGES, max_tokens=3, stream=True)
    )
    assert len(text_of(chunks).split()) == 3
    assert chunks[-1].choices[0].finish_reason == "length"


@pytest.mark.asyncio
async def test_tool_call_streams_as_deltas(client: AsyncGloo) -> None:
    plain = await client.chat.completions.create(
        messages=MESSAGES, tools=[TOOL], tool_choice="required"
    )
    chunks = await collect(
        await client.chat.completions.create(
            messages=MESSAGES, tools=[TOOL], tool_choice="required", stream=True
        )
    )
    (expected,) = plain.choices[0].message.tool_calls or []
    (opening,) = chunks[0].choices[0].delta.tool_calls or []
    assert opening.index == 0
    assert opening.id == expected.id
    assert opening.type == "function"
    assert opening.function is not None
    assert opening.function.name == "find_verse"
    assert opening.function.arguments == ""
    pieces = [
        (c.choices[0].delta.tool_calls or [])[0].function.arguments or ""  # type: ignore[union-attr]
        for c in chunks[1:-1]
    ]
    assert len(pieces) > 1
    assert "".join(pieces) == expected.function.arguments
    assert json.loads("".join(pieces)) == {"topic": MESSAGES[0]["content"], "count": 1}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.asyncio
async def test_v1_stream_has_no_routing_metadata(client: AsyncGloo) -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        plain = await client.chat.completions_v1.create(messages=MESSAGES)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        stream = await client.chat.completions_v1.create(messages=MESSAGES, stream=True)
    chunks = await collect(stream)
    assert text_of(chunks) == plain.choices[0].message.content
    for chunk in chunks:
        assert chunk.model == "us.meta.llama3-3-70b-instruct-v1:0"
        assert chunk.model_family is None
        assert chunk.routing_tier is None
        assert chunk.ttft_ms is None


# -- faults through the SDK ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_rate_limit_then_success(
    emulator: GlooEmulator, client: AsyncGloo, clock: FakeClock
) -> None:
    emulator.faults.rate_limit(V2, retry_after=2.5)
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.choices[0].message.content
    assert emulator.counts[V2] == 2
    assert clock.sleeps == [2.5]  # Retry-After was honoured


@pytest.mark.asyncio
async def test_rate_limit_every_attempt_raises(emulator: GlooEmulator, client: AsyncGloo) -> None:
    emulator.faults.rate_limit(V2, times=3)
    with pytest.raises(RateLimitError) as info:
        await client.chat.completions.create(messages=MESSAGES, max_rate_limit_retries=2)
    assert info.value.code == "too_many_requests"
    assert info.value.retry_after == 1.0
    assert emulator.counts[V2] == 3
    assert emulator.faults.pending(V2) == 0


@pytest.mark.asyncio
async def test_server_error_not_retryable_is_raised_at_once(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.server_error(V2, retryable=False)
    with pytest.raises(InternalServerError) as info:
        await client.chat.completions.create(messages=MESSAGES)
    assert info.value.status_code == 503
    assert info.value.code == 2002
    assert info.value.name == "PROVIDER_UNAVAILABLE"
    assert info.value.retryable is False
    assert info.value.fault == "provider"
    assert info.value.request_id
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
async def test_server_error_retryable_is_retried(emulator: GlooEmulator, client: AsyncGloo) -> None:
    emulator.faults.server_error(V2, status=503, code=2002, name="PROVIDER_UNAVAILABLE")
    await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[V2] == 2


@pytest.mark.asyncio
async def test_error_2006_is_not_retried_and_says_to_raise_max_tokens(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    # Gloo marks 2006 retryable, but the same request fails again: only max_tokens helps.
    emulator.faults.server_error(V2, status=503, code=2006, name="EMPTY_COMPLETION")
    with pytest.raises(InternalServerError) as info:
        await client.chat.completions.create(messages=MESSAGES, max_tokens=100)
    assert emulator.counts[V2] == 1
    assert info.value.retryable is True
    assert "raise max_tokens" in str(info.value)


@pytest.mark.asyncio
async def test_stream_error_raises_after_the_first_events(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.stream_error(V2, after_events=2)
    stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
    received: list[ChatCompletionChunk] = []
    with pytest.raises(APIStreamError) as info:
        await drain(stream, received)
    assert len(received) == 2
    assert info.value.code == 2002
    assert info.value.name == "PROVIDER_UNAVAILABLE"
    assert info.value.retryable is True
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
async def test_stream_error_on_a_plain_request_is_503(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.stream_error(V2, retryable=False)
    with pytest.raises(InternalServerError) as info:
        await client.chat.completions.create(messages=MESSAGES)
    assert info.value.code == 2002


@pytest.mark.asyncio
async def test_drop_mid_body_is_retried_when_opted_in(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.drop(V2)
    completion = await client.chat.completions.create(messages=MESSAGES, retry_read_errors=True)
    assert completion.choices[0].message.content
    assert emulator.counts[V2] == 2


@pytest.mark.asyncio
async def test_drop_mid_stream_in_process_is_retried_when_opted_in(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    """httpx.ASGITransport reads whole bodies, so an in-process drop fails the send itself."""
    emulator.faults.drop(V2, after_events=3)
    stream = await client.chat.completions.create(
        messages=MESSAGES, stream=True, retry_read_errors=True
    )
    chunks = await collect(stream)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert emulator.counts[V2] == 2


@pytest.mark.asyncio
async def test_drop_raises_emulated_disconnect_in_process(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    emulator.faults.drop(V2)
    with pytest.raises(EmulatedDisconnect) as info:
        await http.post(V2, json=BODY, headers=API_KEY_HEADERS)
    assert isinstance(info.value, httpx.RemoteProtocolError)


@pytest.mark.asyncio
async def test_malformed_body_raises_validation_error(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.malformed(V2)
    with pytest.raises(APIResponseValidationError):
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
async def test_malformed_stream_raises_validation_error(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.malformed(V2)
    stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        await collect(stream)


@pytest.mark.asyncio
async def test_token_route_faults(
    emulator: GlooEmulator, client: AsyncGloo, clock: FakeClock
) -> None:
    emulator.faults.server_error(TOKEN, status=502)
    await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 2
    assert emulator.counts[V2] == 1
    assert len(clock.sleeps) == 1


@pytest.mark.asyncio
async def test_token_route_failing_for_good(emulator: GlooEmulator, client: AsyncGloo) -> None:
    emulator.faults.status(TOKEN, 503, times=3)
    with pytest.raises(TokenUnavailableError):
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 3
    assert emulator.counts[V2] == 0


@pytest.mark.asyncio
async def test_token_route_refusing(emulator: GlooEmulator, client: AsyncGloo) -> None:
    emulator.faults.status(TOKEN, 401, body={"error": "invalid_client"})
    with pytest.raises(TokenExchangeError):
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
async def test_faulted_401_makes_the_sdk_refresh(emulator: GlooEmulator, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES)
    emulator.faults.status(V2, 401, body={"error": "Invalid or expired token"})
    await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 2
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
async def test_sdk_refuses_what_it_cannot_send_but_raw_400_is_mapped(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.status(V2, 400, body={"error": {"code": 1001, "name": "INVALID_REQUEST"}})
    with pytest.raises(BadRequestError) as info:
        await client.chat.completions.create(messages=MESSAGES)
    assert info.value.code == 1001


# -- the fault script itself -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_faults_are_answered_in_order_per_route(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    emulator.faults.rate_limit(V2, times=2)
    emulator.faults.status(V2, 418, body="teapot", headers={"x-extra": "1"})
    emulator.faults.server_error(V1)
    statuses = [
        (await http.post(V2, json=BODY, headers=API_KEY_HEADERS)).status_code for _ in range(4)
    ]
    assert statuses == [429, 429, 418, 200]
    assert (await http.post(V1, json={"messages": MESSAGES}, headers=API_KEY_HEADERS)).json()[
        "error"
    ]["code"] == 2002
    assert emulator.counts[V2] == 4


@pytest.mark.asyncio
async def test_status_fault_bodies_and_headers(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    emulator.faults.status(V2, 418, body="teapot", headers={"x-extra": "1"})
    emulator.faults.status(V2, 500)
    emulator.faults.rate_limit(V2)
    teapot = await http.post(V2, json=BODY)
    assert (teapot.status_code, teapot.text, teapot.headers["x-extra"]) == (418, "teapot", "1")
    assert "x-request-id" in teapot.headers
    default = await http.post(V2, json=BODY)
    assert default.json() == {"detail": "Internal Server Error"}
    limited = await http.post(V2, json=BODY)
    assert limited.headers["retry-after"] == "1"
    assert limited.json() == {"error": "Rate limit exceeded", "code": "too_many_requests"}
    # Faults answer before auth: none of these requests carried credentials.
    assert emulator.counts["401"] == 0


@pytest.mark.asyncio
async def test_hang_never_answers(emulator: GlooEmulator, http: httpx.AsyncClient) -> None:
    emulator.faults.hang(V2)
    response = None
    with anyio.move_on_after(0.05) as guard:
        response = await http.post(V2, json=BODY, headers=API_KEY_HEADERS)
    assert guard.cancelled_caught
    assert response is None
    assert emulator.counts[V2] == 1
    # The fault is used up: the next request is answered.
    assert (await http.post(V2, json=BODY, headers=API_KEY_HEADERS)).status_code == 200


@pytest.mark.asyncio
async def test_hang_on_the_token_route(emulator: GlooEmulator, client: AsyncGloo) -> None:
    emulator.faults.hang(TOKEN)
    with anyio.move_on_after(0.05) as guard:
        await client.chat.completions.create(messages=MESSAGES)
    assert guard.cancelled_caught
    assert emulator.counts[TOKEN] == 1
    assert emulator.counts[V2] == 0
    await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 2


@pytest.mark.asyncio
async def test_delay_then_answer(emulator: GlooEmulator, http: httpx.AsyncClient) -> None:
    emulator.faults.delay(V2, 3600)
    emulator.faults.delay(V2, 0)
    with anyio.move_on_after(0.05) as guard:
        await http.post(V2, json=BODY, headers=API_KEY_HEADERS)
    assert guard.cancelled_caught
    response = await http.post(V2, json=BODY, headers=API_KEY_HEADERS)
    assert response.status_code == 200
    assert emulator.faults.pending(V2) == 0


def test_fault_script_checks_its_arguments() -> None:
    faults = FaultScript()
    with pytest.raises(ValueError, match="times"):
        faults.rate_limit(V2, times=0)
    with pytest.raises(ValueError, match="route"):
        faults.rate_limit("ai/v2/chat/completions")
    with pytest.raises(ValueError, match="status"):
        faults.status(V2, 42)
    with pytest.raises(ValueError, match="seconds"):
        faults.delay(V2, -1)
    faults.drop(V2, times=2)
    faults.hang(TOKEN)
    assert (faults.pending(V2), faults.pending(TOKEN)) == (2, 1)
    faults.clear()
    assert faults.pending(V2) == 0


# -- trio ------------------------------------------------------------------------------------


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_completion_stream_and_hang_on_each_backend() -> None:
    emulator = GlooEmulator()
    async with emulator.client(_clock=FakeClock()) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
        chunks = await collect(await client.chat.completions.create(messages=MESSAGES, stream=True))
        assert text_of(chunks) == completion.choices[0].message.content
        emulator.faults.rate_limit(V2)
        await client.chat.completions.create(messages=MESSAGES)
        emulator.faults.hang(V2)
        with anyio.move_on_after(0.05) as guard:
            await client.chat.completions.create(messages=MESSAGES)
        assert guard.cancelled_caught
    assert emulator.counts[V2] == 5
    assert emulator.counts[TOKEN] == 1
