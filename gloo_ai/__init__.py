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
    from ._auth import TokenMetrics
    from ._client import AsyncGloo
    from ._config import NOT_GIVEN, NotGiven, RetryPolicy, Timeout
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
        IncompleteStreamError,
        InternalServerError,
        InvalidArgumentError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseTooLargeError,
        TokenExchangeError,
        TokenUnavailableError,
        UnprocessableEntityError,
    )
    from ._logs import RedactingFilter, setup_logging
    from ._multipart import FileContent, FileInput, MultipartBody
    from ._notebook import display_stream
    from ._pagination import AsyncPage, AsyncPaginator
    from ._response import APIResponse
    from ._streaming import AsyncStream
    from ._surface import Surface
    from ._sync import Gloo
    from ._warnings import ModelCapabilityWarning, UnknownValueWarning
    from .instrumentation import Instrumentation, instrument, uninstrument
    from .resources.chat._accumulator import ChatCompletionAccumulator
    from .resources.chat._grounded_stream import (
        GroundedChatCompletionStream,
        GroundedChatCompletionStreamManager,
        GroundedCompletionAccumulator,
    )
    from .resources.chat._parsing import LengthFinishReasonError, ResponseParseError
    from .resources.chat._stream_helpers import ChatCompletionStream, ChatCompletionStreamManager
    from .resources.chat._tool_runner import (
        ToolCallLimitError,
        ToolLoopLimitError,
        ToolRunResult,
        assistant_message,
        tool_result,
    )
    from .resources.ingestion import IngestionTimeoutError
    from .resources.responses import ResponseStream, ResponseStreamManager
    from .tools import (
        FunctionTool,
        ParsedToolCall,
        ToolArgumentsError,
        UnknownToolError,
        function_tool,
        parse_tool_call,
    )
    from .types.models import Model, ModelCatalog
    from .types.usage import ModelUsage, UsageTotals

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
    "AsyncPage",
    "AsyncPaginator",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletionAccumulator",
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
    "ConfigurationError",
    "ConflictError",
    "FileContent",
    "FileInput",
    "FunctionTool",
    "Gloo",
    "GlooError",
    "GroundedChatCompletionStream",
    "GroundedChatCompletionStreamManager",
    "GroundedCompletionAccumulator",
    "IncompleteStreamError",
    "IngestionTimeoutError",
    "Instrumentation",
    "InternalServerError",
    "InvalidArgumentError",
    "LengthFinishReasonError",
    "Model",
    "ModelCapabilityWarning",
    "ModelCatalog",
    "ModelUsage",
    "MultipartBody",
    "NotFoundError",
    "NotGiven",
    "ParsedToolCall",
    "PermissionDeniedError",
    "RateLimitError",
    "RedactingFilter",
    "ResponseParseError",
    "ResponseStream",
    "ResponseStreamManager",
    "ResponseTooLargeError",
    "RetryPolicy",
    "Surface",
    "Timeout",
    "TokenExchangeError",
    "TokenMetrics",
    "TokenUnavailableError",
    "ToolArgumentsError",
    "ToolCallLimitError",
    "ToolLoopLimitError",
    "ToolRunResult",
    "UnknownToolError",
    "UnknownValueWarning",
    "UnprocessableEntityError",
    "UsageTotals",
    "__version__",
    "assistant_message",
    "display_stream",
    "function_tool",
    "instrument",
    "parse_tool_call",
    "setup_logging",
    "tool_result",
    "uninstrument",
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
    "AsyncPage": "._pagination",
    "AsyncPaginator": "._pagination",
    "AsyncStream": "._streaming",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "ChatCompletionAccumulator": ".resources.chat._accumulator",
    "ChatCompletionStream": ".resources.chat._stream_helpers",
    "ChatCompletionStreamManager": ".resources.chat._stream_helpers",
    "ConfigurationError": "._exceptions",
    "ConflictError": "._exceptions",
    "FileContent": "._multipart",
    "FileInput": "._multipart",
    "FunctionTool": ".tools",
    "Gloo": "._sync",
    "GlooError": "._exceptions",
    "GroundedChatCompletionStream": ".resources.chat._grounded_stream",
    "GroundedChatCompletionStreamManager": ".resources.chat._grounded_stream",
    "GroundedCompletionAccumulator": ".resources.chat._grounded_stream",
    "IncompleteStreamError": "._exceptions",
    "IngestionTimeoutError": ".resources.ingestion",
    "Instrumentation": ".instrumentation",
    "InternalServerError": "._exceptions",
    "InvalidArgumentError": "._exceptions",
    "LengthFinishReasonError": ".resources.chat._parsing",
    "Model": ".types.models",
    "ModelCapabilityWarning": "._warnings",
    "ModelCatalog": ".types.models",
    "ModelUsage": ".types.usage",
    "MultipartBody": "._multipart",
    "NOT_GIVEN": "._config",
    "NotFoundError": "._exceptions",
    "NotGiven": "._config",
    "ParsedToolCall": ".tools",
    "PermissionDeniedError": "._exceptions",
    "RateLimitError": "._exceptions",
    "RedactingFilter": "._logs",
    "ResponseTooLargeError": "._exceptions",
    "ResponseParseError": ".resources.chat._parsing",
    "ResponseStream": ".resources.responses",
    "ResponseStreamManager": ".resources.responses",
    "RetryPolicy": "._config",
    "Surface": "._surface",
    "Timeout": "._config",
    "TokenMetrics": "._auth",
    "TokenExchangeError": "._exceptions",
    "TokenUnavailableError": "._exceptions",
    "ToolArgumentsError": ".tools",
    "ToolCallLimitError": ".resources.chat._tool_runner",
    "ToolLoopLimitError": ".resources.chat._tool_runner",
    "ToolRunResult": ".resources.chat._tool_runner",
    "UnknownToolError": ".tools",
    "UnknownValueWarning": "._warnings",
    "UnprocessableEntityError": "._exceptions",
    "UsageTotals": ".types.usage",
    "assistant_message": ".resources.chat._tool_runner",
    "display_stream": "._notebook",
    "function_tool": ".tools",
    "instrument": ".instrumentation",
    "parse_tool_call": ".tools",
    "setup_logging": "._logs",
    "tool_result": ".resources.chat._tool_runner",
    "uninstrument": ".instrumentation",
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
