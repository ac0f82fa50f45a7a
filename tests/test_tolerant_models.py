"""Response models are tolerant (gloo-api.md §0): missing ids and new enum values parse.

A completion or chunk without ``id``, ``created`` or ``model``, a tool call without an
``id``, and values this SDK does not know for ``finish_reason``, ``role`` and ``tradition``
are kept, not an `APIResponseValidationError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, ChatCompletionAccumulator
from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk, ToolCallDoneEvent
from tests.conftest import V2_URL, FakeClock

API_KEY = "test-api-key"
MESSAGES = [{"role": "user", "content": "Bless this day."}]
SSE = {"content-type": "text/event-stream"}


def data(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def sse_response(raw: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw, headers=SSE)

    return answer


@pytest.fixture
def client(clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, _clock=clock)


@pytest.mark.asyncio
async def test_a_completion_without_id_created_or_model_parses(client: AsyncGloo) -> None:
    body = {
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi"}}
        ]
    }
    with respx.mock() as router:
        router.post(V2_URL).respond(200, json=body)
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert (completion.id, completion.created, completion.model) == ("", 0, "")
    assert completion.choices[0].message.content == "Hi"
    assert "id" not in completion.to_dict()  # not sent, not invented
    await client.aclose()


@pytest.mark.asyncio
async def test_a_tool_call_without_id_parses(client: AsyncGloo) -> None:
    body = {
        "id": "c1",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
            }
        ],
    }
    with respx.mock() as router:
        router.post(V2_URL).respond(200, json=body)
        completion = await client.chat.completions.create(messages=MESSAGES)
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert calls[0].id == ""
    assert calls[0].function.name == "f"
    await client.aclose()


@pytest.mark.asyncio
async def test_unknown_finish_reason_role_and_tradition_are_kept(client: AsyncGloo) -> None:
    body = {
        "id": "c1",
        "created": 1,
        "model": "m",
        "tradition": "orthodox",
        "routing_mechanism": "semantic_routing",
        "choices": [
            {
                "index": 0,
                "finish_reason": "guardrail_stop",
                "message": {"role": "pastor", "content": "Peace."},
            }
        ],
    }
    with respx.mock() as router:
        router.post(V2_URL).respond(200, json=body)
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.tradition == "orthodox"
    assert completion.routing_mechanism == "semantic_routing"
    assert completion.choices[0].finish_reason == "guardrail_stop"
    assert completion.choices[0].message.role == "pastor"
    # Known values are still the typed ones.
    known = ChatCompletion.model_validate({**body, "tradition": "catholic"})
    assert known.tradition == "catholic"
    await client.aclose()


STREAM = (
    data(
        {
            "tradition": "orthodox",
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "role": "pastor",
                        "tool_calls": [
                            {"index": 0, "function": {"name": "lookup_verse", "arguments": ""}}
                        ],
                    },
                    "finish_reason": None,
                }
            ],
        }
    )
    + data(
        {
            "choices": [
                {
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"r":1}'}}]},
                    "finish_reason": None,
                }
            ]
        }
    )
    + data({"choices": [{"delta": {}, "finish_reason": "guardrail_stop"}]})
    + data(
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    )
)


@pytest.mark.asyncio
async def test_a_stream_without_ids_and_with_new_values_assembles(client: AsyncGloo) -> None:
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=sse_response(STREAM))
        async with client.chat.completions.stream(messages=MESSAGES) as stream:
            done = [e async for e in stream if isinstance(e, ToolCallDoneEvent)]
            completion = await stream.get_final_completion()
    assert (completion.id, completion.created, completion.model) == ("", 0, "")
    assert completion.tradition == "orthodox"
    choice = completion.choices[0]
    assert choice.finish_reason == "guardrail_stop"
    assert choice.message.role == "pastor"
    assert choice.message.tool_calls is not None
    assert choice.message.tool_calls[0].id == ""
    assert choice.message.tool_calls[0].function.arguments == '{"r":1}'
    assert [(e.id, e.name) for e in done] == [("", "lookup_verse")]
    await client.aclose()


def test_the_accumulator_takes_chunks_without_ids() -> None:
    accumulator = ChatCompletionAccumulator()
    for part in STREAM.split(b"\n\n"):
        if part:
            accumulator.add(ChatCompletionChunk.model_validate_json(part[len(b"data: ") :]))
    completion = accumulator.final_completion()
    assert completion.id == ""
    assert completion.usage is not None
    assert completion.choices[0].finish_reason == "guardrail_stop"
