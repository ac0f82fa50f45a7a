"""The Responses API (``client.responses``) offline on respx: the body, the typed answer,
the surfaces, arguments refused before sending, the guardrail 403, and streams (both
``response.completed`` shapes, error events, a body cut short)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
import respx

from gloo_ai import (
    APIStreamError,
    AsyncGloo,
    IncompleteStreamError,
    InvalidArgumentError,
    PermissionDeniedError,
    function_tool,
)
from gloo_ai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseImageGenerationCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
    ResponseTextDeltaEvent,
    ResponseUnknownEvent,
    ResponseUnknownItem,
)
from tests.conftest import BASE_URL

STANDARD = "/ai/v1/responses"
GUARDED = "/ai/v2/guarded/responses"
MODEL = "gloo-openai-gpt-5-mini"
API_KEY = "sk-VERY-secret-api-key"
SSE = {"content-type": "text/event-stream"}


def response_json(**extra: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1769792268,
        "model": MODEL,
        "status": "completed",
        "error": None,
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [
                    {"type": "output_text", "text": "Grace is ", "annotations": []},
                    {"type": "output_text", "text": "a gift.", "annotations": []},
                ],
            },
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": "iVBO",
            },
            {"type": "web_search_call", "id": "ws_1", "status": "completed", "query": "grace"},
        ],
        "usage": {"input_tokens": 5, "output_tokens": 4, "total_tokens": 9},
        "gloo_new_field": 7,
    }
    body.update(extra)
    return body


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def client(**kwargs: Any) -> AsyncGloo:
    return AsyncGloo(api_key=API_KEY, max_retries=0, **kwargs)


def sent(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


@pytest.mark.asyncio
async def test_create_sends_the_body_and_types_every_output_item(api: respx.MockRouter) -> None:
    route = api.post(STANDARD).respond(200, json=response_json())
    response = await client().responses.create(
        model=MODEL,
        input="What is grace?",
        instructions="Be brief.",
        max_output_tokens=200,
        tradition="catholic",
    )
    assert sent(route) == {
        "model": MODEL,
        "input": "What is grace?",
        "instructions": "Be brief.",
        "max_output_tokens": 200,
        "tradition": "catholic",
    }
    assert isinstance(response, Response)
    kinds = [type(item) for item in response.output]
    assert kinds == [
        ResponseReasoningItem,
        ResponseOutputMessage,
        ResponseImageGenerationCall,
        ResponseUnknownItem,
    ]
    assert response.output_text == "Grace is a gift."
    image = response.output[2]
    assert isinstance(image, ResponseImageGenerationCall)
    assert image.result == "iVBO"
    unknown = response.output[3]
    assert unknown.type == "web_search_call"
    assert unknown.model_extra == {"id": "ws_1", "status": "completed", "query": "grace"}
    assert response.usage is not None
    assert response.usage.total_tokens == 9
    assert response.model_extra is not None
    assert response.model_extra["gloo_new_field"] == 7


@pytest.mark.asyncio
async def test_messages_with_image_parts_and_flat_function_tools(api: respx.MockRouter) -> None:
    route = api.post(STANDARD).respond(200, json=response_json())
    tool = function_tool(get_weather)
    chat_shaped = {
        "type": "function",
        "function": {"name": "find_verse", "parameters": {"type": "object", "properties": {}}},
    }
    await client().responses.create(
        model=MODEL,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is in this picture?"},
                    {"type": "input_image", "image_url": "https://example.com/a.png"},
                ],
            }
        ],
        tools=[tool, chat_shaped],
        tool_choice=tool,
    )
    body = sent(route)
    assert body["input"][0]["content"][1] == {
        "type": "input_image",
        "image_url": "https://example.com/a.png",
    }
    assert body["tools"][0]["type"] == "function"
    assert body["tools"][0]["name"] == "get_weather"
    assert body["tools"][0]["parameters"]["properties"]["city"]["type"] == "string"
    assert "function" not in body["tools"][0]
    assert body["tools"][1] == {
        "type": "function",
        "name": "find_verse",
        "parameters": {"type": "object", "properties": {}},
    }
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}
    await client().responses.create(
        model=MODEL, input="A sunrise", tools=[{"type": "image_generation"}]
    )
    assert sent(route)["tools"] == [{"type": "image_generation"}]  # a built-in tool, as given


@pytest.mark.asyncio
async def test_function_calls_are_sent_back_with_their_outputs(api: respx.MockRouter) -> None:
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Denver"}',
        "status": "completed",
    }
    first = api.post(STANDARD).respond(200, json=response_json(output=[call]))
    gloo = client()
    response = await gloo.responses.create(
        model=MODEL, input="Weather?", tools=[function_tool(get_weather)]
    )
    assert response.function_calls == [ResponseFunctionToolCall.model_validate(call)]
    await gloo.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "Weather?"},
            *response.output,
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        ],
    )
    assert sent(first)["input"][1:] == [
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city": "Denver"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
    ]


@pytest.mark.asyncio
async def test_the_surface_picks_the_path_and_direct_is_refused(api: respx.MockRouter) -> None:
    standard = api.post(STANDARD).respond(200, json=response_json())
    guarded = api.post(GUARDED).respond(200, json=response_json())
    await client(surface="guarded").responses.create(model=MODEL, input="Hi")
    await client().responses.create(model=MODEL, input="Hi", surface="guarded")
    await client(surface="guarded").responses.create(model=MODEL, input="Hi", surface="standard")
    assert (guarded.call_count, standard.call_count) == (2, 1)
    with pytest.raises(InvalidArgumentError, match="responses has no 'direct' surface"):
        await client().responses.create(model=MODEL, input="Hi", surface="direct")
    with pytest.raises(InvalidArgumentError, match="responses has no 'direct' surface"):
        await client(surface="direct").responses.create(model=MODEL, input="Hi")
    assert (guarded.call_count, standard.call_count) == (2, 1)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input": ""}, "input"),
        ({"input": "   "}, "input"),
        ({"input": []}, "input is an empty list"),
        ({"input": b"bytes"}, "input must be a string or a list"),
        ({"input": 7}, "input must be a string or a list"),
        ({"input": [{"role": "user", "content": []}]}, "input"),
        ({"input": [{"role": "robot", "content": "Hi"}]}, "role"),
        ({"input": "Hi", "model": ""}, "model"),
        ({"input": "Hi", "max_output_tokens": 0}, "max_output_tokens"),
        ({"input": "Hi", "temperature": 3}, "temperature"),
        ({"input": "Hi", "tools": [{"type": "function", "name": "bad name!"}]}, "tools"),
        ({"input": "Hi", "tool_choice": "sometimes"}, "tool_choice"),
        ({"input": "Hi", "max_tokens": 10}, "did you mean 'max_output_tokens'"),
        ({"input": "Hi", "surface": "sideways"}, "surface must be one of"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    api: respx.MockRouter, kwargs: dict[str, Any], message: str
) -> None:
    route = api.post(STANDARD).respond(200, json=response_json())
    kwargs.setdefault("model", MODEL)
    with pytest.raises(InvalidArgumentError, match=message):
        await client().responses.create(**kwargs)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_a_missing_input_or_model_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="missing the required argument 'input'"):
        await client().responses.create(model=MODEL)  # type: ignore[call-arg]
    with pytest.raises(InvalidArgumentError, match="missing the required argument 'model'"):
        await client().responses.create(input="Hi")  # type: ignore[call-arg]
    with pytest.raises(InvalidArgumentError, match="always streams"):
        client().responses.stream(model=MODEL, input="Hi", stream=True)  # type: ignore[call-arg]


@pytest.mark.asyncio
async def test_a_guardrail_hard_block_says_so_and_is_sent_once(api: respx.MockRouter) -> None:
    body = {"error": {"type": "guardrail_error", "message": "Blocked by content guardrails."}}
    route = api.post(GUARDED).respond(403, json=body)
    with pytest.raises(PermissionDeniedError) as info:
        await AsyncGloo(api_key=API_KEY).responses.create(
            model=MODEL, input="...", surface="guarded"
        )
    message = str(info.value)
    assert "blocked by Gloo's guardrails" in message
    assert "Blocked by content guardrails." in message
    assert "may not use this resource" not in message
    assert API_KEY not in message + repr(info.value)
    assert info.value.status_code == 403
    assert route.call_count == 1  # a 403 is never retried


@pytest.mark.asyncio
async def test_a_permission_403_keeps_its_permission_message(api: respx.MockRouter) -> None:
    body = {"error": "Forbidden - insufficient permissions", "code": "forbidden"}
    api.post(STANDARD).respond(403, json=body)
    with pytest.raises(PermissionDeniedError) as info:
        await client().responses.create(model=MODEL, input="Hi")
    assert "guardrails" not in str(info.value)
    assert "may not use this resource" in str(info.value)


@pytest.mark.asyncio
async def test_with_raw_response_gives_the_http_answer(api: respx.MockRouter) -> None:
    api.post(STANDARD).respond(200, json=response_json(), headers={"x-request-id": "req-9"})
    raw = await client().responses.with_raw_response.create(model=MODEL, input="Hi")
    assert raw.status_code == 200
    assert raw.request_id == "req-9"
    assert raw.parse().output_text == "Grace is a gift."


# -- streams -----------------------------------------------------------------------------------


def named(kind: str, **payload: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode()


def text_events(pieces: list[str]) -> bytes:
    opening = {"type": "message", "id": "msg_1", "role": "assistant", "content": []}
    head = named("response.created", sequence_number=0, response={"id": "resp_1"})
    head += named("response.in_progress", sequence_number=1, response={"id": "resp_1"})
    head += named("response.output_item.added", output_index=0, item=opening)
    part = {"type": "output_text", "text": "", "annotations": []}
    head += named("response.content_part.added", item_id="msg_1", part=part)
    for piece in pieces:
        head += named("response.output_text.delta", item_id="msg_1", delta=piece)
    text = "".join(pieces)
    head += named("response.output_text.done", item_id="msg_1", text=text)
    done_part = {"type": "output_text", "text": text, "annotations": []}
    head += named("response.content_part.done", item_id="msg_1", part=done_part)
    item = {**opening, "status": "completed", "content": [done_part]}
    head += named("response.output_item.done", output_index=0, item=item)
    return head


USAGE = {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}
FLAT = named("response.completed", id="resp_1", status="completed", error=None, usage=USAGE)
NESTED = named(
    "response.completed", response={"id": "resp_1", "status": "completed", "usage": USAGE}
)


async def read_into(stream: Any, received: list[Any]) -> None:
    async for event in stream:
        received.append(event)


def stream_route(api: respx.MockRouter, body: bytes) -> respx.Route:
    return api.post(STANDARD).respond(200, headers=SSE, content=body)


@pytest.mark.asyncio
@pytest.mark.parametrize("completed", [FLAT, NESTED], ids=["flat", "nested"])
async def test_a_stream_yields_typed_events_and_the_final_response(
    api: respx.MockRouter, completed: bytes
) -> None:
    route = stream_route(api, text_events(["Peace ", "be ", "with you."]) + completed)
    async with client().responses.stream(model=MODEL, input="Bless me") as stream:
        texts = [text async for text in stream.text_stream]
        final = await stream.get_final_response()
    assert sent(route)["stream"] is True
    assert texts == ["Peace ", "be ", "with you."]
    assert final.id == "resp_1"
    assert final.status == "completed"
    assert final.usage is not None
    assert final.usage.total_tokens == 8
    # The completed payload did not repeat the output: the streamed items are it.
    assert final.output_text == "Peace be with you."
    assert stream.response.is_closed


@pytest.mark.asyncio
async def test_create_stream_true_yields_every_event_once_typed(api: respx.MockRouter) -> None:
    late = named("response.output_text.delta", item_id="msg_1", delta="!")
    surprise = named("response.reasoning_summary_text.delta", delta="thinking")
    stream_route(api, text_events(["Amen."]) + surprise + FLAT + late)
    stream = await client().responses.create(model=MODEL, input="Hi", stream=True)
    events = [event async for event in stream]
    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.reasoning_summary_text.delta",
        "response.completed",
    ]  # the delta after response.completed is dropped
    assert isinstance(events[0], ResponseCreatedEvent)
    assert isinstance(events[4], ResponseTextDeltaEvent)
    assert isinstance(events[8], ResponseUnknownEvent)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert events[-1].response.usage is not None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "error",
    [
        named("error", code="server_error", message="The model failed"),
        named(
            "response.failed",
            response={"error": {"code": "server_error", "message": "The model failed"}},
        ),
        b'data: {"error": {"code": "server_error", "message": "The model failed"}}\n\n',
    ],
    ids=["error-event", "response-failed", "error-body"],
)
async def test_an_error_event_raises_api_stream_error(api: respx.MockRouter, error: bytes) -> None:
    stream_route(api, text_events(["Peace "]) + error + FLAT)
    received: list[Any] = []
    async with client().responses.stream(model=MODEL, input="Hi") as stream:
        with pytest.raises(APIStreamError) as info:
            await read_into(stream, received)
    assert len(received) == 8
    assert info.value.code == "server_error"
    assert info.value.detail == "The model failed"


@pytest.mark.asyncio
async def test_a_stream_without_response_completed_is_incomplete(api: respx.MockRouter) -> None:
    stream_route(api, text_events(["Peace ", "be "]))
    async with client().responses.stream(model=MODEL, input="Hi") as stream:
        with pytest.raises(IncompleteStreamError) as info:
            await stream.get_final_response()
    assert info.value.text == "Peace be "
    stream_route(api, text_events(["Peace "]))
    raw = await client().responses.create(model=MODEL, input="Hi", stream=True)
    with pytest.raises(IncompleteStreamError):
        async for _ in raw:
            pass


@pytest.mark.asyncio
async def test_a_stream_closed_early_has_no_final_response(api: respx.MockRouter) -> None:
    stream_route(api, text_events(["Peace ", "be "]) + FLAT)
    async with client().responses.stream(model=MODEL, input="Hi") as stream:
        async for _ in stream:
            await stream.close()
        with pytest.raises(IncompleteStreamError, match=r"closed before response\.completed"):
            await stream.get_final_response()
    assert stream.response.is_closed


@pytest.mark.asyncio
async def test_a_stream_entered_twice_is_refused(api: respx.MockRouter) -> None:
    stream_route(api, text_events(["Hi"]) + FLAT)
    manager = client().responses.stream(model=MODEL, input="Hi")
    async with manager:
        pass
    with pytest.raises(RuntimeError, match="already entered"):
        async with manager:
            pass


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)
async def test_responses_under_both_backends(anyio_backend: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.post(STANDARD).mock(
            side_effect=[
                httpx.Response(200, json=response_json()),
                httpx.Response(200, headers=SSE, content=text_events(["Hi"]) + FLAT),
            ]
        )
        async with client() as gloo:
            with anyio.fail_after(10):
                plain = await gloo.responses.create(model=MODEL, input="Hi")
                async with gloo.responses.stream(model=MODEL, input="Hi") as stream:
                    final = await stream.get_final_response()
    assert plain.output_text == "Grace is a gift."
    assert final.output_text == "Hi"


def test_the_kwargs_declare_the_request_model_s_fields() -> None:
    from gloo_ai._call_options import CallOptions
    from gloo_ai.types.embeddings import EmbeddingCreateKwargs, EmbeddingCreateParams
    from gloo_ai.types.responses import ResponseCreateKwargs, ResponseCreateParams

    options = CallOptions.__optional_keys__
    names = ResponseCreateKwargs.__required_keys__ | ResponseCreateKwargs.__optional_keys__
    assert ResponseCreateKwargs.__required_keys__ == {"model", "input"}
    # ``stream`` is create()'s own parameter; ``surface`` picks the path and is not sent.
    assert names == (set(ResponseCreateParams.model_fields) - {"stream"}) | {"surface"} | options
    names = EmbeddingCreateKwargs.__required_keys__ | EmbeddingCreateKwargs.__optional_keys__
    assert names == set(EmbeddingCreateParams.model_fields) | options
