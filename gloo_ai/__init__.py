"""gloo_ai: the async-first Python SDK for the Gloo AI platform.

Start with `AsyncGloo`::

    async with AsyncGloo() as client:
        completion = await client.chat.completions.create(
            messages=[{"role": "user", "content": "How can I be joyful in hard times?"}],
        )
"""

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
from ._version import __version__

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
