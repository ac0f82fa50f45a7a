"""What a failed attempt becomes: where it failed, and the error the caller gets.

`failure_before_answer` tells, from httpx's exception, whether a request that got no answer
was sent at all (`TransportFailure`); `Failed` carries that out of one attempt;
`transport_error` is the `APIConnectionError` / `APITimeoutError` of the last attempt, with
a note when the policy kept a sent request from being repeated.
"""

from __future__ import annotations

import httpx

from ._config import RetryPolicy
from ._error_bodies import decode_body
from ._exceptions import APIConnectionError, APITimeoutError
from ._retry import TransportFailure

__all__ = [
    "Failed",
    "body_of",
    "failure_before_answer",
    "has_body",
    "read_error_note",
    "transport_error",
]

# Transport errors that prove the request never reached the server.
_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Failed(Exception):
    """A transport failure of one attempt, and where it happened (`TransportFailure`)."""

    def __init__(
        self, error: httpx.TransportError, failure: TransportFailure, request: httpx.Request
    ) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.failure: TransportFailure = failure
        self.request = request


def failure_before_answer(exc: httpx.TransportError) -> TransportFailure:
    """Where a request that got no answer's head failed: not sent, not written, or sent."""
    if isinstance(exc, _NOTHING_SENT):
        return "not_sent"
    if isinstance(exc, (httpx.WriteError, httpx.WriteTimeout)):
        return "not_written"
    return "no_answer"


def read_error_note(failed: Failed, policy: RetryPolicy) -> str:
    """The sentence that says why a sent ``"default"`` call was not repeated, and the opt-in."""
    if policy != "default" or failed.failure not in ("no_answer", "answer_cut"):
        return ""
    return (
        " It was not retried: the request was sent, so the server may have processed it "
        "(a generation may be billed); pass retry_read_errors=True to allow a retry."
    )


def transport_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int, *, note: str = ""
) -> APIConnectionError:
    method, url = request.method, request.url
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{method} {url} timed out after {attempts} attempt(s). "
            "Slow (reasoning) models may need a larger timeout=." + note,
            request=request,
        )
    return APIConnectionError(
        f"{method} {url} failed after {attempts} attempt(s): "
        f"{type(exc).__name__}. Check the network and the base URL." + note,
        request=request,
    )


def body_of(response: httpx.Response) -> object:
    return decode_body(response) if has_body(response) else None


def has_body(response: httpx.Response) -> bool:
    try:
        response.content  # noqa: B018 - raises if the body was not read
    except httpx.ResponseNotRead:
        return False
    return True
