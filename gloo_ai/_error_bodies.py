"""Gloo's error bodies (gloo-api.md §14.1): telling one from a model, and reading its fields.

The platform uses several shapes, and the SDK tolerates all of them:

1. ``{"error": "Rate limit exceeded", "code": "too_many_requests"}``;
2. FastAPI's ``{"detail": "..."}`` or ``{"detail": [{"loc": [...], "msg": "..."}]}``;
3. the AI error object, ``{"error": {"code": 2002, "name": "PROVIDER_UNAVAILABLE", ...}}``;

and, in streams, ``{"message": ..., "code": ...}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._httpx_objects import header_value

if TYPE_CHECKING:
    import httpx

__all__ = ["GlooErrorFields", "decode_body", "is_error_payload", "loads", "request_id_of"]

# The keys of Gloo's error bodies (gloo-api.md §14.1): a payload made only of these, with a
# message, is an error, not an empty model.
_ERROR_BODY_KEYS = frozenset(
    {
        "error",
        "detail",
        "message",
        "code",
        "name",
        "type",
        "fault",
        "retryable",
        "category",
        "status",
        "param",
        "trace_id",
        "request_id",
        "provider_name",
        "is_byok",
    }
)


def is_error_payload(payload: object) -> bool:
    """Whether a decoded event is one of Gloo's error bodies (gloo-api.md §14.1).

    ``{"error": {...}}`` and ``{"error": "...", ...}`` (a non-empty ``error``),
    ``{"type": "error", ...}``, and a body made only of error keys with a ``detail`` or a
    ``message`` (``{"detail": ...}``, ``{"message": ..., "code": ...}``). ``"error": null``, as
    on a Responses-API response object, is not an error.
    """
    if not isinstance(payload, dict):
        return False
    error = payload.get("error")
    if error and isinstance(error, (dict, str)):
        return True
    if payload.get("type") == "error":
        return True
    detail = payload.get("detail")
    if not (
        (detail and isinstance(detail, (str, list))) or isinstance(payload.get("message"), str)
    ):
        return False
    return payload.keys() <= _ERROR_BODY_KEYS


class GlooErrorFields:
    """The error fields Gloo puts in error bodies, parsed from any of its three shapes.

    Attributes:
        code: ``error.code`` (a number in the AI error object) or the top-level ``code`` string.
        name: the symbolic name, such as ``"PROVIDER_UNAVAILABLE"``.
        fault: ``"client"`` or ``"provider"`` where the platform says whose fault it was.
        retryable: whether the platform says the request may be retried.
        detail: the human-readable explanation (``detail``, ``message`` or ``error``).
    """

    __slots__ = ("code", "detail", "fault", "name", "retryable")

    def __init__(self, body: object) -> None:
        self.code: int | str | None = None
        self.name: str | None = None
        self.fault: str | None = None
        self.retryable: bool | None = None
        self.detail: str | None = None
        if isinstance(body, dict):
            self._parse(body)

    def _parse(self, body: dict[str, Any]) -> None:
        error = body.get("error")
        if isinstance(error, dict):
            # Shape 3: the AI error object, {"error": {"code": 2002, "name": ..., ...}}.
            self.code = _int_or_str(error.get("code"))
            self.name = _str_or_none(error.get("name")) or _str_or_none(error.get("type"))
            self.fault = _str_or_none(error.get("fault"))
            retryable = error.get("retryable")
            self.retryable = retryable if isinstance(retryable, bool) else None
            self.detail = (
                _str_or_none(error.get("message"))
                or _str_or_none(error.get("detail"))
                or _detail_text(body.get("detail"))
            )
            return
        # Shape 1: {"error": "Rate limit exceeded", "code": "too_many_requests"}.
        # Shape 2: FastAPI's {"detail": "..."} or {"detail": [{"loc": ..., "msg": ...}]}.
        self.code = _int_or_str(body.get("code"))
        self.name = _str_or_none(body.get("name"))
        self.fault = _str_or_none(body.get("fault"))
        retryable = body.get("retryable")
        self.retryable = retryable if isinstance(retryable, bool) else None
        self.detail = (
            _str_or_none(error)
            or _detail_text(body.get("detail"))
            or _str_or_none(body.get("message"))
        )


def _int_or_str(value: object) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        return value
    return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _detail_text(detail: object) -> str | None:
    if isinstance(detail, str):
        return detail or None
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                msg = item.get("msg", "")
                parts.append(f"{loc}: {msg}" if loc else str(msg))
        return "; ".join(parts) or None
    return None


def request_id_of(headers: httpx.Headers) -> str | None:
    """Return the request id the server sent, if any."""
    return header_value(headers, b"x-request-id") or header_value(headers, b"request-id")


def loads(data: str | bytes | bytearray) -> object:
    """``json.loads``, where JSON nested too deeply for Python is a ``ValueError`` too.

    ``"[" * 100000`` would otherwise raise a bare ``RecursionError``; every caller that turns
    a ``ValueError`` into the SDK's own error then covers that case as well.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to decode") from None


def decode_body(response: httpx.Response) -> object | None:
    """Decode a read response body as JSON, falling back to its text (or None if empty).

    The body is decoded once: its text is made only when it is not JSON.
    """
    content = response.content
    if not content:
        return None
    try:
        return loads(content)
    except ValueError:
        return content.decode(response.encoding or "utf-8", errors="replace")
