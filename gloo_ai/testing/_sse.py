"""SSE streams of the answers, chunk by chunk, ending the way Gloo's streams end.

The first chunk carries ``delta.role``, the first word, the routing metadata and ``ttft_ms``;
then one chunk per word (with its leading whitespace, so the pieces join back to the plain
answer exactly); then a chunk with an empty delta and the ``finish_reason``; then, only with
``stream_options.include_usage``, a chunk with empty ``choices`` and ``usage``. No
``data: [DONE]``: Gloo does not send it. Tool calls stream as OpenAI-style deltas.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._completions import TTFT_MS, Answer, Routing
from ._validation import CompletionRequest

__all__ = ["pieces_of", "sse", "stream_events"]

_PIECE = re.compile(r"\s*\S+")


def sse(payload: object) -> bytes:
    """One SSE event: ``data: <json>`` and a blank line."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def pieces_of(text: str) -> list[str]:
    """Split text into words with their leading whitespace; they join back to ``text``."""
    pieces: list[str] = _PIECE.findall(text)
    rest = text[len("".join(pieces)) :]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def stream_events(
    request: CompletionRequest,
    result: Answer,
    routing: Routing,
    *,
    completion_id: str,
    created: int,
    first_extra: dict[str, Any] | None = None,
) -> list[bytes]:
    """The SSE events of a streamed completion, ending the way Gloo's do (no ``[DONE]``).

    Args:
        request: the validated request.
        result: the answer.
        routing: the routing.
        completion_id: the completion id.
        created: the creation time (unix seconds).
        first_extra: more fields for the first chunk (grounded: ``sources_returned``).

    Returns:
        The events, each ``data: <json>\\n\\n``.
    """
    head: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": routing.model,
    }
    if request.version == 1:
        head.update(service_tier=None, system_fingerprint="fp")
    first_meta: dict[str, Any] = {}
    if request.version == 2:
        if routing.family is not None:
            first_meta["model_family"] = routing.family
        if routing.tier is not None:
            first_meta.update(routing_tier=routing.tier, routing_confidence=routing.confidence)
        first_meta["ttft_ms"] = TTFT_MS
    first_meta.update(first_extra or {})

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse({**head, **extra, "choices": [choice]})

    events: list[bytes] = []
    if result.tool_call is not None:
        call = result.tool_call
        opening = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        delta = {"role": "assistant", "content": None, "tool_calls": [opening]}
        events.append(chunk(delta, **first_meta))
        for piece in pieces_of(call["function"]["arguments"]):
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    else:
        pieces = pieces_of(result.content or "")
        events.append(chunk({"role": "assistant", "content": pieces[0]}, **first_meta))
        events.extend(chunk({"content": piece}) for piece in pieces[1:])
    events.append(chunk({}, result.finish_reason))
    if request.include_usage:
        events.append(sse({**head, "choices": [], "usage": result.usage()}))
    return events
