"""The error of a 4xx/5xx answer: which `APIStatusError` class, and a message that helps.

The message names the status, Gloo's code and name, the method and URL (without the query),
Gloo's detail (shortened), a hint for the statuses that have one, and a note from the caller
(why it was not retried).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._error_bodies import GlooErrorFields
from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["STATUS_HINTS", "make_status_error"]


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

STATUS_HINTS: dict[int, str] = {
    401: "Check your credentials (GLOO_CLIENT_ID/GLOO_CLIENT_SECRET or GLOO_API_KEY).",
    403: "These credentials may not use this resource, publisher or model.",
    429: "Slow down, or check your plan's spending limit in Gloo AI Studio.",
}


_REASONING_BUDGET_CODE = "2006"


def make_status_error(
    response: httpx.Response,
    *,
    body: object | None,
    retry_after: float | None = None,
    note: str = "",
) -> APIStatusError:
    """Build the error for a 4xx/5xx response, given its decoded body."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    fields = GlooErrorFields(body)
    parts = [f"Error code: {status}"]
    label = " ".join(str(p) for p in (fields.code, fields.name) if p is not None)
    if label:
        parts.append(f"({label})")
    request = response._request  # None for a response built without one (tests)
    if request is not None:
        url = request.url
        parts.append(f"from {request.method} {url.scheme}://{url.netloc.decode()}{url.path}")
    message = " ".join(parts)
    if fields.detail:
        message += f" - {_shorten(fields.detail)}"
    elif isinstance(body, str) and body.strip():
        message += f" - {_shorten(body.strip())}"
    hint = STATUS_HINTS.get(status)
    if hint:
        message += f". {hint}"
    if str(fields.code) == _REASONING_BUDGET_CODE:
        message += (
            " The model spent max_tokens reasoning and returned nothing; the same request "
            "fails again, so it was not retried: raise max_tokens (to 1024 or more for "
            "reasoning models and auto routing)."
        )
    if note:
        message += f" {note}"
    return cls(message, response=response, body=body, retry_after=retry_after)


def _shorten(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
