"""The tool loop behind ``client.chat.completions.run_tools()``, and the transcript helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import anyio

from ..._exceptions import GlooError, InvalidArgumentError
from ...tools import FunctionTool, function_tool, parse_tool_call
from ...types.chat.chat_completion import ChatCompletion, ChatCompletionMessage
from ...types.chat.params import (
    AssistantMessage,
    ChatCompletionMessageParam,
    ToolCallFunctionParam,
    ToolCallParam,
    ToolMessage,
)

__all__ = [
    "ToolLike",
    "ToolLoopLimitError",
    "ToolRunResult",
    "TranscriptMessage",
    "assistant_message",
    "run_tool_loop",
    "tool_result",
]

TranscriptMessage: TypeAlias = (
    ChatCompletionMessageParam | ChatCompletionMessage | Mapping[str, Any]
)
"""A message of a conversation: a message model, a response message, or a plain dict."""

ToolLike: TypeAlias = FunctionTool[Any] | Callable[..., Any]
"""A tool `run_tools` can run: a `FunctionTool` made from a function, or the function itself."""


def assistant_message(message: ChatCompletionMessage) -> AssistantMessage:
    """The assistant message of a response, ready to append to the conversation.

    Args:
        message: ``completion.choices[0].message``.

    Returns:
        An `AssistantMessage` with its content, refusal and tool calls.
    """
    calls = [
        ToolCallParam(
            id=c.id,
            function=ToolCallFunctionParam(name=c.function.name, arguments=c.function.arguments),
        )
        for c in message.tool_calls or ()
    ]
    return AssistantMessage(
        content=message.content, refusal=message.refusal, tool_calls=calls or None
    )


def tool_result(call_id: str, content: str) -> ToolMessage:
    """The ``tool`` message answering a tool call.

    Args:
        call_id: the ``id`` of the tool call.
        content: the result text.

    Returns:
        The `ToolMessage`.
    """
    return ToolMessage(tool_call_id=call_id, content=content)


@dataclass
class ToolRunResult:
    """What `run_tools` returns.

    Attributes:
        completion: the final completion (the answer without tool calls).
        messages: the whole conversation: the input messages, then every assistant message
            and tool result, ending with the final assistant message.
        steps: how many times the model was called.
    """

    completion: ChatCompletion
    messages: list[TranscriptMessage]
    steps: int

    @property
    def content(self) -> str | None:
        """The text of the final answer (``completion.choices[0].message.content``)."""
        return self.completion.choices[0].message.content if self.completion.choices else None


class ToolLoopLimitError(GlooError):
    """The model still asked for tools after ``max_steps`` calls; the loop stopped.

    Attributes:
        completion: the last completion (whose tool calls were not run).
        messages: the conversation as last sent to the model.
        steps: how many times the model was called.
    """

    def __init__(
        self, completion: ChatCompletion, messages: list[TranscriptMessage], steps: int
    ) -> None:
        super().__init__(
            f"The model still asked for tools after {steps} model calls (max_steps={steps}); "
            "the tool loop stopped. Raise max_steps, or check that the tools' results let the "
            'model answer (tool_choice="required" forces a tool call on every step).'
        )
        self.completion = completion
        self.messages = messages
        self.steps = steps


def _check(max_steps: object, on_tool_error: object, create_kwargs: Mapping[str, Any]) -> None:
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise InvalidArgumentError(f"max_steps must be a whole number >= 1, not {max_steps!r}.")
    if on_tool_error not in ("report", "raise"):
        raise InvalidArgumentError(
            f'on_tool_error must be "report" or "raise", not {on_tool_error!r}.'
        )
    if create_kwargs.get("stream"):
        raise InvalidArgumentError(
            "run_tools does not stream: it needs each whole answer to run its tool calls. "
            "Remove stream=True."
        )
    if "tools" in create_kwargs:
        raise InvalidArgumentError("Pass the tools once, as run_tools(tools=[...]).")


def _runnable(tools: Iterable[ToolLike]) -> dict[str, FunctionTool[Any]]:
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Iterable):
        raise InvalidArgumentError("tools must be a list of functions or FunctionTool objects.")
    by_name: dict[str, FunctionTool[Any]] = {}
    for item in tools:
        tool = function_tool(item)
        if tool.function is None:
            raise InvalidArgumentError(
                f"run_tools needs a function to run for every tool, but {tool.name!r} has none "
                "(it was made from a model class or a schema dict). Pass a typed function, or "
                "function_tool(fn)."
            )
        if tool.name in by_name:
            raise InvalidArgumentError(
                f"Two tools are named {tool.name!r}; tool names must differ."
            )
        by_name[tool.name] = tool
    if not by_name:
        raise InvalidArgumentError("run_tools needs at least one tool.")
    return by_name


async def _run_calls(
    message: ChatCompletionMessage,
    tools: Mapping[str, FunctionTool[Any]],
    on_tool_error: Literal["report", "raise"],
) -> list[ToolMessage]:
    calls = message.tool_calls or []
    results = [""] * len(calls)
    failures: list[Exception] = []

    async def run(index: int, scope: anyio.CancelScope) -> None:
        call = calls[index]
        try:
            parsed = parse_tool_call(call, tools)
            results[index] = await parsed.tool._invoke(parsed.arguments)
        except Exception as exc:
            if on_tool_error == "raise":
                failures.append(exc)
                scope.cancel()
                return
            results[index] = f"Error: {type(exc).__name__}: {exc}"

    async with anyio.create_task_group() as group:
        for index in range(len(calls)):
            group.start_soon(run, index, group.cancel_scope)
    if failures:
        raise failures[0]
    return [tool_result(call.id, result) for call, result in zip(calls, results, strict=True)]


async def run_tool_loop(
    create: Callable[..., Awaitable[ChatCompletion]],
    *,
    messages: Iterable[TranscriptMessage],
    tools: Sequence[ToolLike],
    max_steps: int,
    on_tool_error: Literal["report", "raise"],
    create_kwargs: Mapping[str, Any],
) -> ToolRunResult:
    """Call the model, run the tools it asks for, and repeat until it answers.

    Args:
        create: ``client.chat.completions.create``.
        messages: the conversation so far.
        tools: the tools the model may call.
        max_steps: the most model calls.
        on_tool_error: ``"report"`` a failing tool's error to the model, or ``"raise"`` it.
        create_kwargs: more arguments for ``create``.

    Returns:
        The final completion, the transcript and the number of model calls.

    Raises:
        ToolLoopLimitError: the model still asked for tools at the ``max_steps``-th call.
    """
    _check(max_steps, on_tool_error, create_kwargs)
    given: object = messages
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise InvalidArgumentError(
            'run_tools: messages must be a list of messages, e.g. [{"role": "user", ...}].'
        )
    by_name = _runnable(tools)
    params = [tool.param for tool in by_name.values()]
    transcript: list[TranscriptMessage] = list(messages)
    steps = 0
    while True:
        completion = await create(messages=list(transcript), tools=params, **create_kwargs)
        steps += 1
        message = completion.choices[0].message if completion.choices else None
        if message is None or not message.tool_calls:
            if message is not None:
                transcript.append(assistant_message(message))
            return ToolRunResult(completion, transcript, steps)
        if steps >= max_steps:
            raise ToolLoopLimitError(completion, transcript, steps)
        transcript.append(assistant_message(message))
        transcript.extend(await _run_calls(message, by_name, on_tool_error))
