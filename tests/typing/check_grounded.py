"""Checked by mypy (``nox -s typecheck``), never run: ``client.chat.grounded`` is typed end
to end, and a misspelt argument is an error.

Each misspelt argument carries ``# type: ignore[...]``; mypy runs with
``warn_unused_ignores``, so if a typo stopped being an error the ignore would be unused and
mypy would fail.
"""

from __future__ import annotations

from typing_extensions import assert_type

from gloo_ai import (
    AsyncGloo,
    AsyncStream,
    GroundedChatCompletionStream,
    GroundedChatCompletionStreamManager,
)
from gloo_ai.types.chat import (
    Citation,
    GroundedChatCompletion,
    GroundedChatCompletionChunk,
    GroundedChatCompletionStreamEvent,
)

MESSAGES = [{"role": "user", "content": "What is grace?"}]


async def correct_calls(client: AsyncGloo, flag: bool) -> None:
    grounded = client.chat.grounded
    completion: GroundedChatCompletion = await grounded.create(
        messages=MESSAGES,
        model_family="anthropic",
        rag_publisher="GlooGrounded",
        sources_limit=5,
        include_citations=True,
        parallel_tool_calls=False,
        tradition="mainline",
        temperature=0.2,
        max_tokens=1024,
        tool_choice="none",
        surface="guarded",
        timeout=30.0,
    )
    citations: list[Citation] = completion.citations
    found: bool | None = completion.sources_returned
    streamed: AsyncStream[GroundedChatCompletionChunk] = await grounded.create(
        messages=MESSAGES, stream=True, include_citations=True
    )
    either: (
        GroundedChatCompletion | AsyncStream[GroundedChatCompletionChunk]
    ) = await grounded.create(messages=MESSAGES, stream=flag)
    manager: GroundedChatCompletionStreamManager = grounded.stream(messages=MESSAGES)
    async with manager as stream:
        assert_type(stream, GroundedChatCompletionStream)
        async for event in stream:
            assert_type(event, GroundedChatCompletionStreamEvent)
            if event.type == "citations":
                titles: list[str | None] = [c.item_title for c in event.citations]
                del titles
            elif event.type == "content.delta":
                text: str = event.delta
                del text
        final: GroundedChatCompletion = await stream.get_final_completion()
    del completion, citations, found, streamed, either, final


async def misspelt_arguments(client: AsyncGloo) -> None:
    grounded = client.chat.grounded
    await grounded.create(messages=MESSAGES, source_limit=3)  # type: ignore[call-overload]
    await grounded.create(messages=MESSAGES, stream=True, rag_publishr="x")  # type: ignore[call-overload]
    grounded.stream(messages=MESSAGES, include_citation=True)  # type: ignore[call-arg]


async def arguments_grounded_does_not_take(client: AsyncGloo) -> None:
    await client.chat.grounded.create(messages=MESSAGES, response_format={})  # type: ignore[call-overload]
    client.chat.grounded.stream(messages=MESSAGES, stream=True)  # type: ignore[call-arg]
    await client.chat.grounded.create(messages=MESSAGES, sources_limit="3")  # type: ignore[call-overload]
    await client.chat.grounded.create(messages=MESSAGES, surface="safe")  # type: ignore[call-overload]
