"""``client.chat.completions.create`` (v2) and the deprecated ``client.chat.completions_v1``:
routing, the request body, validation before sending, and parsing the response.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import respx

from gloo_ai import (
    APIResponseValidationError,
    AsyncGloo,
    AsyncStream,
    InvalidArgumentError,
)
from gloo_ai.types.chat import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionToolParam,
    FunctionDefinition,
    NamedToolChoice,
    StreamOptions,
    SystemMessage,
    ToolCallFunctionParam,
    ToolCallParam,
    ToolMessage,
    UserMessage,
)
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V1_URL,
    V2_URL,
    completion_json,
    token_json,
)

USER = {"role": "user", "content": "What does the Bible say about forgiveness?"}
MESSAGES = [USER]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": ["string", "null"], "enum": ["c", "f", None], "default": None},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}

TOOL_CALL_MESSAGE = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_abc123",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Denver"}'},
        }
    ],
}


def body_of(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


class Api:
    """The mocked endpoints, and the body of the last completion request."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.token = router.post(TOKEN_URL).mock(
            return_value=httpx.Response(200, json=token_json())
        )
        self.v2 = router.post(V2_URL).mock(
            return_value=httpx.Response(
                200, json=completion_json(), headers={"x-request-id": "req-123"}
            )
        )
        self.v1 = router.post(V1_URL).mock(
            return_value=httpx.Response(
                200,
                json=completion_json(
                    id="chatcmpl-1",
                    model="us.meta.llama3-3-70b-instruct-v1:0",
                    provider=None,
                    model_family=None,
                    auto_routing=None,
                    routing_mechanism=None,
                    routing_tier=None,
                    routing_confidence=None,
                ),
            )
        )

    def reply(self, status: int = 200, **kwargs: Any) -> None:
        self.v2.mock(return_value=httpx.Response(status, **kwargs))

    @property
    def body(self) -> dict[str, Any]:
        return body_of(self.v2.calls.last.request)

    def nothing_sent(self) -> bool:
        return not (self.token.called or self.v2.called or self.v1.called)


@pytest.fixture
def api() -> Iterator[Api]:
    with respx.mock(assert_all_called=False) as router:
        yield Api(router)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncGloo]:
    # Client credentials, so that "nothing was sent" also covers the token request.
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        yield client


# --------------------------------------------------------------------------- routing


@pytest.mark.asyncio
async def test_no_routing_arguments_means_auto_routing(api: Api, client: AsyncGloo) -> None:
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert isinstance(completion, ChatCompletion)
    body = api.body
    assert body == {"messages": MESSAGES, "auto_routing": True}
    assert "model" not in body
    assert "model_family" not in body


@pytest.mark.asyncio
async def test_auto_routing_true(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES, auto_routing=True)
    assert api.body == {"messages": MESSAGES, "auto_routing": True}


@pytest.mark.asyncio
async def test_model_sends_auto_routing_false(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES, model="gloo-openai-gpt-5-mini")
    assert api.body == {
        "messages": MESSAGES,
        "auto_routing": False,
        "model": "gloo-openai-gpt-5-mini",
    }


@pytest.mark.asyncio
async def test_model_family_sends_auto_routing_false(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES, model_family="anthropic")
    assert api.body == {
        "messages": MESSAGES,
        "auto_routing": False,
        "model_family": "anthropic",
    }


@pytest.mark.asyncio
@pytest.mark.parametrize("family", ["open source", "OpenAI", "Black Forest Labs"])
async def test_model_family_is_sent_as_given(api: Api, client: AsyncGloo, family: str) -> None:
    await client.chat.completions.create(messages=MESSAGES, model_family=family)
    assert api.body["model_family"] == family


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        (
            {"auto_routing": True, "model": "gloo-openai-gpt-5-mini"},
            ["auto_routing", "model="],
        ),
        ({"auto_routing": True, "model_family": "anthropic"}, ["auto_routing", "model_family"]),
        (
            {"model": "gloo-openai-gpt-5-mini", "model_family": "anthropic"},
            ["model=", "model_family"],
        ),
        (
            {"auto_routing": True, "model": "gloo-openai-gpt-5-mini", "model_family": "openai"},
            ["auto_routing", "model=", "model_family"],
        ),
    ],
    ids=["auto+model", "auto+family", "model+family", "all three"],
)
async def test_two_routing_mechanisms_are_rejected_before_sending(
    api: Api, client: AsyncGloo, kwargs: dict[str, Any], named: list[str]
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await client.chat.completions.create(messages=MESSAGES, **kwargs)
    for name in named:
        assert name in str(info.value)
    assert api.nothing_sent()


@pytest.mark.asyncio
async def test_auto_routing_false_alone_is_rejected(api: Api, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError, match="auto_routing"):
        await client.chat.completions.create(messages=MESSAGES, auto_routing=False)
    assert api.nothing_sent()


@pytest.mark.asyncio
async def test_auto_routing_false_with_a_model_is_fine(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(
        messages=MESSAGES, auto_routing=False, model="gloo-openai-gpt-5-mini"
    )
    assert api.body["auto_routing"] is False
    assert api.body["model"] == "gloo-openai-gpt-5-mini"


@pytest.mark.asyncio
async def test_an_empty_model_id_is_rejected(api: Api, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError, match="model"):
        await client.chat.completions.create(messages=MESSAGES, model="")
    assert api.nothing_sent()


# --------------------------------------------------------------------------- v2 fields


@pytest.mark.asyncio
@pytest.mark.parametrize("tradition", ["evangelical", "catholic", "mainline", "not_faith_specific"])
async def test_tradition_is_sent(api: Api, client: AsyncGloo, tradition: str) -> None:
    await client.chat.completions.create(messages=MESSAGES, tradition=tradition)  # type: ignore[arg-type]
    assert api.body["tradition"] == tradition


@pytest.mark.asyncio
async def test_spec_example_body(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(
        messages=MESSAGES,
        auto_routing=True,
        tradition="evangelical",
        temperature=0.7,
        max_tokens=1024,
    )
    assert api.body == {
        "messages": MESSAGES,
        "auto_routing": True,
        "tradition": "evangelical",
        "temperature": 0.7,
        "max_tokens": 1024,
    }


@pytest.mark.asyncio
@pytest.mark.parametrize("temperature", [0, 0.0, 1, 1.5, 2])
async def test_temperature_range(api: Api, client: AsyncGloo, temperature: float) -> None:
    await client.chat.completions.create(messages=MESSAGES, temperature=temperature)
    assert api.body["temperature"] == temperature


@pytest.mark.asyncio
@pytest.mark.parametrize("max_tokens", [1, 1024, 32000])
async def test_max_tokens(api: Api, client: AsyncGloo, max_tokens: int) -> None:
    await client.chat.completions.create(messages=MESSAGES, max_tokens=max_tokens)
    assert api.body["max_tokens"] == max_tokens


@pytest.mark.asyncio
async def test_tools_as_dicts_are_sent_as_given(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES, tools=[WEATHER_TOOL])
    assert api.body["tools"] == [WEATHER_TOOL]


@pytest.mark.asyncio
async def test_tools_as_models(api: Api, client: AsyncGloo) -> None:
    function = WEATHER_TOOL["function"]
    assert isinstance(function, dict)
    tool = ChatCompletionToolParam(
        function=FunctionDefinition(
            name=function["name"],
            description=function["description"],
            parameters=function["parameters"],
            strict=True,
        )
    )
    minimal = ChatCompletionToolParam(function=FunctionDefinition(name="ping"))
    await client.chat.completions.create(messages=MESSAGES, tools=[tool, minimal])
    assert api.body["tools"] == [
        WEATHER_TOOL,
        {"type": "function", "function": {"name": "ping"}},
    ]


@pytest.mark.asyncio
async def test_tools_from_a_generator(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES, tools=(t for t in [WEATHER_TOOL]))
    assert api.body["tools"] == [WEATHER_TOOL]


@pytest.mark.asyncio
@pytest.mark.parametrize("tool_choice", ["none", "auto", "required"])
async def test_tool_choice_strings(api: Api, client: AsyncGloo, tool_choice: Any) -> None:
    await client.chat.completions.create(
        messages=MESSAGES, tools=[WEATHER_TOOL], tool_choice=tool_choice
    )
    assert api.body["tool_choice"] == tool_choice


@pytest.mark.asyncio
async def test_tool_choice_named_function_dict(api: Api, client: AsyncGloo) -> None:
    choice = {"type": "function", "function": {"name": "get_weather"}}
    await client.chat.completions.create(
        messages=MESSAGES, tools=[WEATHER_TOOL], tool_choice=choice
    )
    assert api.body["tool_choice"] == choice


@pytest.mark.asyncio
async def test_tool_choice_named_function_model(api: Api, client: AsyncGloo) -> None:
    choice = NamedToolChoice.model_validate({"function": {"name": "get_weather"}})
    await client.chat.completions.create(
        messages=MESSAGES, tools=[WEATHER_TOOL], tool_choice=choice
    )
    assert api.body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "stream_options",
    [{"include_usage": True}, StreamOptions(include_usage=True)],
    ids=["dict", "model"],
)
async def test_stream_and_stream_options_are_sent(
    api: Api, client: AsyncGloo, stream_options: Any
) -> None:
    # A complete stream: a body that ends before a finish_reason raises IncompleteStreamError.
    chunk = {
        "id": "c1",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}],
    }
    api.reply(
        content=f"data: {json.dumps(chunk)}\n\n".encode(),
        headers={"content-type": "text/event-stream"},
    )
    stream = await client.chat.completions.create(
        messages=MESSAGES, stream=True, stream_options=stream_options
    )
    assert isinstance(stream, AsyncStream)
    async with stream:
        chunks = [c async for c in stream]
    assert [c.choices[0].delta.content for c in chunks] == ["Hi"]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    request = api.v2.calls.last.request
    assert request.headers["Accept"] == "text/event-stream"
    assert api.body == {
        "messages": MESSAGES,
        "auto_routing": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


@pytest.mark.asyncio
async def test_stream_false_is_sent(api: Api, client: AsyncGloo) -> None:
    completion = await client.chat.completions.create(messages=MESSAGES, stream=False)
    assert isinstance(completion, ChatCompletion)
    assert api.body["stream"] is False


@pytest.mark.asyncio
async def test_response_format_json_schema_is_sent_as_given(api: Api, client: AsyncGloo) -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {
            "name": "verse",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "reference": {"type": "string"},
                    "note": {"type": ["string", "null"], "default": None},
                },
                "required": ["reference", "note"],
                "additionalProperties": False,
            },
        },
    }
    await client.chat.completions.create(messages=MESSAGES, response_format=response_format)
    assert api.body["response_format"] == response_format


@pytest.mark.asyncio
async def test_every_v2_field_at_once(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(
        messages=MESSAGES,
        model="gloo-openai-gpt-5-mini",
        tradition="catholic",
        temperature=0.2,
        max_tokens=2048,
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        response_format={"type": "json_object"},
    )
    assert api.body == {
        "messages": MESSAGES,
        "auto_routing": False,
        "model": "gloo-openai-gpt-5-mini",
        "tradition": "catholic",
        "temperature": 0.2,
        "max_tokens": 2048,
        "tools": [WEATHER_TOOL],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
    }


# --------------------------------------------------------------------------- messages


@pytest.mark.asyncio
async def test_messages_as_dicts_of_every_role(api: Api, client: AsyncGloo) -> None:
    messages = [
        {"role": "system", "content": "Answer briefly."},
        USER,
        TOOL_CALL_MESSAGE,
        {"role": "tool", "tool_call_id": "call_abc123", "content": '{"temp": 21}'},
        {"role": "assistant", "content": "It is 21 degrees."},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}], "name": "ann"},
    ]
    await client.chat.completions.create(messages=messages)
    expected = [dict(m) for m in messages]
    del expected[2]["content"]  # a null content is not sent
    assert api.body["messages"] == expected


@pytest.mark.asyncio
async def test_messages_as_models(api: Api, client: AsyncGloo) -> None:
    messages = [
        SystemMessage(content="Answer briefly."),
        UserMessage(content="Weather in Denver?", name="ann"),
        AssistantMessage(
            tool_calls=[
                ToolCallParam(
                    id="call_abc123",
                    function=ToolCallFunctionParam(
                        name="get_weather", arguments='{"city": "Denver"}'
                    ),
                )
            ]
        ),
        ToolMessage(tool_call_id="call_abc123", content='{"temp": 21}'),
        AssistantMessage(content="It is 21 degrees."),
    ]
    await client.chat.completions.create(messages=messages)
    assert api.body["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Weather in Denver?", "name": "ann"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_abc123",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Denver"}'},
                }
            ],
        },
        {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_abc123"},
        {"role": "assistant", "content": "It is 21 degrees."},
    ]


@pytest.mark.asyncio
async def test_models_and_dicts_mixed(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(
        messages=[SystemMessage(content="Be kind."), USER]  # type: ignore[list-item]
    )
    assert api.body["messages"] == [{"role": "system", "content": "Be kind."}, USER]


@pytest.mark.asyncio
async def test_an_assistant_message_from_a_response_goes_back_into_the_conversation(
    api: Api, client: AsyncGloo
) -> None:
    api.reply(
        json=completion_json(
            choices=[{"index": 0, "finish_reason": "tool_calls", "message": TOOL_CALL_MESSAGE}]
        )
    )
    messages: list[Any] = [USER]
    first = await client.chat.completions.create(
        messages=messages, tools=[WEATHER_TOOL], tool_choice="required"
    )
    message = first.choices[0].message
    assert isinstance(message, ChatCompletionMessage)
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert json.loads(call.function.arguments) == {"city": "Denver"}

    messages.append(message)
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'})
    api.reply(json=completion_json("It is 21 degrees in Denver."))
    second = await client.chat.completions.create(messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content == "It is 21 degrees in Denver."
    assert api.body["messages"] == [
        USER,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_abc123",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Denver"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc123", "content": '{"temp": 21}'},
    ]


@pytest.mark.asyncio
async def test_an_assistant_text_message_from_a_response_goes_back(
    api: Api, client: AsyncGloo
) -> None:
    first = await client.chat.completions.create(messages=MESSAGES)
    await client.chat.completions.create(
        messages=[USER, first.choices[0].message, {"role": "user", "content": "More?"}]
    )
    assert api.body["messages"] == [
        USER,
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "More?"},
    ]


@pytest.mark.asyncio
async def test_messages_from_a_generator(api: Api, client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=(m for m in MESSAGES))
    assert api.body["messages"] == MESSAGES


# --------------------------------------------------------------------------- invalid input


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "mentions"),
    [
        pytest.param({"messages": []}, "messages", id="empty messages"),
        pytest.param({"messages": [{"role": "bot", "content": "hi"}]}, "messages", id="role bot"),
        pytest.param({"messages": [{"content": "hi"}]}, "messages", id="no role"),
        pytest.param({"messages": ["hello"]}, "message", id="message is a string"),
        pytest.param({"messages": "hello"}, "messages", id="messages is a string"),
        pytest.param({"messages": [{"role": "user"}]}, "content", id="no content"),
        pytest.param(
            {"messages": [{"role": "user", "content": "hi", "nmae": "ann"}]},
            "nmae",
            id="unknown field (typo)",
        ),
        pytest.param(
            {"messages": [{"role": "tool", "content": "21"}]}, "tool_call_id", id="tool no id"
        ),
        pytest.param({"messages": MESSAGES, "temperature": 3}, "temperature", id="temp 3"),
        pytest.param({"messages": MESSAGES, "temperature": -0.1}, "temperature", id="temp<0"),
        pytest.param({"messages": MESSAGES, "max_tokens": 0}, "max_tokens", id="max_tokens 0"),
        pytest.param({"messages": MESSAGES, "max_tokens": -5}, "max_tokens", id="max_tokens<0"),
        pytest.param(
            {"messages": MESSAGES, "tool_choice": "sometimes"}, "tool_choice", id="tool_choice"
        ),
        pytest.param(
            {"messages": MESSAGES, "tools": [{"type": "function", "function": {}}]},
            "tools",
            id="tool without name",
        ),
        pytest.param(
            {"messages": MESSAGES, "stream_options": {"include_usgae": True}},
            "include_usgae",
            id="stream_options typo",
        ),
        pytest.param({"messages": MESSAGES, "max_retries": -1}, "max_retries", id="max_retries"),
    ],
)
async def test_bad_input_is_rejected_before_sending(
    api: Api, client: AsyncGloo, kwargs: dict[str, Any], mentions: str
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await client.chat.completions.create(**kwargs)
    assert mentions in str(info.value)
    assert isinstance(info.value, ValueError)
    assert api.nothing_sent()


# --------------------------------------------------------------------------- responses


@pytest.mark.asyncio
async def test_completion_with_gloo_routing_metadata_and_usage(api: Api, client: AsyncGloo) -> None:
    api.reply(
        json=completion_json(
            "Forgiveness is...",
            tradition="evangelical",
            usage={
                "prompt_tokens": 125,
                "completion_tokens": 78,
                "total_tokens": 203,
                "cache_tokens": 100,
                "cache_hit_rate": 0.8,
                "cache_read_input_tokens": 96,
            },
        ),
        headers={"x-request-id": "req-42"},
    )
    completion = await client.chat.completions.create(messages=MESSAGES, tradition="evangelical")
    assert completion.id == "gen-1768500882-56Ha"
    assert completion.object == "chat.completion"
    assert completion.created == 1768500882
    assert completion.model == "gloo-openai-gpt-5.2"
    assert completion.provider == "Gloo AI"
    assert completion.model_family == "OpenAI"
    assert completion.auto_routing is True
    assert completion.routing_mechanism == "auto_routing"
    assert completion.routing_tier == "tier_2"
    assert completion.routing_confidence == pytest.approx(0.557)
    assert completion.tradition == "evangelical"
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "Forgiveness is..."
    assert choice.message.tool_calls is None
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (125, 78, 203)
    assert usage.cache_tokens == 100
    assert usage.cache_hit_rate == pytest.approx(0.8)
    assert usage.cache_read_input_tokens == 96
    assert completion._request_id == "req-42"


@pytest.mark.asyncio
async def test_usage_without_cache_fields(api: Api, client: AsyncGloo) -> None:
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.usage is not None
    assert completion.usage.cache_tokens is None
    assert completion.usage.cache_hit_rate is None
    assert completion.usage.cache_read_input_tokens is None
    assert completion.tradition is None


@pytest.mark.asyncio
async def test_direct_model_selection_has_no_tier_or_confidence(
    api: Api, client: AsyncGloo
) -> None:
    body = completion_json(auto_routing=False, routing_mechanism="direct_model_selection")
    del body["routing_tier"]
    del body["routing_confidence"]
    api.reply(json=body)
    completion = await client.chat.completions.create(
        messages=MESSAGES, model="gloo-openai-gpt-5.2"
    )
    assert completion.routing_mechanism == "direct_model_selection"
    assert completion.routing_tier is None
    assert completion.routing_confidence is None


@pytest.mark.asyncio
async def test_tool_calls_are_parsed(api: Api, client: AsyncGloo) -> None:
    message = dict(TOOL_CALL_MESSAGE)
    message["tool_calls"] = [
        *TOOL_CALL_MESSAGE["tool_calls"],  # type: ignore[misc]
        {
            "id": "call_def456",
            "type": "function",
            "function": {"name": "get_time", "arguments": "{}"},
        },
    ]
    api.reply(
        json=completion_json(
            choices=[{"index": 0, "finish_reason": "tool_calls", "message": message}]
        )
    )
    completion = await client.chat.completions.create(messages=MESSAGES, tools=[WEATHER_TOOL])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None
    assert [c.id for c in calls] == ["call_abc123", "call_def456"]
    assert calls[0].type == "function"
    assert calls[0].function.name == "get_weather"
    assert isinstance(calls[0].function.arguments, str)
    assert json.loads(calls[0].function.arguments) == {"city": "Denver"}
    assert calls[1].function.arguments == "{}"


@pytest.mark.asyncio
async def test_refusal(api: Api, client: AsyncGloo) -> None:
    api.reply(
        json=completion_json(
            choices=[
                {
                    "index": 0,
                    "finish_reason": "content_filter",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "refusal": "I can't help with that request.",
                    },
                }
            ]
        )
    )
    completion = await client.chat.completions.create(messages=MESSAGES)
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.refusal == "I can't help with that request."
    assert choice.message.content is None


@pytest.mark.asyncio
async def test_unknown_fields_are_kept(api: Api, client: AsyncGloo) -> None:
    api.reply(
        json=completion_json(
            ttft_ms=412.5,
            brand_new={"nested": [1, 2]},
            choices=[
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hi", "annotations": []},
                    "extra_choice_field": 1,
                }
            ],
        )
    )
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.model_extra is not None
    assert completion.model_extra["brand_new"] == {"nested": [1, 2]}
    assert completion.model_extra["ttft_ms"] == 412.5
    assert completion.brand_new == {"nested": [1, 2]}
    assert completion.choices[0].model_extra == {"extra_choice_field": 1}
    assert completion.choices[0].message.model_extra == {"annotations": []}
    assert completion.to_dict()["brand_new"] == {"nested": [1, 2]}


@pytest.mark.asyncio
async def test_unknown_enum_values_do_not_crash(api: Api, client: AsyncGloo) -> None:
    api.reply(
        json=completion_json(
            routing_mechanism="something_new",
            routing_tier="tier_9",
            model_family="Black Forest Labs",
            choices=[
                {
                    "index": 0,
                    "finish_reason": "weird",
                    "message": {"role": "assistant", "content": "Hi"},
                }
            ],
        )
    )
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.routing_mechanism == "something_new"
    assert completion.routing_tier == "tier_9"
    assert completion.model_family == "Black Forest Labs"
    assert completion.choices[0].finish_reason == "weird"


@pytest.mark.asyncio
async def test_the_older_documented_shape_parses(api: Api, client: AsyncGloo) -> None:
    api.reply(
        json={
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gloo-anthropic-claude-3-sonnet",
            "provider": "anthropic",
            "routing_mechanism": "model_selection",
            "routing_tier": "standard",
            "routing_confidence": 0.92,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hello"},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }
    )
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.provider == "anthropic"
    assert completion.routing_tier == "standard"
    assert completion.routing_mechanism == "model_selection"
    assert completion.routing_confidence == pytest.approx(0.92)
    assert completion.model_family is None
    assert completion.auto_routing is None


@pytest.mark.asyncio
async def test_the_v1_openai_shape_parses(api: Api, client: AsyncGloo) -> None:
    api.reply(
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "us.meta.llama3-3-70b-instruct-v1:0",
            "service_tier": None,
            "system_fingerprint": "fp",
            "choices": [
                {
                    "finish_reason": "stop",
                    "index": 0,
                    "logprobs": None,
                    "message": {
                        "content": "Hi",
                        "refusal": None,
                        "role": "assistant",
                        "annotations": None,
                        "audio": None,
                        "function_call": None,
                        "tool_calls": None,
                    },
                }
            ],
            "usage": {
                "completion_tokens": 1,
                "prompt_tokens": 2,
                "total_tokens": 3,
                "completion_tokens_details": None,
                "prompt_tokens_details": None,
            },
        }
    )
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.system_fingerprint == "fp"
    assert completion.choices[0].message.content == "Hi"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "reply",
    [
        pytest.param({"content": b"<html>Bad gateway</html>"}, id="html"),
        pytest.param({"content": b""}, id="empty"),
        pytest.param({"content": b'{"id": "x", "choices": ['}, id="truncated json"),
        pytest.param({"json": {"foo": 1}}, id="wrong object"),
        pytest.param({"json": []}, id="a list"),
        pytest.param({"json": "just a string"}, id="a string"),
        pytest.param({"json": completion_json(choices="nope")}, id="choices not a list"),
        pytest.param({"json": completion_json(created="yesterday")}, id="created not an int"),
    ],
)
async def test_a_200_with_a_bad_body_raises_a_validation_error(
    api: Api, client: AsyncGloo, reply: dict[str, Any]
) -> None:
    api.reply(headers={"x-request-id": "req-bad"}, **reply)
    with pytest.raises(APIResponseValidationError) as info:
        await client.chat.completions.create(messages=MESSAGES)
    assert info.value.status_code == 200
    assert "ChatCompletion" in str(info.value)
    assert api.v2.call_count == 1  # not retried


@pytest.mark.asyncio
async def test_with_raw_response(api: Api, client: AsyncGloo) -> None:
    raw = await client.chat.completions.with_raw_response.create(messages=MESSAGES)
    assert raw.status_code == 200
    assert raw.request_id == "req-123"
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    assert raw.parse() is completion


# --------------------------------------------------------------------------- v1 (deprecated)


@pytest.mark.asyncio
async def test_v1_posts_to_the_v1_path_with_a_deprecation_warning(
    api: Api, client: AsyncGloo
) -> None:
    with pytest.warns(DeprecationWarning, match="deprecated") as record:
        completion = await client.chat.completions_v1.create(
            model="us.meta.llama3-3-70b-instruct-v1:0", messages=MESSAGES
        )
    assert isinstance(completion, ChatCompletion)
    assert completion.model == "us.meta.llama3-3-70b-instruct-v1:0"
    assert api.v1.call_count == 1
    assert not api.v2.called
    body = body_of(api.v1.calls.last.request)
    assert body == {"messages": MESSAGES, "model": "us.meta.llama3-3-70b-instruct-v1:0"}
    assert "auto_routing" not in body
    # The warning points at the caller's line, not at the SDK.
    assert record[0].filename == __file__


@pytest.mark.asyncio
async def test_v1_sends_its_fields(api: Api, client: AsyncGloo) -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        await client.chat.completions_v1.create(
            messages=MESSAGES,
            temperature=1,
            max_tokens=1024,
            tools=[WEATHER_TOOL],
            tool_choice="none",
        )
    body = body_of(api.v1.calls.last.request)
    assert body == {
        "messages": MESSAGES,
        "temperature": 1,
        "max_tokens": 1024,
        "tools": [WEATHER_TOOL],
        "tool_choice": "none",
    }


@pytest.mark.asyncio
async def test_v1_with_raw_response_warning_points_at_the_caller(
    api: Api, client: AsyncGloo
) -> None:
    """Python shows a DeprecationWarning by default only when it is attributed to the
    caller's code, so it must not point inside gloo_ai (the raw-response wrapper)."""
    with pytest.warns(DeprecationWarning, match="deprecated") as record:
        raw = await client.chat.completions_v1.with_raw_response.create(messages=MESSAGES)
    assert isinstance(raw.parse(), ChatCompletion)
    assert api.v1.call_count == 1
    assert record[0].filename == __file__


@pytest.mark.asyncio
@pytest.mark.parametrize("temperature", [1.01, 1.5, 2])
async def test_v1_rejects_temperature_above_one(
    api: Api, client: AsyncGloo, temperature: float
) -> None:
    with (
        pytest.warns(DeprecationWarning, match="deprecated"),
        pytest.raises(InvalidArgumentError, match="temperature"),
    ):
        await client.chat.completions_v1.create(messages=MESSAGES, temperature=temperature)
    assert api.nothing_sent()


@pytest.mark.asyncio
async def test_v1_has_no_routing_arguments(client: AsyncGloo) -> None:
    with pytest.raises(TypeError):
        await client.chat.completions_v1.create(messages=MESSAGES, auto_routing=True)  # type: ignore[call-overload]
