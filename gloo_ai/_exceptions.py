"""The errors that gloo_ai raises.

Every error derives from `GlooError`, so ``except gloo_ai.GlooError`` catches all of them::

    GlooError
    ├── InvalidArgumentError          a call's arguments are wrong; raised before any request
    ├── ConfigurationError            the client's settings are wrong (credentials, URLs)
    ├── ToolArgumentsError            a tool call's arguments are not valid JSON or fields
    ├── UnknownToolError              the model called a tool that was not offered
    ├── ToolLoopLimitError            run_tools() reached max_steps with tools still wanted
    ├── ToolCallLimitError            run_tools(): one answer held more than max_tool_calls
    ├── LengthFinishReasonError       parse(): the answer was cut off at max_tokens
    └── APIError                      something went wrong talking to the API
        ├── APIStatusError            the API answered with a 4xx or 5xx status
        │   ├── BadRequestError               400
        │   ├── AuthenticationError           401
        │   │   └── TokenExchangeError        the token endpoint refused the credentials
        │   ├── PermissionDeniedError         403
        │   ├── NotFoundError                 404
        │   ├── ConflictError                 409
        │   ├── UnprocessableEntityError      422
        │   ├── RateLimitError                429
        │   └── InternalServerError           >= 500
        ├── APIConnectionError        no usable answer: DNS, refused, reset, dropped mid-body
        │   ├── APITimeoutError               the request timed out
        │   ├── TokenUnavailableError         the token endpoint failed (5xx, timeout) after retries
        │   └── IncompleteStreamError         a stream's body ended before its answer was complete
        ├── APIResponseValidationError    the answer did not have the documented shape
        │   ├── ResponseTooLargeError     a body, stream line or event is over the client's cap
        │   └── ResponseParseError        parse(): the answer does not match the model
        └── APIStreamError            the API sent an error event in the middle of a stream

Status errors carry the HTTP status, the request id the server gave (``x-request-id`` or
``request-id``), the decoded body and the Gloo error fields parsed from any of the three
body shapes the platform uses (``code``, ``name``, ``fault``, ``retryable``, ``detail``).
The tool and parsing errors are defined beside the code that raises them and exported from
``gloo_ai``. No message, ``str()`` or ``repr()`` of an error ever contains
a secret or a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._error_bodies import GlooErrorFields, request_id_of

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "GlooError",
    "GlooErrorFields",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "TokenExchangeError",
    "TokenUnavailableError",
    "UnprocessableEntityError",
]


class GlooError(Exception):
    """The base of every error raised by gloo_ai."""


class InvalidArgumentError(GlooError, ValueError):
    """A call's arguments are invalid; nothing was sent."""


class ConfigurationError(GlooError, ValueError):
    """The client's settings are invalid or incomplete (for example, no credentials)."""


class _GlooFieldsMixin:
    """Gives an error the Gloo error fields parsed from its body."""

    code: int | str | None
    name: str | None
    fault: str | None
    retryable: bool | None
    detail: str | None

    def _set_gloo_fields(self, body: object) -> None:
        fields = GlooErrorFields(body)
        self.code = fields.code
        self.name = fields.name
        self.fault = fields.fault
        self.retryable = fields.retryable
        self.detail = fields.detail


class APIError(GlooError):
    """Something went wrong talking to the Gloo API.

    Attributes:
        message: what went wrong and, where it can, what to do about it.
        request: the `httpx.Request` that failed (its headers are never shown by gloo_ai).
        body: the decoded JSON body of the answer (or its text), where there was one.
    """

    def __init__(
        self, message: str, request: httpx.Request | None, *, body: object | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class APIStatusError(_GlooFieldsMixin, APIError):
    """The API answered with a 4xx or 5xx status.

    Attributes:
        response: the `httpx.Response` (its body has been read).
        status_code: the HTTP status.
        request_id: the ``x-request-id`` (or ``request-id``) header, where the server sent one.
        code: Gloo's error code (numeric in the AI error object, a string in simpler bodies).
        name: Gloo's symbolic error name, such as ``"PROVIDER_UNAVAILABLE"``.
        fault: ``"client"`` or ``"provider"``, where Gloo says.
        retryable: whether Gloo says a retry may succeed, where it says.
        detail: Gloo's explanation of the error.
        retry_after: seconds the server asked us to wait, where it asked.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object | None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = request_id_of(response.headers)
        self._set_gloo_fields(body)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code}, "
            f"request_id={self.request_id!r})"
        )


class BadRequestError(APIStatusError):
    """400: the request was malformed (missing fields, two routing mechanisms, bad JSON)."""


class AuthenticationError(APIStatusError):
    """401: the token or API key is missing, expired or invalid."""


class TokenExchangeError(AuthenticationError):
    """The token endpoint refused the client credentials (400, 401 or 403), or answered
    without a usable token (a 2xx whose ``access_token`` or ``expires_in`` is unusable).

    ``status_code`` is the token endpoint's status. Check ``GLOO_CLIENT_ID`` and
    ``GLOO_CLIENT_SECRET`` (or the arguments you passed); the secret is never shown.
    """


class PermissionDeniedError(APIStatusError):
    """403: the credentials are valid but may not use this resource, publisher or model."""


class NotFoundError(APIStatusError):
    """404: the resource does not exist."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well formed but a value is out of range or unknown."""


class RateLimitError(APIStatusError):
    """429: too many requests, or the plan's spending limit is reached."""


class InternalServerError(APIStatusError):
    """A 5xx status: the platform or a model provider failed."""


class APIConnectionError(APIError):
    """No usable answer arrived: the connection failed, was refused, or dropped mid-body."""

    def __init__(
        self, message: str = "Connection error.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The request timed out. Raise the ``timeout`` for slow (reasoning) models."""

    def __init__(
        self, message: str = "Request timed out.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class TokenUnavailableError(APIConnectionError):
    """The token endpoint failed (5xx, timeout, connection error) after every retry.

    Attributes:
        status_code: the token endpoint's last status, or ``None`` if no answer arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.status_code = status_code


class IncompleteStreamError(APIConnectionError):
    """A stream's body ended before its answer was complete.

    The server closed the body (or sent ``data: [DONE]``) before every choice had its
    ``finish_reason``: the answer is cut short, although no network error occurred. Iterating
    the stream raises it at the end of the body; ``get_final_completion()`` and
    ``ChatCompletionAccumulator.final_completion()`` raise it too (also when the stream was
    closed early). Sending the request again is usually the fix.

    Attributes:
        text: the text received so far (the content of the first choice).
        snapshot: the `ChatCompletion` assembled so far, where an accumulator assembled one
            (``client.chat.completions.stream(...)``, `ChatCompletionAccumulator`); else
            ``None``.
    """

    def __init__(
        self,
        message: str,
        snapshot: Any = None,
        *,
        text: str = "",
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.text = text
        self.snapshot = snapshot


class APIResponseValidationError(APIError):
    """The API answered 2xx but the body did not have the documented shape.

    Attributes:
        response: the `httpx.Response`, where there was one.
        status_code: its HTTP status.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object | None = None,
    ) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code


class ResponseTooLargeError(APIResponseValidationError):
    """An answer is larger than this client accepts; the rest of it was not read.

    A whole body over ``max_response_bytes``, a stream line over ``max_stream_line_bytes`` or
    a stream event over ``max_stream_event_bytes`` (arguments of `AsyncGloo`). The response
    is closed, so a hostile or broken server cannot fill the memory. Nothing is retried: the
    same request would get the same answer (and a generation is not paid for twice).

    Attributes:
        limit: the limit that was passed, in bytes.
    """

    def __init__(self, message: str, *, response: httpx.Response, limit: int) -> None:
        super().__init__(message, response=response)
        self.limit = limit


class APIStreamError(_GlooFieldsMixin, APIError):
    """The API sent an error event after a stream had started.

    Any of Gloo's error shapes in a ``data:`` line (``{"error": {...}}``, ``{"error": "...",
    "code": "..."}``, ``{"detail": ...}``, ``{"message": ..., "code": ...}``), or an event
    named ``error`` (``event: error``).

    Attributes:
        code: Gloo's error code.
        name: Gloo's symbolic error name.
        fault: ``"client"`` or ``"provider"``, where Gloo says.
        retryable: whether Gloo says a retry may succeed.
        detail: Gloo's explanation.
    """

    def __init__(self, message: str, request: httpx.Request | None, *, body: object) -> None:
        super().__init__(message, request, body=body)
        self._set_gloo_fields(body)

    @classmethod
    def from_event(cls, payload: object, request: httpx.Request | None) -> APIStreamError:
        """The error for an in-band error event, with a message that says it all.

        Args:
            payload: the decoded event, in any of Gloo's error shapes (``{"error": {...}}``,
                ``{"error": "...", "code": "..."}``, ``{"detail": ...}``,
                ``{"message": ..., "code": ...}``), or the event's text when it was not JSON.
            request: the request of the stream.
        """
        error = cls("", request, body=payload)
        if isinstance(payload, str) and payload.strip():
            error.detail = payload.strip()[:500]
        label = " ".join(str(p) for p in (error.code, error.name) if p is not None)
        message = "The API sent an error in the middle of the stream"
        if label:
            message += f" ({label})"
        if error.detail:
            message += f": {error.detail}"
        if error.retryable:
            message += ". Gloo says this is retryable: send the request again"
        error.message = message
        error.args = (message,)
        return error
