"""``client.responses``: the Responses API (responses.py) and its stream helper."""

from ._stream_helpers import ResponseStream, ResponseStreamManager
from .responses import AsyncResponses, AsyncResponsesWithRawResponse

__all__ = [
    "AsyncResponses",
    "AsyncResponsesWithRawResponse",
    "ResponseStream",
    "ResponseStreamManager",
]
