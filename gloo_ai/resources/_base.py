"""What every resource shares: the requester, checked call options, raw responses."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import pydantic

from .._config import NotGiven, RequestOptions
from .._exceptions import InvalidArgumentError
from .._models import GlooModel, validation_summary
from .._requester import request_options
from .._response import RAW_RESPONSE, APIResponse, parse_model
from .._streaming import AsyncStream
from .._surface import SurfacePaths, check_surface
from .._warnings import warn_at_caller

if TYPE_CHECKING:
    import httpx

    from .._requester import Requester

__all__ = [
    "AsyncAPIResource",
    "invalid_arguments",
    "parse_model",
    "parse_stream",
    "raw_response_wrapper",
    "request_options",
    "warn_deprecated",
]

_M = TypeVar("_M", bound=GlooModel)
_P = ParamSpec("_P")
_R = TypeVar("_R")


class AsyncAPIResource:
    """Base of the resources (``client.chat.completions`` and so on).

    Args:
        requester: how the resource sends calls; it never sees the client.
    """

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: object | None,
        options: RequestOptions,
        parse: Callable[[httpx.Response], _R],
    ) -> Coroutine[Any, Any, _R]:
        """Send one call through the requester (await the result)."""
        return self._requester.request(method, path, body=body, options=options, parse=parse)

    def _surface_path(self, paths: SurfacePaths, surface: object = None) -> str:
        """The path of ``paths`` on the call's ``surface`` (None or NOT_GIVEN: the client's).

        Raises:
            InvalidArgumentError: an unknown surface, or one the area does not have.
        """
        if surface is None or isinstance(surface, NotGiven):
            return paths.path(self._requester.surface)
        return paths.path(
            check_surface(surface, InvalidArgumentError, where=f"{paths.area}: surface")
        )


def parse_stream(cls: type[_M]) -> Callable[[httpx.Response], AsyncStream[_M]]:
    """A parser of an unread SSE response into an `AsyncStream` of ``cls``."""

    def parse(response: httpx.Response) -> AsyncStream[_M]:
        return AsyncStream(response=response, cast_to=cls)

    return parse


def warn_deprecated(message: str) -> None:
    """Emit a `DeprecationWarning` attributed to the first caller outside gloo_ai."""
    warn_at_caller(message, DeprecationWarning)


def invalid_arguments(where: str, exc: pydantic.ValidationError) -> InvalidArgumentError:
    """Turn a request model's validation error into a clear `InvalidArgumentError`."""
    return InvalidArgumentError(f"Invalid arguments for {where}: {validation_summary(exc)}")


def raw_response_wrapper(
    func: Callable[_P, Awaitable[Any]],
) -> Callable[_P, Awaitable[APIResponse[Any]]]:
    """Make a resource method return the `APIResponse` instead of the parsed result."""

    @functools.wraps(func)
    async def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> APIResponse[Any]:
        token = RAW_RESPONSE.set(True)
        try:
            result: APIResponse[Any] = await func(*args, **kwargs)
        finally:
            RAW_RESPONSE.reset(token)
        return result

    return wrapped
