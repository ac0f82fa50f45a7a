"""How a chat-completion stream is read: which chunks it yields and when it is complete.

The rules (gloo-api.md §5):

- The answer is complete when every choice seen has a non-null ``finish_reason``, and, when
  the request asked for usage (``stream_options={"include_usage": True}``), the usage chunk
  (empty ``choices``, with ``usage``) has come too. The stream then ends at once: it does not
  wait for the server to close the body (`AsyncStream` reads what is already on its way).
- After a choice has finished, a delta of it that carries content, a refusal or tool calls
  is dropped (logged at DEBUG on the ``gloo_ai`` logger); usage and metadata chunks are still
  yielded.
- A body that ends (clean end, or ``data: [DONE]``) before every choice has finished raises
  `IncompleteStreamError`, with the text received so far.
- An error body in a ``data:`` line, in any of Gloo's shapes, or an ``event: error``, raises
  `APIStreamError`; a chunk with choices is always a chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..._exceptions import IncompleteStreamError
from ..._sse import ServerSentEvent
from ..._streaming import AsyncStream, JSONEventDecoder, Verdict, is_error_payload
from ...types.chat import ChatCompletionChunk, ChunkChoice

if TYPE_CHECKING:
    import httpx

__all__ = ["ChunkRules", "chunk_stream_parser", "is_chunk_error"]

log = logging.getLogger("gloo_ai")


def chunk_stream_parser(
    *, include_usage: bool
) -> Callable[[httpx.Response], AsyncStream[ChatCompletionChunk]]:
    """The parser of an unread chat-completion SSE response into a stream of chunks.

    Args:
        include_usage: whether the request asked for the final usage-only chunk
            (``stream_options={"include_usage": True}``), so the stream knows when it is done.
    """

    def parse(response: httpx.Response) -> AsyncStream[ChatCompletionChunk]:
        return AsyncStream(
            response=response,
            decode=JSONEventDecoder(ChatCompletionChunk, response, is_error=is_chunk_error),
            rules=ChunkRules(include_usage=include_usage, request=response.request),
        )

    return parse


def is_chunk_error(event: ServerSentEvent, payload: object) -> bool:
    """Whether an event of a chat stream is an error: ``event: error``, or an error body.

    A payload with choices is a chunk, whatever else it carries.
    """
    if event.event == "error":
        return True
    if isinstance(payload, dict) and payload.get("choices"):
        return False
    return is_error_payload(payload)


class ChunkRules:
    """The `StreamRules` of a chat-completion stream (see the module's docstring).

    Args:
        include_usage: whether the request asked for the usage chunk.
        request: the request of the stream, for the errors it raises.
    """

    __slots__ = ("_done", "_finished", "_include_usage", "_open", "_request", "_texts", "_usage")

    def __init__(self, *, include_usage: bool, request: httpx.Request | None = None) -> None:
        self._include_usage = include_usage
        self._request = request
        self._open: set[int] = set()  # choices seen without their finish_reason
        self._finished: set[int] = set()
        self._texts: dict[int, list[str]] = {}
        self._usage = False
        self._done = False  # FINISH was returned: nothing but usage and metadata from now on

    @property
    def text(self) -> str:
        """The content received so far, of the first choice."""
        return "".join(self._texts[min(self._texts)]) if self._texts else ""

    def accept(self, item: ChatCompletionChunk) -> Verdict:
        """Record the chunk; yield it, drop it (content after the finish), or finish."""
        chunk = item
        if chunk.choices:
            if self._finished:
                kept = self._late_choices(chunk.choices)
                if kept is not chunk.choices:
                    if not kept and chunk.usage is None:
                        return Verdict.DROP
                    chunk.choices = kept
            for choice in chunk.choices:
                index = choice.index
                content = choice.delta.content
                if content:
                    texts = self._texts.get(index)
                    if texts is None:
                        self._texts[index] = [content]
                    else:
                        texts.append(content)
                if choice.finish_reason is not None:
                    self._open.discard(index)
                    self._finished.add(index)
                elif index not in self._finished:
                    self._open.add(index)
        if chunk.usage is not None:
            self._usage = True
        if self._done:
            return Verdict.YIELD
        if self._finished and not self._open and (self._usage or not self._include_usage):
            self._done = True
            return Verdict.FINISH
        return Verdict.YIELD

    def end_of_body(self) -> None:
        """Raise `IncompleteStreamError` unless every choice has finished."""
        if self._finished and not self._open:
            return  # complete; only the usage chunk did not come
        if self._open:
            reason = f"choice {min(self._open)} has no finish_reason"
        else:
            reason = "no chunk with a choice arrived"
        raise IncompleteStreamError(
            f"The stream ended before the answer was complete ({reason}): the server closed "
            "it early. The text received so far is in the error's `text`; sending the "
            "request again usually helps.",
            text=self.text,
            request=self._request,
        )

    def _late_choices(self, choices: list[ChunkChoice]) -> list[ChunkChoice]:
        """``choices`` without the deltas that came after the finish (``choices`` if none did).

        A choice that finished keeps only empty deltas (a repeated ``finish_reason`` is
        harmless); once the answer is complete, a choice not seen before is dropped whole.
        """
        kept: list[ChunkChoice] | None = None
        for i, choice in enumerate(choices):
            delta = choice.delta
            if choice.index in self._finished:
                drop = bool(delta.content or delta.refusal or delta.tool_calls)
            else:
                drop = self._done  # a choice first seen after the answer was complete
            if drop:
                if kept is None:
                    kept = choices[:i]
                log.debug(
                    "Dropped a delta of choice %d that came after the stream's finish_reason.",
                    choice.index,
                )
            elif kept is not None:
                kept.append(choice)
        return choices if kept is None else kept
