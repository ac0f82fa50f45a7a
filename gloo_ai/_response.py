"""`APIResponse`: the raw HTTP answer behind a parsed result, for ``with_raw_response``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from ._exceptions import request_id_of

if TYPE_CHECKING:
    import httpx

__all__ = ["APIResponse"]

_T = TypeVar("_T")


class APIResponse(Generic[_T]):
    """An HTTP answer and the result it parses into.

    Returned by ``client.<resource>.with_raw_response.<method>(...)``; call `parse` for the
    model (or `AsyncStream`) the plain method would have returned.

    Attributes:
        http_response: the `httpx.Response`.
        status_code: its HTTP status.
        headers: its headers.
        request_id: the ``x-request-id`` (or ``request-id``) header, if the server sent one.
    """

    def __init__(self, http_response: httpx.Response, parser: Callable[[], _T]) -> None:
        self.http_response = http_response
        self.status_code = http_response.status_code
        self.headers = http_response.headers
        self.request_id = request_id_of(http_response.headers)
        self._parser = parser
        self._parsed: _T | None = None
        self._done = False

    def parse(self) -> _T:
        """Parse the body (once; later calls return the same object)."""
        if not self._done:
            self._parsed = self._parser()
            self._done = True
        return self._parsed  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] request_id={self.request_id!r}>"
