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
    from ._response import APIResponse
    from ._streaming import AsyncStream

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
    "ConfigurationError",
    "ConflictError",
    "GlooError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "Timeout",
    "TokenExchangeError",
    "TokenUnavailableError",
    "UnprocessableEntityError",
    "__version__",
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
    "ConfigurationError": "._exceptions",
    "ConflictError": "._exceptions",
    "GlooError": "._exceptions",
    "InternalServerError": "._exceptions",
    "InvalidArgumentError": "._exceptions",
    "NOT_GIVEN": "._config",
    "NotFoundError": "._exceptions",
    "NotGiven": "._config",
    "PermissionDeniedError": "._exceptions",
    "RateLimitError": "._exceptions",
    "Timeout": "._config",
    "TokenExchangeError": "._exceptions",
    "TokenUnavailableError": "._exceptions",
    "UnprocessableEntityError": "._exceptions",
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
