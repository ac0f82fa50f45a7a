"""Checked by mypy (``nox -s typecheck``), never run: the chat methods' arguments are typed.

Each misspelt argument carries ``# type: ignore[...]``; mypy runs with
``warn_unused_ignores``, so if a typo stopped being an error, the ignore would be unused and
mypy would fail. ``create`` is overloaded, so mypy reports its typos as ``call-overload``;
the others as ``call-arg``. Correct calls are assigned to annotated variables, which pins
their return types.
"""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import Unpack

from gloo_ai import AsyncGloo, AsyncStream, ChatCompletionStreamManager, ToolRunResult
from gloo_ai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    CompletionCreateKwargs,
    ParsedChatCompletion,
)

MESSAGES = [{"role": "user", "content": "What is grace?"}]


class Verse(BaseModel):
    reference: str


def forecast(city: str) -> str:
    """The forecast for a city."""
    return city


async def correct_calls(client: AsyncGloo, flag: bool) -> None:
    completions = client.chat.completions
    completion: ChatCompletion = await completions.create(
        messages=MESSAGES,
        model="gloo-openai-gpt-5-mini",
        tradition="catholic",
        temperature=0.3,
        max_tokens=1024,
        tools=[forecast_tool],
        tool_choice="auto",
        response_format={"type": "json_object"},
        extra_headers={"x-a": "b"},
        extra_query={"q": 1},
        extra_body={"new_field": True},
        timeout=30.0,
        max_retries=0,
    )
    not_streamed: ChatCompletion = await completions.create(messages=MESSAGES, stream=False)
    streamed: AsyncStream[ChatCompletionChunk] = await completions.create(
        messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    either: ChatCompletion | AsyncStream[ChatCompletionChunk] = await completions.create(
        messages=MESSAGES, stream=flag
    )
    parsed: ParsedChatCompletion[Verse] = await completions.parse(
        response_format=Verse, messages=MESSAGES, model_family="anthropic"
    )
    verse: Verse | None = parsed.choices[0].message.parsed
    manager: ChatCompletionStreamManager = completions.stream(messages=MESSAGES, auto_routing=True)
    result: ToolRunResult = await completions.run_tools(
        messages=MESSAGES, tools=[forecast], max_steps=3, tool_choice="required"
    )
    v1: ChatCompletion = await client.chat.completions_v1.create(
        messages=MESSAGES, model="us.meta.llama3-3-70b-instruct-v1:0", temperature=0.5
    )
    v1_stream: AsyncStream[ChatCompletionChunk] = await client.chat.completions_v1.create(
        messages=MESSAGES, stream=True
    )
    del completion, not_streamed, streamed, either, verse, manager, result, v1, v1_stream


forecast_tool = {"type": "function", "function": {"name": "forecast"}}


async def misspelt_arguments(client: AsyncGloo) -> None:
    completions = client.chat.completions
    await completions.create(messages=MESSAGES, temprature=0.3)  # type: ignore[call-overload]
    await completions.create(messages=MESSAGES, stream=True, tradtion="x")  # type: ignore[call-overload]
    await completions.parse(response_format=Verse, messages=MESSAGES, temprature=0.3)  # type: ignore[call-arg]
    completions.stream(messages=MESSAGES, max_token=5)  # type: ignore[call-arg]
    await completions.run_tools(messages=MESSAGES, tools=[forecast], modle="m")  # type: ignore[call-arg]
    await client.chat.completions_v1.create(messages=MESSAGES, temprature=0.3)  # type: ignore[call-overload]


async def arguments_a_method_does_not_take(client: AsyncGloo) -> None:
    completions = client.chat.completions
    await completions.parse(response_format=Verse, messages=MESSAGES, stream=True)  # type: ignore[call-arg]
    completions.stream(messages=MESSAGES, stream=True)  # type: ignore[call-arg]
    await client.chat.completions_v1.create(messages=MESSAGES, auto_routing=True)  # type: ignore[call-overload]
    await client.chat.completions_v1.create(messages=MESSAGES, tradition="catholic")  # type: ignore[call-overload]


async def missing_messages(client: AsyncGloo) -> None:
    await client.chat.completions.create(model="m")  # type: ignore[call-overload]
    await client.chat.completions.parse(response_format=Verse)  # type: ignore[call-arg]
    client.chat.completions.stream()  # type: ignore[call-arg]


async def wrong_value_types(client: AsyncGloo) -> None:
    await client.chat.completions.create(messages=MESSAGES, temperature="hot")  # type: ignore[call-overload]
    await client.chat.completions.parse(response_format=Verse, messages=MESSAGES, max_tokens="9")  # type: ignore[arg-type]


async def a_typed_wrapper(
    client: AsyncGloo, **kwargs: Unpack[CompletionCreateKwargs]
) -> ChatCompletion:
    """The TypedDicts type a wrapper's ``**kwargs`` (and mypy checks its callers), as
    docs/chat-completions.md shows. mypy picks no overload for ``**`` of a TypedDict (it
    infers Any), hence the annotated variable."""
    completion: ChatCompletion = await client.chat.completions.create(**kwargs)
    return completion


async def call_the_wrapper(client: AsyncGloo) -> None:
    await a_typed_wrapper(client, messages=MESSAGES, model="m")
    await a_typed_wrapper(client, messages=MESSAGES, modle="m")  # type: ignore[call-arg]
