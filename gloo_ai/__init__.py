"""gloo_ai: the async-first Python SDK for the Gloo AI platform.

Start with `AsyncGloo`::

    async with AsyncGloo() as client:
        completion = await client.chat.completions.create(
            messages=[{"role": "user", "content": "How can I be joyful in hard times?"}],
        )
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._accumulator import ChatCompletionAccumulator, IncompleteStreamError
    from ._auth import TokenMetrics
    from ._client import AsyncGloo
    from ._config import NOT_GIVEN, NotGiven, Timeout
    from ._exceptions import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APIStreamError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ConflictError,
        GlooError,
        InternalServerError,
        InvalidArgumentError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        TokenExchangeError,
        TokenUnavailableError,
        UnprocessableEntityError,
    )
    from ._parsing import LengthFinishReasonError, ResponseParseError
    from ._response import APIResponse
    from ._stream_helpers import ChatCompletionStream, ChatCompletionStreamManager
    from ._streaming import AsyncStream
    from ._tool_runner import ToolLoopLimitError, ToolRunResult, assistant_message, tool_result
    from ._tools import (
        FunctionTool,
        ParsedToolCall,
        ToolArgumentsError,
        UnknownToolError,
        function_tool,
        parse_tool_call,
    )

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncGloo",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletionAccumulator",
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
    "ConfigurationError",
    "ConflictError",
    "FunctionTool",
    "GlooError",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidArgumentError",
    "LengthFinishReasonError",
    "NotFoundError",
    "NotGiven",
    "ParsedToolCall",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseParseError",
    "Timeout",
    "TokenExchangeError",
    "TokenMetrics",
    "TokenUnavailableError",
    "ToolArgumentsError",
    "ToolLoopLimitError",
    "ToolRunResult",
    "UnknownToolError",
    "UnprocessableEntityError",
    "__version__",
    "assistant_message",
    "function_tool",
    "parse_tool_call",
    "tool_result",
]

_LAZY: dict[str, str] = {
    "APIConnectionError": "._exceptions",
    "APIError": "._exceptions",
    "APIResponse": "._response",
    "APIResponseValidationError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APIStreamError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AsyncGloo": "._client",
    "AsyncStream": "._streaming",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "ChatCompletionAccumulator": "._accumulator",
    "ChatCompletionStream": "._stream_helpers",
    "ChatCompletionStreamManager": "._stream_helpers",
    "ConfigurationError": "._exceptions",
    "ConflictError": "._exceptions",
    "FunctionTool": "._tools",
    "GlooError": "._exceptions",
    "IncompleteStreamError": "._accumulator",
    "InternalServerError": "._exceptions",
    "InvalidArgumentError": "._exceptions",
    "LengthFinishReasonError": "._parsing",
    "NOT_GIVEN": "._config",
    "NotFoundError": "._exceptions",
    "NotGiven": "._config",
    "ParsedToolCall": "._tools",
    "PermissionDeniedError": "._exceptions",
    "RateLimitError": "._exceptions",
    "ResponseParseError": "._parsing",
    "Timeout": "._config",
    "TokenMetrics": "._auth",
    "TokenExchangeError": "._exceptions",
    "TokenUnavailableError": "._exceptions",
    "ToolArgumentsError": "._tools",
    "ToolLoopLimitError": "._tool_runner",
    "ToolRunResult": "._tool_runner",
    "UnknownToolError": "._tools",
    "UnprocessableEntityError": "._exceptions",
    "assistant_message": "._tool_runner",
    "function_tool": "._tools",
    "parse_tool_call": "._tools",
    "tool_result": "._tool_runner",
}


def __getattr__(name: str) -> Any:
    """Import public names on first use, so that ``import gloo_ai`` stays cheap."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
