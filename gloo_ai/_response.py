"""Reading answers: `APIResponse` for ``with_raw_response``, and the body parsers.

The parsers are pure functions of a read `httpx.Response`: a model class, or any type
pydantic can validate (``dict[str, Any]``, ``list[Item]``), with the SDK's own error when the
body does not fit.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, get_origin

import pydantic

from ._error_bodies import decode_body, request_id_of
from ._exceptions import APIResponseValidationError
from ._models import GlooModel, set_request_id, validation_summary

if TYPE_CHECKING:
    import httpx

__all__ = ["RAW_RESPONSE", "APIResponse", "parse_as", "parse_model", "safe_body"]

_T = TypeVar("_T")
_M = TypeVar("_M", bound=GlooModel)

RAW_RESPONSE: contextvars.ContextVar[bool] = contextvars.ContextVar("gloo_ai_raw", default=False)
"""Set by a ``with_raw_response`` view for the duration of one call."""


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


def parse_model(cls: type[_M]) -> Callable[[httpx.Response], _M]:
    """A parser of a read JSON body into ``cls``, raising `APIResponseValidationError`
    (made once per class: a call does not build one)."""
    parser = _MODEL_PARSERS.get(cls)
    if parser is None:
        parser = _MODEL_PARSERS[cls] = _model_parser(cls)
    return cast("Callable[[httpx.Response], _M]", parser)


_MODEL_PARSERS: dict[type[GlooModel], Callable[[httpx.Response], GlooModel]] = {}


def _model_parser(cls: type[_M]) -> Callable[[httpx.Response], _M]:
    def parse(response: httpx.Response) -> _M:
        try:
            model = cls.model_validate_json(response.content)
        except pydantic.ValidationError as exc:
            raise _invalid(response, cls.__name__, exc) from exc
        set_request_id(model, request_id_of(response.headers))
        return model

    return parse


def parse_as(cast_to: type[_T] | Any) -> Callable[[httpx.Response], _T]:
    """A parser of a read JSON body into ``cast_to``: a model class, or any pydantic type.

    ``object`` returns the decoded JSON as it is (``None`` for an empty body).
    """
    if inspect.isclass(cast_to) and get_origin(cast_to) is None and issubclass(cast_to, GlooModel):
        return cast("Callable[[httpx.Response], _T]", parse_model(cast_to))
    adapter = _adapter(cast("Hashable", cast_to))

    def parse(response: httpx.Response) -> _T:
        if not response.content and cast_to is object:
            return cast(_T, None)
        try:
            return cast(_T, adapter.validate_json(response.content))
        except pydantic.ValidationError as exc:
            raise _invalid(response, getattr(cast_to, "__name__", str(cast_to)), exc) from exc

    return parse


@functools.lru_cache(maxsize=256)
def _adapter(cast_to: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(Any if cast_to is object else cast_to)


def _invalid(
    response: httpx.Response, name: str, exc: pydantic.ValidationError
) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"The API answered HTTP {response.status_code} with a body that is not a "
        f"{name}: {validation_summary(exc)}",
        response=response,
        body=safe_body(response),
    )


def safe_body(response: httpx.Response) -> object:
    """The decoded JSON body, or its text when it is not JSON (JSON nested too deeply for
    Python included)."""
    return decode_body(response)
