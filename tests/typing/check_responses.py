"""Checked by mypy (``nox -s typecheck``), never run: the Responses API and embeddings are
typed end to end, and a misspelt argument is an error.

Each misspelt argument carries ``# type: ignore[...]``; mypy runs with
``warn_unused_ignores``, so if a typo stopped being an error the ignore would be unused and
mypy would fail.
"""

from __future__ import annotations

from gloo_ai import AsyncGloo, AsyncStream, ResponseStream, function_tool
from gloo_ai.types.embeddings import CreateEmbeddingResponse
from gloo_ai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseStreamEvent,
    ResponseUsage,
)


def get_weather(city: str) -> str:
    """The weather."""
    return "sunny"


async def correct_calls(client: AsyncGloo) -> None:
    tool = function_tool(get_weather)
    response: Response = await client.responses.create(
        model="gloo-openai-gpt-5-mini",
        input=[{"role": "user", "content": "Hi"}],
        instructions="Be brief.",
        max_output_tokens=100,
        temperature=0.5,
        tools=[tool],
        tool_choice=tool,
        tradition="catholic",
        surface="guarded",
        timeout=5.0,
    )
    text: str = response.output_text
    calls: list[ResponseFunctionToolCall] = response.function_calls
    usage: ResponseUsage | None = response.usage
    events: AsyncStream[ResponseStreamEvent] = await client.responses.create(
        model="m", input="Hi", stream=True
    )
    async with client.responses.stream(model="m", input="Hi") as stream:
        typed: ResponseStream = stream
        final: Response = await typed.get_final_response()
    vectors: CreateEmbeddingResponse = await client.embeddings.create(model="m", input=["a"])
    first: list[float] = vectors.data[0].embedding
    print(text, calls, usage, events, final, first)


async def misspelt_calls(client: AsyncGloo) -> None:
    await client.responses.create(model="m", input="Hi", max_tokens=5)  # type: ignore[call-overload]
    await client.responses.create(model="m", input="Hi", surface="sideways")  # type: ignore[call-overload]
    client.responses.stream(model="m", inputs="Hi")  # type: ignore[call-arg]
    await client.embeddings.create(model="m", inputs=["a"])  # type: ignore[call-arg]
