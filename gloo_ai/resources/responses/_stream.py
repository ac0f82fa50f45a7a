"""How a Responses-API stream is read: named events, typed; when the answer is complete.

The rules (gloo-api.md §7):

- Each event (``event: <type>`` + ``data: <json>``) is validated into its model by its type
  (the payload's ``type``, else the ``event:`` name); an unknown type is yielded as
  `ResponseUnknownEvent`.
- ``response.completed`` (or ``response.incomplete``) ends the answer: it is yielded and the
  stream ends at once, without waiting for the server to close the body. Events after it
  are dropped.
- An ``error`` event, a ``response.failed`` event, or one of Gloo's error bodies in a
  ``data:`` line raises `APIStreamError`.
- A body that ends before ``response.completed`` raises `IncompleteStreamError`, with the
  text received so far.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pydantic

from ..._error_bodies import request_id_of
from ..._exceptions import APIResponseValidationError, APIStreamError, IncompleteStreamError
from ..._sse import ServerSentEvent
from ..._streaming import AsyncStream, Verdict, is_error_payload
from ...types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseUnknownEvent,
)
from ...types.responses.response_stream_event import EVENT_TYPES

if TYPE_CHECKING:
    import httpx

__all__ = ["ResponseEventDecoder", "ResponseRules", "response_stream_parser"]

_ERROR_TYPES = frozenset({"error", "response.failed"})


class ResponseEventDecoder:
    """Decodes one named event into its typed model; error events raise `APIStreamError`.

    Args:
        response: the response the events come from (for errors and the request id).
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._request_id = request_id_of(response.headers)

    def __call__(self, event: ServerSentEvent) -> ResponseStreamEvent | None:
        request = self._response.request
        try:
            payload = json.loads(event.data)
        except ValueError as exc:
            if event.event == "error":
                raise APIStreamError.from_event(event.data, request) from None
            raise APIResponseValidationError(
                f"The stream sent an event that is not JSON: {event.data[:200]!r}",
                response=self._response,
            ) from exc
        if not isinstance(payload, dict):
            raise APIResponseValidationError(
                f"The stream sent an event that is not an object: {event.data[:200]!r}",
                response=self._response,
                body=payload,
            )
        kind = payload.get("type")
        if not isinstance(kind, str):
            kind = event.event or ""
        if kind in _ERROR_TYPES or event.event in _ERROR_TYPES or is_error_payload(payload):
            nested = payload.get("response")
            body = nested if isinstance(nested, dict) and nested.get("error") else payload
            raise APIStreamError.from_event(body, request)
        cls = EVENT_TYPES.get(kind, ResponseUnknownEvent)
        try:
            model = cls.model_validate({**payload, "type": kind})
        except pydantic.ValidationError as exc:
            raise APIResponseValidationError(
                f"The stream sent a {kind!r} event that is not a {cls.__name__}: {exc}",
                response=self._response,
                body=payload,
            ) from exc
        model._request_id = self._request_id
        return model  # type: ignore[return-value]  # cls is the type's own model


class ResponseRules:
    """The `StreamRules` of a Responses stream (see the module's docstring).

    Args:
        request: the request of the stream, for the errors it raises.
    """

    __slots__ = ("_done", "_on_response", "_request", "_texts")

    def __init__(
        self,
        request: httpx.Request | None = None,
        *,
        on_response: Callable[[Response], None] | None = None,
    ) -> None:
        self._request = request
        self._on_response = on_response
        self._texts: list[str] = []
        self._done = False

    @property
    def text(self) -> str:
        """The text received so far."""
        return "".join(self._texts)

    def accept(self, item: ResponseStreamEvent) -> Verdict:
        """Record the event; yield it, drop it (after the end), or finish."""
        if self._done:
            return Verdict.DROP
        if isinstance(item, ResponseTextDeltaEvent):
            self._texts.append(item.delta)
        elif isinstance(item, (ResponseCompletedEvent, ResponseIncompleteEvent)):
            self._done = True
            if self._on_response is not None:
                self._on_response(item.response)
            return Verdict.FINISH
        return Verdict.YIELD

    def end_of_body(self) -> None:
        """Raise `IncompleteStreamError`: the body ended before ``response.completed``."""
        raise IncompleteStreamError(
            "The stream ended before the answer was complete (no response.completed event): "
            "the server closed it early. The text received so far is in the error's `text`; "
            "sending the request again usually helps.",
            text=self.text,
            request=self._request,
        )


def response_stream_parser(
    on_response: Callable[[Response], None] | None = None,
) -> Callable[[httpx.Response], AsyncStream[ResponseStreamEvent]]:
    """The parser of an unread Responses SSE response into a stream of typed events.

    Args:
        on_response: called with the final `Response` when ``response.completed`` arrives.
    """

    def parse(response: httpx.Response) -> AsyncStream[ResponseStreamEvent]:
        return AsyncStream(
            response=response,
            decode=ResponseEventDecoder(response),
            rules=ResponseRules(response.request, on_response=on_response),
        )

    return parse
