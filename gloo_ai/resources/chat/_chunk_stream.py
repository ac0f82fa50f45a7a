"""How a chat-completion stream is read: which chunks it yields and when it is complete."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..._streaming import AsyncStream
from ...types.chat import ChatCompletionChunk
from .._base import parse_stream

if TYPE_CHECKING:
    import httpx

__all__ = ["chunk_stream_parser"]


def chunk_stream_parser(
    *, include_usage: bool
) -> Callable[[httpx.Response], AsyncStream[ChatCompletionChunk]]:
    """The parser of an unread chat-completion SSE response into a stream of chunks.

    Args:
        include_usage: whether the request asked for the final usage-only chunk
            (``stream_options={"include_usage": True}``), so the stream knows when it is done.
    """
    del include_usage  # not used yet
    return parse_stream(ChatCompletionChunk)
