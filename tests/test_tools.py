"""Function tools: definitions (wire format), parsing calls, the transcript helpers and the
tool loop ``client.chat.completions.run_tools()`` against respx and the emulator.
"""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal, Optional

import anyio
import anyio.from_thread
import httpx
import pytest
import pytest_asyncio
import respx
from pydantic import BaseModel, Field

from gloo_ai import AsyncGloo, GlooError, InvalidArgumentError
from gloo_ai.resources.chat._tool_runner import (
    ToolLoopLimitError,
    ToolRunResult,
    assistant_message,
    tool_result,
)
from gloo_ai.testing import GlooEmulator
from gloo_ai.tools import (
    FunctionTool,
    ToolArgumentsError,
    UnknownToolError,
    function_tool,
    parse_tool_call,
)
from gloo_ai.types.chat import (
    AssistantMessage,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    ChatCompletionToolParam,
    ToolMessage,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, V2_URL, completion_json, token_json

V2_PATH = "/ai/v2/chat/completions"
USER = {"role": "user", "content": "What is the weather in Denver?"}


class Unit(str, enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


class GetWeather(BaseModel):
    """The current weather in a city."""

    city: str
    unit: Unit = Unit.CELSIUS


def forecast(
    city: str,
    days: int = 3,
    unit: Optional[Unit] = None,  # noqa: UP045 - Optional is part of what is tested
    tags: list[str] | None = None,
    mode: Literal["brief", "full"] = "brief",
) -> str:
    """Forecast the weather.

    Longer text that is not part of the description.

    Args:
        city: the city name.
        days: how many days
            to forecast.
    """
    return f"{city}: sunny for {days} days"


def call_of(name: str, arguments: str, call_id: str = "call_1") -> ChatCompletionMessageToolCall:
    return ChatCompletionMessageToolCall.model_validate(
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    )


def tool_calls_json(*calls: tuple[str, str, str]) -> dict[str, Any]:
    """A completion body asking for tool calls: (id, name, arguments) each."""
    body = completion_json()
    body["choices"] = [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                    for i, n, a in calls
                ],
            },
        }
    ]
    return body


# --------------------------------------------------------------------------- respx fixtures


@pytest.fixture
def v2() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
        yield router.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncGloo]:
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        yield client


def sent(route: respx.Route, index: int = -1) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls[index].request.content)
    return body


# --------------------------------------------------------------------------- tools on the wire


@pytest.mark.asyncio
async def test_tool_from_a_pydantic_model_on_the_wire(v2: respx.Route, client: AsyncGloo) -> None:
    tool = function_tool(GetWeather)
    await client.chat.completions.create(messages=[USER], tools=[tool])
    assert sent(v2)["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "GetWeather",
                "description": "The current weather in a city.",
                # pydantic's own schema (its exact form varies across pydantic versions:
                # older ones wrap a $ref with siblings in allOf).
                "parameters": GetWeather.model_json_schema(),
            },
        }
    ]
    parameters = sent(v2)["tools"][0]["function"]["parameters"]
    assert parameters["required"] == ["city"]
    assert parameters["$defs"]["Unit"]["enum"] == ["c", "f"]
    assert tool.arguments_model is GetWeather
    assert tool.function is None
    assert isinstance(tool.param, ChatCompletionToolParam)


@pytest.mark.asyncio
async def test_tool_from_a_function_with_defaults_optional_list_and_enum(
    v2: respx.Route, client: AsyncGloo
) -> None:
    await client.chat.completions.create(messages=[USER], tools=[function_tool(forecast)])
    assert sent(v2)["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "forecast",
                "description": "Forecast the weather.",
                "parameters": {
                    "$defs": {"Unit": {"enum": ["c", "f"], "title": "Unit", "type": "string"}},
                    "additionalProperties": False,
                    "properties": {
                        "city": {
                            "description": "the city name.",
                            "title": "City",
                            "type": "string",
                        },
                        "days": {
                            "default": 3,
                            "description": "how many days to forecast.",
                            "title": "Days",
                            "type": "integer",
                        },
                        "unit": {
                            "anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}],
                            "default": None,
                        },
                        "tags": {
                            "anyOf": [
                                {"items": {"type": "string"}, "type": "array"},
                                {"type": "null"},
                            ],
                            "default": None,
                            "title": "Tags",
                        },
                        "mode": {
                            "default": "brief",
                            "enum": ["brief", "full"],
                            "title": "Mode",
                            "type": "string",
                        },
                    },
                    "required": ["city"],
                    "title": "forecast",
                    "type": "object",
                },
            },
        }
    ]


@pytest.mark.asyncio
async def test_strict_function_tool_sends_a_strict_schema(
    v2: respx.Route, client: AsyncGloo
) -> None:
    def lookup(reference: str, version: str | None = None) -> str:
        """Look up a verse."""
        return reference

    await client.chat.completions.create(
        messages=[USER], tools=[function_tool(lookup, strict=True)]
    )
    function = sent(v2)["tools"][0]["function"]
    assert function["strict"] is True
    assert function["parameters"] == {
        "additionalProperties": False,
        "properties": {
            "reference": {"title": "Reference", "type": "string"},
            "version": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Version"},
        },
        "required": ["reference", "version"],
        "title": "lookup",
        "type": "object",
    }


RAW_PARAMETERS = {
    "type": "object",
    "properties": {"location": {"type": "string"}},
    "required": ["location"],
}


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "get_weather", "description": "Get weather", "parameters": RAW_PARAMETERS},
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get weather",
                "parameters": RAW_PARAMETERS,
            },
        },
    ],
    ids=["short", "full"],
)
@pytest.mark.asyncio
async def test_tool_from_a_raw_dict(
    v2: respx.Route, client: AsyncGloo, raw: dict[str, Any]
) -> None:
    tool = function_tool(raw)
    # A FunctionTool as tool_choice forces that function (the named form).
    await client.chat.completions.create(
        messages=[USER],
        tools=[tool],
        tool_choice=tool,
    )
    body = sent(v2)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get weather",
                "parameters": RAW_PARAMETERS,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert tool.arguments_model is None
    assert tool.parse_arguments('{"location": "Denver"}') == {"location": "Denver"}


def test_name_and_description_overrides() -> None:
    tool = function_tool(GetWeather, name="weather", description="Weather now.")
    assert tool.name == "weather"
    assert tool.param.function.description == "Weather now."
    assert function_tool(tool) is tool


def test_annotated_field_descriptions_are_kept() -> None:
    def pray(intention: Annotated[str, Field(description="what to pray for")]) -> str:
        return intention

    parameters = function_tool(pray).param.function.parameters
    assert parameters is not None
    assert parameters["properties"]["intention"]["description"] == "what to pray for"


def test_a_parameter_without_annotation_is_an_error() -> None:
    def untyped(city, days: int = 1) -> str:  # type: ignore[no-untyped-def]
        return str(city)

    with pytest.raises(InvalidArgumentError, match=r"without type annotations: city"):
        function_tool(untyped)


def test_star_args_are_an_error() -> None:
    def variadic(*cities: str) -> str:
        return ""

    with pytest.raises(InvalidArgumentError, match=r"\*cities"):
        function_tool(variadic)


def test_an_invalid_tool_name_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match=r"Invalid tool 'get weather!': function.name"):
        function_tool({"name": "get weather!", "parameters": RAW_PARAMETERS})
    with pytest.raises(InvalidArgumentError, match="pydantic model class, a typed function"):
        function_tool(42)  # type: ignore[call-overload]


# --------------------------------------------------------------------------- parsing arguments


def test_parse_arguments_into_the_model() -> None:
    tool = function_tool(GetWeather)
    args = tool.parse_arguments('{"city": "Denver", "unit": "f"}')
    assert args == GetWeather(city="Denver", unit=Unit.FAHRENHEIT)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"city": "Denver"', r"'GetWeather' with arguments that are not valid JSON"),
        ('{"unit": "k"}', r"wrong fields \(city: Field required; unit: Input should be 'c' or 'f'"),
        ("[1]", r"wrong fields \(\(root\): Input should be an object"),
    ],
)
def test_bad_arguments_raise_tool_arguments_error(arguments: str, expected: str) -> None:
    tool = function_tool(GetWeather)
    with pytest.raises(ToolArgumentsError, match=expected) as info:
        tool.parse_arguments(arguments)
    assert info.value.tool_name == "GetWeather"
    assert info.value.arguments == arguments
    assert isinstance(info.value, GlooError)
    assert isinstance(info.value, ValueError)


def test_raw_tool_arguments_must_be_a_json_object() -> None:
    tool = function_tool({"name": "t", "parameters": RAW_PARAMETERS})
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        tool.parse_arguments("{nope")
    with pytest.raises(ToolArgumentsError, match="not a JSON object"):
        tool.parse_arguments("[]")
    assert tool.parse_arguments("") == {}


def test_function_tool_rejects_unknown_fields() -> None:
    with pytest.raises(ToolArgumentsError, match="extra: Extra inputs are not permitted"):
        function_tool(forecast).parse_arguments('{"city": "Denver", "extra": 1}')


def test_parse_tool_call() -> None:
    tools = [function_tool(GetWeather), function_tool(forecast)]
    parsed = parse_tool_call(call_of("forecast", '{"city": "Denver", "days": 2}', "c9"), tools)
    assert parsed.id == "c9"
    assert parsed.name == "forecast"
    assert parsed.tool is tools[1]
    assert parsed.arguments.city == "Denver"
    assert parsed.arguments.days == 2


def test_parse_tool_call_with_an_unknown_name() -> None:
    tools = {"GetWeather": function_tool(GetWeather)}
    with pytest.raises(UnknownToolError, match=r"'get_time', which was not offered") as info:
        parse_tool_call(call_of("get_time", "{}"), tools)
    assert info.value.tool_name == "get_time"
    assert info.value.available == ("GetWeather",)


# --------------------------------------------------------------------------- calling tools


@pytest.mark.asyncio
async def test_call_runs_sync_functions_in_a_thread_and_encodes_results() -> None:
    main = threading.get_ident()
    threads: list[int] = []

    def where(city: str) -> dict[str, object]:
        threads.append(threading.get_ident())
        return {"city": city, "ok": True}

    assert await function_tool(where).call('{"city": "Denver"}') == '{"city":"Denver","ok":true}'
    assert len(threads) == 1
    assert threads[0] != main


@pytest.mark.asyncio
async def test_call_awaits_async_functions_and_dumps_models() -> None:
    async def weather(city: str) -> GetWeather:
        return GetWeather(city=city)

    assert await function_tool(weather).call('{"city": "Denver"}') == (
        '{"city":"Denver","unit":"c"}'
    )
    assert await function_tool(forecast).call('{"city": "Rome"}') == "Rome: sunny for 3 days"


@pytest.mark.asyncio
async def test_call_of_a_tool_without_function_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match="no function to run"):
        await function_tool(GetWeather).call('{"city": "Denver"}')


# --------------------------------------------------------------------------- transcript helpers


def test_assistant_message_keeps_tool_calls_and_tool_result() -> None:
    message = ChatCompletionMessage.model_validate(
        tool_calls_json(("c1", "forecast", '{"city": "Rome"}'))["choices"][0]["message"]
    )
    assistant = assistant_message(message)
    assert isinstance(assistant, AssistantMessage)
    assert assistant.model_dump(exclude_none=True) == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "forecast", "arguments": '{"city": "Rome"}'},
            }
        ],
    }
    result = tool_result("c1", "sunny")
    assert isinstance(result, ToolMessage)
    assert result.model_dump() == {"role": "tool", "content": "sunny", "tool_call_id": "c1"}


# --------------------------------------------------------------------------- the tool loop


@pytest.mark.asyncio
async def test_run_tools_runs_two_tools_concurrently(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    arrived = 0
    both_running = anyio.Event()

    async def arrive() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both_running.set()
        await both_running.wait()  # neither tool returns until both have started

    async def get_weather(city: str) -> str:
        """The weather in a city."""
        await arrive()
        return f"sunny in {city}"

    def get_verse(topic: str) -> str:
        """A verse about a topic."""
        anyio.from_thread.run(arrive)
        return f"a verse about {topic}"

    gloo_emulator.faults.status(
        V2_PATH,
        200,
        body=tool_calls_json(
            ("call_a", "get_verse", '{"topic": "hope"}'),
            ("call_b", "get_weather", '{"city": "Denver"}'),
        ),
    )
    with anyio.fail_after(10):  # a safety net against a deadlock, not a timing assertion
        result = await gloo_client.chat.completions.run_tools(
            messages=[USER], tools=[get_weather, get_verse]
        )
    assert isinstance(result, ToolRunResult)
    assert result.steps == 2
    assert both_running.is_set()
    roles = [m.role for m in result.messages[1:]]  # type: ignore[union-attr]
    assert roles == ["assistant", "tool", "tool", "assistant"]
    assert result.messages[0] == USER
    results = [m for m in result.messages if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.content) for m in results] == [
        ("call_a", "a verse about hope"),
        ("call_b", "sunny in Denver"),
    ]
    second = gloo_emulator.requests[-1].json
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "tool", "tool"]
    assert [t["function"]["name"] for t in second["tools"]] == ["get_weather", "get_verse"]
    assert result.content is not None
    assert 'using the result of get_weather: "sunny in Denver"' in result.content


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.asyncio
async def test_run_tools_with_the_emulator_choosing_the_tool(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator, kind: str
) -> None:
    calls: list[str] = []

    def get_weather_sync(city: str) -> str:
        calls.append(city)
        return "72F and clear"

    async def get_weather_async(city: str) -> str:
        calls.append(city)
        return "72F and clear"

    function = get_weather_async if kind == "async" else get_weather_sync
    tool = function_tool(function, name="get_weather")
    result = await gloo_client.chat.completions.run_tools(
        messages=[{"role": "user", "content": "get weather for Denver"}],
        tools=[tool],
        tool_choice="auto",
    )
    assert calls == ["get weather for Denver"]  # the emulator fills strings with the question
    assert result.steps == 2
    assert result.completion.choices[0].finish_reason == "stop"
    assert result.content is not None
    assert '"72F and clear"' in result.content
    assert gloo_emulator.requests[1].json["tool_choice"] == "auto"


@pytest.mark.asyncio
async def test_a_failing_tool_is_reported_to_the_model(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    def lookup(reference: str) -> str:
        raise ValueError("no such verse")

    result = await gloo_client.chat.completions.run_tools(
        messages=[USER], tools=[lookup], tool_choice="required"
    )
    error = "Error: ValueError: no such verse"
    tool_message = result.messages[2]
    assert isinstance(tool_message, ToolMessage)
    assert tool_message.content == error
    assert gloo_emulator.requests[-1].json["messages"][-1]["content"] == error
    assert result.content is not None
    assert error in result.content  # the model answered, using the error


@pytest.mark.asyncio
async def test_on_tool_error_raise_propagates(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    async def lookup(reference: str) -> str:
        raise KeyError(reference)

    with pytest.raises(KeyError):
        await gloo_client.chat.completions.run_tools(
            messages=[USER], tools=[lookup], tool_choice="required", on_tool_error="raise"
        )
    assert gloo_emulator.counts[V2_PATH] == 1


@pytest.mark.asyncio
async def test_on_tool_error_raise_cancels_the_other_tools(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    never = anyio.Event()
    cancelled: list[bool] = []

    async def slow(x: str) -> str:
        try:
            await never.wait()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise
        return x

    async def broken(x: str) -> str:
        raise RuntimeError("boom")

    gloo_emulator.faults.status(
        V2_PATH,
        200,
        body=tool_calls_json(("a", "slow", '{"x": "1"}'), ("b", "broken", '{"x": "2"}')),
    )
    with anyio.fail_after(10), pytest.raises(RuntimeError, match="boom"):
        await gloo_client.chat.completions.run_tools(
            messages=[USER], tools=[slow, broken], on_tool_error="raise"
        )
    assert cancelled == [True]


@pytest.mark.asyncio
async def test_bad_arguments_and_unknown_tools_are_reported(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    def get_weather(city: str) -> str:
        return "sunny"

    gloo_emulator.faults.status(
        V2_PATH,
        200,
        body=tool_calls_json(
            ("a", "get_weather", '{"city": '),
            ("b", "get_weather", '{"town": "Denver"}'),
            ("c", "get_time", "{}"),
        ),
    )
    result = await gloo_client.chat.completions.run_tools(messages=[USER], tools=[get_weather])
    contents = [str(m.content) for m in result.messages if isinstance(m, ToolMessage)]
    assert contents[0].startswith(
        "Error: ToolArgumentsError: The model called the tool 'get_weather' with arguments "
        "that are not valid JSON"
    )
    assert "city: Field required; town: Extra inputs are not permitted" in contents[1]
    assert contents[2] == (
        "Error: UnknownToolError: The model called the tool 'get_time', which was not offered "
        "(offered: 'get_weather')."
    )
    assert result.steps == 2


@pytest.mark.asyncio
async def test_max_steps_raises_tool_loop_limit_error(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    def get_weather(city: str) -> str:
        return "sunny"

    with pytest.raises(ToolLoopLimitError, match=r"after 1 model calls") as info:
        await gloo_client.chat.completions.run_tools(
            messages=[USER], tools=[get_weather], tool_choice="required", max_steps=1
        )
    assert info.value.steps == 1
    assert info.value.messages == [USER]
    assert info.value.completion.choices[0].finish_reason == "tool_calls"
    assert isinstance(info.value, GlooError)
    assert gloo_emulator.counts[V2_PATH] == 1


@pytest.mark.asyncio
async def test_run_tools_accepts_a_named_function_tool_choice(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    def first(x: str) -> str:
        return "one"

    second = function_tool(lambda_free_second)
    result = await gloo_client.chat.completions.run_tools(
        messages=[USER], tools=[first, second], tool_choice=second
    )
    sent_choice = gloo_emulator.requests[-2].json["tool_choice"]
    assert sent_choice == {"type": "function", "function": {"name": "lambda_free_second"}}
    assert result.content is not None
    assert "using the result of lambda_free_second" in result.content


def lambda_free_second(x: str) -> str:
    """The second tool."""
    return "two"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stream": True}, "does not stream"),
        ({"max_steps": 0}, "max_steps must be"),
        ({"on_tool_error": "ignore"}, "on_tool_error must be"),
        ({"tools": [GetWeather]}, "has none"),
        ({"tools": []}, "at least one tool"),
        ({"tools": [forecast, forecast]}, "Two tools are named 'forecast'"),
        ({"messages": "hello"}, "messages must be a list"),
    ],
)
@pytest.mark.asyncio
async def test_run_tools_invalid_arguments_send_nothing(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator, kwargs: dict[str, Any], match: str
) -> None:
    arguments: dict[str, Any] = {"messages": [USER], "tools": [forecast], **kwargs}
    with pytest.raises(InvalidArgumentError, match=match):
        await gloo_client.chat.completions.run_tools(**arguments)
    assert gloo_emulator.requests == []


def test_function_tool_is_generic_in_its_arguments() -> None:
    tool: FunctionTool[GetWeather] = function_tool(GetWeather)
    assert tool.parse_arguments('{"city": "x"}').city == "x"
