"""Checked by mypy (``nox -s typecheck``), never run: `display_stream` returns what the
stream's final call returns (a completion, a grounded completion, a response), for the
context manager and for the stream it gives; anything else is an error.
"""

from __future__ import annotations

from typing_extensions import assert_type

from gloo_ai import AsyncGloo, display_stream
from gloo_ai.types.chat import ChatCompletion, GroundedChatCompletion
from gloo_ai.types.responses import Response

MESSAGES = [{"role": "user", "content": "Hi"}]


async def correct_calls(client: AsyncGloo) -> None:
    completion = await display_stream(client.chat.completions.stream(messages=MESSAGES))
    assert_type(completion, ChatCompletion)
    grounded = await display_stream(client.chat.grounded.stream(messages=MESSAGES))
    assert_type(grounded, GroundedChatCompletion)
    response = await display_stream(client.responses.stream(model="m", input="Hi"))
    assert_type(response, Response)
    async with client.chat.completions.stream(messages=MESSAGES) as stream:
        assert_type(await display_stream(stream), ChatCompletion)
    async with client.responses.stream(model="m", input="Hi") as response_stream:
        assert_type(await display_stream(response_stream), Response)


async def wrong_calls(client: AsyncGloo) -> None:
    await display_stream("not a stream")  # type: ignore[call-overload]
    await display_stream(client.chat.completions.create(messages=MESSAGES))  # type: ignore[call-overload]
