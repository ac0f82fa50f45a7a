"""What every resource shares: access to the client's transport, parsing, raw responses."""

from __future__ import annotations

import contextvars
import functools
import sys
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import pydantic

from .._config import NotGiven, RequestOptions, check_max_retries, check_timeout
from .._exceptions import APIResponseValidationError, InvalidArgumentError, request_id_of
from .._models import GlooModel, validation_summary
from .._response import APIResponse
from .._streaming import AsyncStream

if TYPE_CHECKING:
    import httpx

    from .._client import AsyncGloo

__all__ = [
    "AsyncAPIResource",
    "invalid_arguments",
    "raw_response_wrapper",
    "request_options",
    "warn_deprecated",
]

_M = TypeVar("_M", bound=GlooModel)
_P = ParamSpec("_P")
_R = TypeVar("_R")

# Set by a ``with_raw_response`` view for the duration of one call.
_RAW: contextvars.ContextVar[bool] = contextvars.ContextVar("gloo_ai_raw", default=False)


class AsyncAPIResource:
    """Base of the resources (``client.chat.completions`` and so on)."""

    def __init__(self, client: AsyncGloo) -> None:
        self._client = client

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: object | None,
        options: RequestOptions,
        parse: Callable[[httpx.Response], _R],
    ) -> _R:
        raw = _RAW.get()
        response = await self._client._transport.request(method, path, body=body, options=options)
        if raw:
            return APIResponse(response, functools.partial(parse, response))  # type: ignore[return-value]
        return parse(response)


def parse_model(cls: type[_M]) -> Callable[[httpx.Response], _M]:
    """A parser of a read JSON body into ``cls``, raising `APIResponseValidationError`."""

    def parse(response: httpx.Response) -> _M:
        try:
            model = cls.model_validate_json(response.content)
        except pydantic.ValidationError as exc:
            raise APIResponseValidationError(
                f"The API answered HTTP {response.status_code} with a body that is not a "
                f"{cls.__name__}: {validation_summary(exc)}",
                response=response,
                body=_safe_body(response),
            ) from exc
        model._request_id = request_id_of(response.headers)
        return model

    return parse


def parse_stream(cls: type[_M]) -> Callable[[httpx.Response], AsyncStream[_M]]:
    """A parser of an unread SSE response into an `AsyncStream` of ``cls``."""

    def parse(response: httpx.Response) -> AsyncStream[_M]:
        return AsyncStream(response=response, cast_to=cls)

    return parse


def _safe_body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


def request_options(
    *,
    stream: bool = False,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, object] | None,
    timeout: float | httpx.Timeout | NotGiven | None,
    max_retries: int | NotGiven,
) -> RequestOptions:
    """Check a call's options (raising `InvalidArgumentError`) and bundle them."""
    return RequestOptions(
        extra_headers=dict(extra_headers) if extra_headers else None,
        extra_query=dict(extra_query) if extra_query else None,
        timeout=timeout
        if isinstance(timeout, NotGiven)
        else check_timeout(timeout, InvalidArgumentError),
        max_retries=max_retries
        if isinstance(max_retries, NotGiven)
        else check_max_retries(max_retries, InvalidArgumentError),
        stream=stream,
    )


def warn_deprecated(message: str) -> None:
    """Emit a `DeprecationWarning` attributed to the first caller outside gloo_ai."""
    frame = sys._getframe(1)  # the caller of this function: stacklevel 2
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("gloo_ai."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, DeprecationWarning, stacklevel=level)


def invalid_arguments(where: str, exc: pydantic.ValidationError) -> InvalidArgumentError:
    """Turn a request model's validation error into a clear `InvalidArgumentError`."""
    return InvalidArgumentError(f"Invalid arguments for {where}: {validation_summary(exc)}")


def raw_response_wrapper(
    func: Callable[_P, Awaitable[Any]],
) -> Callable[_P, Awaitable[APIResponse[Any]]]:
    """Make a resource method return the `APIResponse` instead of the parsed result."""

    @functools.wraps(func)
    async def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> APIResponse[Any]:
        token = _RAW.set(True)
        try:
            result: APIResponse[Any] = await func(*args, **kwargs)
        finally:
            _RAW.reset(token)
        return result

    return wrapped
