"""The tool loop behind ``client.chat.completions.run_tools()``, and the transcript helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

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
    "DEFAULT_MAX_CONCURRENT_TOOLS",
    "DEFAULT_MAX_TOOL_CALLS",
    "ToolCallLimitError",
    "ToolLike",
    "ToolLoopLimitError",
    "ToolRunResult",
    "TranscriptMessage",
    "assistant_message",
    "run_tool_loop",
    "tool_result",
]

DEFAULT_MAX_CONCURRENT_TOOLS: Final = 16
"""How many tool calls of one answer `run_tools` runs at once, by default."""

DEFAULT_MAX_TOOL_CALLS: Final = 128
"""How many tool calls one answer may hold before `run_tools` refuses it, by default."""

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


class ToolCallLimitError(GlooError):
    """The model asked for more tool calls in one answer than ``max_tool_calls``; none ran.

    Attributes:
        completion: the completion whose tool calls were not run.
        messages: the conversation as last sent to the model.
        calls: how many tool calls the answer held.
        limit: the ``max_tool_calls`` that was passed.
    """

    def __init__(
        self,
        completion: ChatCompletion,
        messages: list[TranscriptMessage],
        calls: int,
        limit: int,
    ) -> None:
        super().__init__(
            f"The model asked for {calls} tool calls in one answer, more than "
            f"max_tool_calls={limit}; none of them was run. Raise max_tool_calls if that many "
            "are expected, or offer fewer tools."
        )
        self.completion = completion
        self.messages = messages
        self.calls = calls
        self.limit = limit


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


def _check(
    max_steps: object,
    on_tool_error: object,
    create_kwargs: Mapping[str, Any],
    max_concurrent_tools: object,
    max_tool_calls: object,
) -> None:
    for name, value in (
        ("max_steps", max_steps),
        ("max_concurrent_tools", max_concurrent_tools),
        ("max_tool_calls", max_tool_calls),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgumentError(f"{name} must be a whole number >= 1, not {value!r}.")
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
    max_concurrent: int,
) -> list[ToolMessage]:
    calls = message.tool_calls or []
    results = [""] * len(calls)
    failures: list[Exception] = []
    pending = iter(range(len(calls)))

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

    async def worker(scope: anyio.CancelScope) -> None:
        # At most max_concurrent workers, each running the next call not yet taken.
        for index in pending:
            await run(index, scope)

    async with anyio.create_task_group() as group:
        for _ in range(min(max_concurrent, len(calls))):
            group.start_soon(worker, group.cancel_scope)
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
    max_concurrent_tools: int = DEFAULT_MAX_CONCURRENT_TOOLS,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
) -> ToolRunResult:
    """Call the model, run the tools it asks for, and repeat until it answers.

    Args:
        create: ``client.chat.completions.create``.
        messages: the conversation so far.
        tools: the tools the model may call.
        max_steps: the most model calls.
        on_tool_error: ``"report"`` a failing tool's error to the model, or ``"raise"`` it.
        create_kwargs: more arguments for ``create``.
        max_concurrent_tools: the most tool calls run at once.
        max_tool_calls: the most tool calls one answer may hold.

    Returns:
        The final completion, the transcript and the number of model calls.

    Raises:
        ToolLoopLimitError: the model still asked for tools at the ``max_steps``-th call.
        ToolCallLimitError: an answer held more than ``max_tool_calls`` tool calls.
    """
    _check(max_steps, on_tool_error, create_kwargs, max_concurrent_tools, max_tool_calls)
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
        if len(message.tool_calls) > max_tool_calls:
            raise ToolCallLimitError(
                completion, transcript, len(message.tool_calls), max_tool_calls
            )
        transcript.append(assistant_message(message))
        transcript.extend(await _run_calls(message, by_name, on_tool_error, max_concurrent_tools))
