"""Assembles streamed chunks into a `ChatCompletion`, and says what each chunk added as events.

`ChatCompletionAccumulator` is pure (no I/O): feed it `ChatCompletionChunk` objects from any
source with `ChatCompletionAccumulator.add`, which returns the typed events the chunk caused,
and take the assembled completion with `ChatCompletionAccumulator.final_completion`. The
events are in ``_stream_events.py``.
``client.chat.completions.stream(...)`` runs one over a live stream.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import ClassVar

from ..._exceptions import APIStreamError, IncompleteStreamError
from ...types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    Choice,
    ChoiceDeltaToolCall,
    ChunkChoice,
    CompletionUsage,
    Function,
)
from ...types.chat.chat_completion_stream_event import (
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    ToolCallArgumentsDeltaEvent,
    ToolCallDoneEvent,
    UsageEvent,
)

__all__ = ["ChatCompletionAccumulator", "IncompleteStreamError"]

log = logging.getLogger("gloo_ai")

_UNSET: dict[str, object] = {"id": "", "created": 0, "model": ""}

# Filled from the first chunk that carries them; a later non-null value fills a gap only.
_FIRST_WINS = (
    "id",
    "created",
    "model",
    "provider",
    "model_family",
    "auto_routing",
    "routing_mechanism",
    "routing_tier",
    "routing_confidence",
    "tradition",
    "service_tier",
    "system_fingerprint",
)


class _ToolCallState:
    """A tool call being assembled: its model in the snapshot, and whether it is done."""

    __slots__ = ("done", "index", "model")

    def __init__(self, index: int) -> None:
        self.index = index
        self.model = ChatCompletionMessageToolCall(id="", function=Function(name=""))
        self.done = False


@dataclass
class _ChoiceState:
    index: int
    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    finish_reason: str | None = None
    logprobs: object = None
    tool_calls: dict[int, _ToolCallState] = field(default_factory=dict)
    current_tool: int | None = None
    choice: Choice | None = None


class ChatCompletionAccumulator:
    """Assembles `ChatCompletionChunk` objects into a `ChatCompletion`; pure, no I/O.

    It assembles, per choice, the content, the refusal and the tool calls (their ``id``,
    ``function.name`` and concatenated ``arguments``, per tool-call index) and the finish
    reason; the usage (from the usage-only chunk); ``id``, ``created``, ``model`` and Gloo's
    routing metadata (the first value sent wins, a later one fills a gap); unknown top-level
    fields; and ``ttft_ms``, kept on the completion as an extra field (``completion.ttft_ms``,
    ``None`` where Gloo sent none; ``completion.model_extra["ttft_ms"]`` for type checkers)
    and as the typed `ttft_ms` property.

    Example::

        accumulator = ChatCompletionAccumulator()
        async for chunk in await client.chat.completions.create(..., stream=True):
            for event in accumulator.add(chunk):
                if event.type == "content.delta":
                    print(event.delta, end="")
        completion = accumulator.final_completion()
    """

    # The snapshot's class: a subclass assembles a subclass of ChatCompletion (grounded).
    _completion_cls: ClassVar[type[ChatCompletion]] = ChatCompletion

    def __init__(self) -> None:
        self._snapshot = self._completion_cls.model_validate(
            {"id": "", "created": 0, "model": "", "choices": [], "ttft_ms": None}
        )
        self._choices: dict[int, _ChoiceState] = {}
        self._ttft_ms: float | None = None
        self._chunks = 0

    @property
    def snapshot(self) -> ChatCompletion:
        """The completion so far: a live object, updated in place by each `add`.

        ``id``, ``model`` are ``""`` and ``created`` is ``0`` until a chunk carries them.
        """
        return self._snapshot

    @property
    def ttft_ms(self) -> float | None:
        """Gloo's time to first token in milliseconds, where a chunk carried it."""
        return self._ttft_ms

    @property
    def usage(self) -> CompletionUsage | None:
        """The token usage, once the usage chunk arrived."""
        return self._snapshot.usage

    @property
    def finished(self) -> bool:
        """Whether every choice seen has its ``finish_reason`` (and at least one was seen)."""
        return bool(self._choices) and all(
            c.finish_reason is not None for c in self._choices.values()
        )

    def add(self, chunk: ChatCompletionChunk) -> list[ChatCompletionStreamEvent]:
        """Add the next chunk; return the events it caused, in order.

        The first event is always a `ChunkEvent`; then the deltas of each choice; then the
        "done" events of a choice whose ``finish_reason`` arrived; then a `UsageEvent`.

        Args:
            chunk: the next chunk of the stream.

        Returns:
            The events this chunk caused.

        Raises:
            APIStreamError: the chunk is an in-band error (``{"error": ...}`` and no choices).
        """
        extra = chunk.model_extra or {}
        if "error" in extra and not chunk.choices:
            raise APIStreamError.from_event(chunk.model_dump(mode="json", exclude_unset=True), None)
        self._chunks += 1
        self._merge_metadata(chunk)
        events: list[ChatCompletionStreamEvent] = [ChunkEvent(chunk=chunk, snapshot=self._snapshot)]
        for choice in chunk.choices:
            self._add_choice(choice, events)
        if chunk.usage is not None:
            self._snapshot.usage = chunk.usage
            events.append(UsageEvent(usage=chunk.usage))
        return events

    def final_completion(self) -> ChatCompletion:
        """The assembled completion: a copy, independent of later chunks.

        Returns:
            The `ChatCompletion`, as the non-streamed call would have returned it (plus
            ``ttft_ms`` where Gloo sent it).

        Raises:
            IncompleteStreamError: a choice has no ``finish_reason`` yet, or no chunk came.
        """
        if not self.finished:
            if not self._choices:
                reason = "no chunk with a choice arrived"
            else:
                open_ = [i for i, c in sorted(self._choices.items()) if c.finish_reason is None]
                reason = f"choice {open_[0]} has no finish_reason yet"
            snapshot = self._snapshot.model_copy(deep=True)
            raise IncompleteStreamError(
                f"The stream did not finish ({reason}): it was closed early or not read to "
                "its end. The partial completion is in the error's `snapshot`.",
                snapshot,
                text=(snapshot.choices[0].message.content or "") if snapshot.choices else "",
            )
        return self._snapshot.model_copy(deep=True)

    def _merge_metadata(self, chunk: ChatCompletionChunk) -> None:
        snapshot = self._snapshot
        for name in _FIRST_WINS:
            value = getattr(chunk, name, None)
            if value is not None and getattr(snapshot, name) in (None, _UNSET.get(name)):
                setattr(snapshot, name, value)
        if self._ttft_ms is None and chunk.ttft_ms is not None:
            self._ttft_ms = chunk.ttft_ms
            _set_extra(snapshot, "ttft_ms", chunk.ttft_ms)
        for key, value in (chunk.model_extra or {}).items():
            if key in _FIRST_WINS or key == "object":
                continue
            if value is not None and (snapshot.model_extra or {}).get(key) is None:
                _set_extra(snapshot, key, value)

    def _state(self, index: int) -> _ChoiceState:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _ChoiceState(index)
            state.choice = Choice(index=index, message=ChatCompletionMessage())
            self._snapshot.choices.append(state.choice)
            self._snapshot.choices.sort(key=lambda c: c.index)
        return state

    def _add_choice(
        self, chunk_choice: ChunkChoice, events: list[ChatCompletionStreamEvent]
    ) -> None:
        state = self._state(chunk_choice.index)
        assert state.choice is not None
        message = state.choice.message
        delta = chunk_choice.delta
        i = state.index
        if state.finish_reason is not None and (delta.content or delta.refusal or delta.tool_calls):
            log.debug("Dropped a delta of choice %d that came after its finish_reason.", i)
            return
        if delta.role:
            message.role = state.role = delta.role
        if delta.content is not None:
            state.content = message.content = (state.content or "") + delta.content
            if delta.content:
                events.append(
                    ContentDeltaEvent(delta=delta.content, snapshot=state.content, choice_index=i)
                )
        if delta.refusal is not None:
            state.refusal = message.refusal = (state.refusal or "") + delta.refusal
            if delta.refusal:
                events.append(
                    RefusalDeltaEvent(delta=delta.refusal, snapshot=state.refusal, choice_index=i)
                )
        for tool_delta in delta.tool_calls or ():
            self._add_tool_delta(state, tool_delta, events)
        if chunk_choice.logprobs is not None:
            state.choice.logprobs = chunk_choice.logprobs
        if chunk_choice.finish_reason is not None and state.finish_reason is None:
            state.finish_reason = state.choice.finish_reason = chunk_choice.finish_reason
            self._finish(state, events)

    def _add_tool_delta(
        self,
        state: _ChoiceState,
        tool_delta: ChoiceDeltaToolCall,
        events: list[ChatCompletionStreamEvent],
    ) -> None:
        index = tool_delta.index
        call = state.tool_calls.get(index)
        if call is None:
            previous = state.current_tool
            if previous is not None and _complete_json(
                state.tool_calls[previous].model.function.arguments
            ):
                self._tool_done(state, state.tool_calls[previous], events)
            call = state.tool_calls[index] = _ToolCallState(index)
            state.current_tool = index
            assert state.choice is not None
            message = state.choice.message
            message.tool_calls = [c.model for _, c in sorted(state.tool_calls.items())]
        model = call.model
        if tool_delta.id and not model.id:
            model.id = tool_delta.id
        if tool_delta.type:
            model.type = tool_delta.type
        piece = ""
        if tool_delta.function is not None:
            if tool_delta.function.name and not model.function.name:
                model.function.name = tool_delta.function.name
            piece = tool_delta.function.arguments or ""
            model.function.arguments += piece
        if piece:
            events.append(
                ToolCallArgumentsDeltaEvent(
                    index=index,
                    name=model.function.name,
                    arguments_delta=piece,
                    arguments=model.function.arguments,
                    choice_index=state.index,
                )
            )

    def _tool_done(
        self, state: _ChoiceState, call: _ToolCallState, events: list[ChatCompletionStreamEvent]
    ) -> None:
        if call.done:
            return
        call.done = True
        events.append(
            ToolCallDoneEvent(
                index=call.index,
                id=call.model.id,
                name=call.model.function.name,
                arguments=call.model.function.arguments,
                choice_index=state.index,
            )
        )

    def _finish(self, state: _ChoiceState, events: list[ChatCompletionStreamEvent]) -> None:
        i = state.index
        has_other = state.refusal is not None or bool(state.tool_calls)
        if state.content is not None and (state.content or not has_other):
            events.append(ContentDoneEvent(content=state.content, choice_index=i))
        if state.refusal is not None:
            events.append(RefusalDoneEvent(refusal=state.refusal, choice_index=i))
        for _, call in sorted(state.tool_calls.items()):
            self._tool_done(state, call, events)


def _set_extra(model: ChatCompletion, name: str, value: object) -> None:
    # An extra field, as the server's own unknown fields are kept (``model.model_extra``).
    setattr(model, name, value)


def _complete_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
