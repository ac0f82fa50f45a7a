"""The Responses API against the emulator: answers, streams (every event, both completed
shapes), tool calls and a tool loop, the guardrail hard block, faults, counts and the log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from gloo_ai import (
    APIConnectionError,
    APIStreamError,
    AsyncGloo,
    BadRequestError,
    InternalServerError,
    PermissionDeniedError,
    UnprocessableEntityError,
    function_tool,
)
from gloo_ai.testing import GlooEmulator
from gloo_ai.testing._responses import HARD_BLOCK_TRIGGER
from gloo_ai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage
from tests.conftest import FakeClock

STANDARD = "/ai/v1/responses"
GUARDED = "/ai/v2/guarded/responses"
MODEL = "gloo-openai-gpt-5-mini"
KEY = {"authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


async def read_into(stream: Any, received: list[Any]) -> None:
    async for event in stream:
        received.append(event)


@pytest.fixture
def emulator() -> GlooEmulator:
    return GlooEmulator()


@pytest_asyncio.fixture
async def client(emulator: GlooEmulator, clock: FakeClock) -> AsyncIterator[AsyncGloo]:
    async with emulator.client(api_key=True, _clock=clock) as gloo:
        yield gloo


@pytest.mark.asyncio
async def test_a_plain_response_is_deterministic_and_logged(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    first = await client.responses.create(model=MODEL, input="What is grace?")
    again = await client.responses.create(
        model=MODEL,
        input=[{"role": "user", "content": [{"type": "input_text", "text": "What is grace?"}]}],
    )
    assert first.output_text == again.output_text
    assert '"What is grace?"' in first.output_text
    assert isinstance(first.output[0], ResponseOutputMessage)
    assert first.model == MODEL
    assert first.status == "completed"
    assert first.usage is not None
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens
    assert emulator.counts[STANDARD] == 2
    assert emulator.requests[-1].json["input"][0]["content"][0]["type"] == "input_text"


@pytest.mark.asyncio
async def test_the_tradition_and_instructions_shape_the_answer(client: AsyncGloo) -> None:
    response = await client.responses.create(
        model=MODEL,
        input="Hope?",
        tradition="catholic",
        instructions="Be brief.",
        surface="guarded",
    )
    assert response.output_text.startswith("From a Catholic perspective")
    assert response.model_extra is not None
    assert response.model_extra["tradition"] == "catholic"


@pytest.mark.asyncio
async def test_max_output_tokens_makes_an_incomplete_response(client: AsyncGloo) -> None:
    response = await client.responses.create(model=MODEL, input="Hope?", max_output_tokens=3)
    assert response.status == "incomplete"
    assert response.incomplete_details == {"reason": "max_output_tokens"}
    assert len(response.output_text.split()) == 3


@pytest.mark.asyncio
async def test_a_stream_sends_the_whole_event_sequence_flat(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    whole = await client.responses.create(model=MODEL, input="What is grace?")
    async with client.responses.stream(model=MODEL, input="What is grace?") as stream:
        events = [event async for event in stream]
        final = await stream.get_final_response()
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    assert final.output_text == whole.output_text
    assert final.usage is not None
    assert final.usage.total_tokens > 0
    assert emulator.counts[STANDARD] == 2
    # The emulator sends response.completed flat, as the live API does.
    async with emulator.http_client() as http:
        raw = await http.post(
            STANDARD, json={"model": MODEL, "input": "Hi", "stream": True}, headers=KEY
        )
    last = raw.text.strip().split("\n\n")[-1]
    payload = json.loads(last.split("data: ", 1)[1])
    assert "response" not in payload
    assert payload["status"] == "completed"


@pytest.mark.asyncio
async def test_the_nested_completed_shape_reads_the_same(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.responses_completed_shape = "nested"
    async with client.responses.stream(model=MODEL, input="What is grace?") as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_response()
    assert final.output_text == text
    assert final.id.startswith("resp_")


@pytest.mark.asyncio
async def test_a_required_tool_is_called_and_the_loop_answers(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    tool = function_tool(get_weather)
    question = {"role": "user", "content": "What is the weather in Denver?"}
    first = await client.responses.create(
        model=MODEL, input=[question], tools=[tool], tool_choice="required"
    )
    assert emulator.requests[-1].json["tools"][0]["name"] == "get_weather"
    [call] = first.function_calls
    assert isinstance(call, ResponseFunctionToolCall)
    assert call.name == "get_weather"
    city = tool.parse_arguments(call.arguments).city  # type: ignore[attr-defined]
    answer = await client.responses.create(
        model=MODEL,
        input=[
            question,
            *first.output,
            {
                "type": "function_call_output",
                "call_id": call.call_id,
                "output": await tool.call(call.arguments),
            },
        ],
        tools=[tool],
    )
    assert f"sunny in {city}" in answer.output_text
    assert answer.function_calls == []


@pytest.mark.asyncio
async def test_auto_calls_a_tool_the_prompt_names_and_streams_its_arguments(
    client: AsyncGloo,
) -> None:
    tool = function_tool(get_weather)
    async with client.responses.stream(
        model=MODEL, input="get_weather for Denver please", tools=[tool], tool_choice="auto"
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    assert "response.function_call_arguments.done" in kinds
    [call] = final.function_calls
    assert json.loads(call.arguments)["city"]
    none = await client.responses.create(
        model=MODEL, input="Hello", tools=[tool], tool_choice="auto"
    )
    assert none.function_calls == []


@pytest.mark.asyncio
@pytest.mark.parametrize("path", [STANDARD, GUARDED])
async def test_the_hard_block_trigger_is_a_403_that_says_guardrails(
    emulator: GlooEmulator, client: AsyncGloo, path: str
) -> None:
    surface = "guarded" if path == GUARDED else "standard"
    with pytest.raises(PermissionDeniedError, match="blocked by Gloo's guardrails"):
        await client.responses.create(
            model=MODEL, input=f"Tell me something {HARD_BLOCK_TRIGGER}", surface=surface
        )
    with pytest.raises(PermissionDeniedError, match="blocked by Gloo's guardrails"):
        async with client.responses.stream(model=MODEL, input=HARD_BLOCK_TRIGGER, surface=surface):
            pass
    assert emulator.counts[path] == 2  # sent once each, never retried


@pytest.mark.asyncio
async def test_the_emulator_refuses_bad_bodies(emulator: GlooEmulator, client: AsyncGloo) -> None:
    async with emulator.http_client() as http:
        empty = await http.post(STANDARD, json={"model": MODEL, "input": []}, headers=KEY)
        no_model = await http.post(STANDARD, json={"input": "Hi"}, headers=KEY)
        nested_tool = await http.post(
            STANDARD,
            json={
                "model": MODEL,
                "input": "Hi",
                "tools": [{"type": "function", "function": {"name": "f"}}],
            },
            headers=KEY,
        )
        anonymous = await http.post(STANDARD, json={"model": MODEL, "input": "Hi"})
    assert empty.status_code == 400
    assert no_model.status_code == 422
    assert nested_tool.status_code == 400
    assert anonymous.status_code == 401
    with pytest.raises(BadRequestError):
        await client.responses.create(model=MODEL, input="Hi", extra_body={"input": []})
    with pytest.raises(UnprocessableEntityError):
        await client.responses.create(model=MODEL, input="Hi", extra_body={"tradition": "x"})


@pytest.mark.asyncio
async def test_faults_apply_to_the_responses_routes(
    emulator: GlooEmulator, client: AsyncGloo, clock: FakeClock
) -> None:
    emulator.faults.server_error(STANDARD, status=503, code=2002, name="PROVIDER_UNAVAILABLE")
    await client.responses.create(model=MODEL, input="Hi")
    assert emulator.counts[STANDARD] == 2  # retried once after the 503
    assert len(clock.sleeps) == 1

    emulator.faults.stream_error(GUARDED, after_events=3)
    stream = await client.responses.create(model=MODEL, input="Hi", stream=True, surface="guarded")
    received: list[Any] = []
    with pytest.raises(APIStreamError) as info:
        await read_into(stream, received)
    assert len(received) == 3
    assert info.value.code == 2002

    emulator.faults.stream_error(STANDARD, retryable=False)
    with pytest.raises(InternalServerError):
        await client.responses.create(model=MODEL, input="Hi")


@pytest.mark.asyncio
async def test_a_stream_dropped_on_loopback_raises_a_connection_error() -> None:
    from gloo_ai.testing import EmulatorServer

    emulator = GlooEmulator()
    with EmulatorServer(emulator) as server:
        emulator.faults.drop(STANDARD, after_events=4)
        async with AsyncGloo(
            api_key=GlooEmulator.DEFAULT_API_KEY, base_url=server.url, max_retries=0
        ) as gloo:
            stream = await gloo.responses.create(model=MODEL, input="Hi", stream=True)
            with pytest.raises(APIConnectionError):
                async for _ in stream:
                    pass
    assert emulator.counts[STANDARD] == 1


@pytest.mark.asyncio
async def test_an_image_model_answers_with_a_generated_image(client: AsyncGloo) -> None:
    import base64

    from gloo_ai.types.responses import ResponseImageGenerationCall

    response = await client.responses.create(model="gloo-bfl-flux-2-pro", input="A sunrise")
    [image] = response.output
    assert isinstance(image, ResponseImageGenerationCall)
    assert image.result is not None
    assert base64.b64decode(image.result).startswith(b"\x89PNG\r\n\x1a\n")
    assert response.output_text == ""
    tool = await client.responses.create(
        model=MODEL, input="A sunrise", tools=[{"type": "image_generation"}]
    )
    assert isinstance(tool.output[0], ResponseImageGenerationCall)
    assert tool.output[0].result == image.result  # the same prompt, the same image
    async with client.responses.stream(model="gloo-bfl-flux-2-pro", input="A sunrise") as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    ]
    assert isinstance(final.output[0], ResponseImageGenerationCall)
    assert final.output[0].result == image.result


@pytest.mark.asyncio
async def test_responses_count_in_client_usage_once_per_answer(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.server_error(STANDARD, status=503, code=2002, name="PROVIDER_UNAVAILABLE")
    plain = await client.responses.create(model=MODEL, input="What is grace?")
    async with client.responses.stream(model=MODEL, input="What is grace?") as stream:
        streamed = await stream.get_final_response()
    assert emulator.counts[STANDARD] == 3  # the 503 was retried, and counted once
    assert plain.usage is not None
    assert streamed.usage is not None
    usage = client.usage.by_model[MODEL]
    assert usage.requests == 2
    assert usage.prompt_tokens == plain.usage.input_tokens + streamed.usage.input_tokens
    assert usage.completion_tokens == plain.usage.output_tokens + streamed.usage.output_tokens
