"""The emulator is faithful enough for a client nobody here wrote: the official openai package.

openai runs on the httpx2 fork, which respx cannot intercept, so it talks to the emulator
served on a loopback port, with a token from the emulator's own /oauth2/token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

openai = pytest.importorskip("openai")

from gloo_ai.testing import EmulatorServer, GlooEmulator  # noqa: E402

MODEL = "gloo-openai-gpt-5-mini"
MESSAGES = [{"role": "user", "content": "What does the Bible say about forgiveness?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(GlooEmulator()) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[openai.OpenAI]:
    token = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "api/access"},
        auth=(GlooEmulator.DEFAULT_CLIENT_ID, GlooEmulator.DEFAULT_CLIENT_SECRET),
    ).json()["access_token"]
    with openai.OpenAI(base_url=f"{server.url}/ai/v2", api_key=token, max_retries=0) as c:
        yield c


def test_a_plain_completion_parses_in_openais_models(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    # Gloo's routing metadata arrives as extra fields.
    assert completion.model_extra is not None
    assert completion.model_extra["routing_mechanism"] == "direct_model_selection"
    assert completion.model_extra["provider"] == "Gloo AI"


def test_a_stream_parses_in_openais_models(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None


def test_a_tool_call_parses_in_openais_models(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What's the weather in Chicago?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)


def test_a_streamed_tool_call_assembles_in_openais_stream_helper(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Chicago?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    ) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls
    assert calls[0].function.name == "get_weather"
    assert "city" in json.loads(calls[0].function.arguments)


def test_an_error_answer_raises_openais_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=MODEL, messages=MESSAGES, extra_body={"model_family": "anthropic"}
        )


# -- the Responses API: /ai/v1/responses, parsed by openai's own Responses client ---------------

RESPONSES_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
def responses_client(server: EmulatorServer) -> Iterator[openai.OpenAI]:
    # openai's stream helper needs response.completed nested under "response", as Gloo's docs
    # show; the live API (and the emulator by default) sends it flat, which the helper refuses.
    emulator = server.emulator
    emulator.responses_completed_shape = "nested"
    with openai.OpenAI(
        base_url=f"{server.url}/ai/v1", api_key=GlooEmulator.DEFAULT_API_KEY, max_retries=0
    ) as c:
        yield c
    emulator.responses_completed_shape = "flat"


def test_a_response_validates_strictly_in_openais_model(responses_client: openai.OpenAI) -> None:
    raw = responses_client.responses.with_raw_response.create(model=MODEL, input="What is grace?")
    response = openai.types.responses.Response.model_validate_json(raw.http_response.text)
    assert response.status == "completed"
    assert response.output_text
    assert response.usage is not None
    assert response.usage.total_tokens > 0
    assert raw.parse().output_text == response.output_text


def test_a_streamed_response_validates_event_by_event(responses_client: openai.OpenAI) -> None:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[object] = TypeAdapter(openai.types.responses.ResponseStreamEvent)
    whole = responses_client.responses.create(model=MODEL, input="What is grace?")
    raw = responses_client.responses.with_raw_response.create(
        model=MODEL, input="What is grace?", stream=True
    )
    events = [
        adapter.validate_json(block.split("data: ", 1)[1])
        for block in raw.http_response.read().decode().strip().split("\n\n")
    ]
    kinds = [getattr(event, "type", None) for event in events]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    with responses_client.responses.stream(model=MODEL, input="What is grace?") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == whole.output_text == final.output_text


def test_a_function_tool_call_parses_in_openais_models(responses_client: openai.OpenAI) -> None:
    raw = responses_client.responses.with_raw_response.create(
        model=MODEL,
        input="What's the weather in Chicago?",
        tools=[RESPONSES_TOOL],  # type: ignore[list-item]
        tool_choice="required",
    )
    response = openai.types.responses.Response.model_validate_json(raw.http_response.text)
    [call] = response.output
    assert isinstance(call, openai.types.responses.ResponseFunctionToolCall)
    assert call.name == "get_weather"
    assert "city" in json.loads(call.arguments)
    with responses_client.responses.stream(
        model=MODEL,
        input="What's the weather in Chicago?",
        tools=[RESPONSES_TOOL],  # type: ignore[list-item]
        tool_choice="required",
    ) as stream:
        final = stream.get_final_response()
    [streamed] = final.output
    assert isinstance(streamed, openai.types.responses.ResponseFunctionToolCall)
    assert streamed.arguments == call.arguments
