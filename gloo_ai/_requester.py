"""The requester: the narrow view of a client that every resource gets.

A resource never sees the client. It gets a `Requester`, which holds the transport (the pool,
the auth flow, the retry loop) and the per-client settings, and offers a few verbs that take a
path, a body kind, the call's options and a parser. A resource method is then a handful of
lines: validate, pick the verb, declare the call's auth and retry policy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Coroutine, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import pydantic

from ._config import (
    NOT_GIVEN,
    NotGiven,
    RequestOptions,
    RetryPolicy,
    check_flag,
    check_headers,
    check_max_retries,
    check_timeout,
)
from ._error_bodies import loads
from ._exceptions import APIResponseValidationError, InvalidArgumentError
from ._multipart import FileInput, MultipartBody, ProgressCallback
from ._pagination import AsyncPage, AsyncPaginator, read_page, validate_items
from ._response import RAW_RESPONSE, APIResponse, parse_as

if TYPE_CHECKING:
    import httpx

    from ._config import Clock
    from ._surface import Surface
    from ._transport import Transport

__all__ = ["Requester", "SharedState", "multipart", "request_options"]

_R = TypeVar("_R")
_T = TypeVar("_T")

_NO_OPTIONS = RequestOptions()


def multipart(
    *,
    files: Mapping[str, FileInput] | Iterable[tuple[str, FileInput]],
    data: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    on_progress: ProgressCallback | None = None,
) -> MultipartBody:
    """A multipart body from ``files`` (``{field: file}`` or ``(field, file)`` pairs) and form
    ``data``; see `MultipartBody`."""
    pairs = files.items() if isinstance(files, Mapping) else files
    return MultipartBody(fields=data, files=list(pairs), on_progress=on_progress)


class SharedState:
    """What an API area keeps per client beyond the transport, shared by the client's
    ``with_options`` copies: one object per class (the model catalog's cache, the usage
    totals). The core never looks inside; an area asks for its own class.
    """

    def __init__(self, *objects: object) -> None:
        self._objects: dict[type[Any], object] = {type(obj): obj for obj in objects}

    def get(self, cls: type[_T]) -> _T:
        """The ``cls`` object of this client, made with ``cls()`` on first use."""
        found = self._objects.get(cls)
        if found is None:
            found = self._objects[cls] = cls()
        return cast(_T, found)


class Requester:
    """Sends calls for the resources: the transport plus the per-client settings.

    Args:
        transport: where calls go (shared by a client and its ``with_options`` copies, each
            with its own defaults).
        shared: the per-client objects the areas keep (shared with ``with_options`` copies).
        surface: the client's default `Surface` (a call may pick another).
    """

    def __init__(
        self,
        transport: Transport,
        shared: SharedState | None = None,
        *,
        surface: Surface = "standard",
    ) -> None:
        self._transport = transport
        self.shared = shared if shared is not None else SharedState()
        self.surface: Surface = surface

    @property
    def base_url(self) -> str:
        """The client's base URL."""
        return self._transport.base_url

    @property
    def clock(self) -> Clock:
        """The client's clock: where a resource that polls reads the time and sleeps (the
        same one retries use, so tests that pass a fake clock control both)."""
        return self._transport.clock

    def request(
        self,
        method: str,
        path: str,
        *,
        body: object | None = None,
        options: RequestOptions = _NO_OPTIONS,
        parse: Callable[[httpx.Response], _R],
    ) -> Coroutine[Any, Any, _R]:
        """Send one call and parse its answer (or wrap it for ``with_raw_response``): await
        the result. (A plain function returning the call's coroutine: one frame less.)

        Args:
            method: the HTTP method.
            path: the path under the base URL.
            body: None, a `MultipartBody`, or a JSON-serialisable value.
            options: the caller's options and the method's policy (auth, retry, query).
            parse: turns the 2xx response into the result.
        """
        if RAW_RESPONSE.get():  # with_raw_response: the response, parsed on demand
            parse = functools.partial(_raw_response, parse)  # type: ignore[assignment]
        transport = self._transport
        hooks = transport.instrumentation.hooks
        if hooks is None:
            return transport.request(method, path, body=body, options=options, parse=parse)
        return hooks.call(
            functools.partial(
                transport.request, method, path, body=body, options=options, parse=parse
            ),
            method=method,
            path=path,
            base_url=transport.base_url,
            body=body,
            options=options,
            clock=transport.clock,
        )

    @overload
    async def call(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[_T],
        body: object | None = ...,
        options: RequestOptions = ...,
    ) -> _T: ...

    @overload
    async def call(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any,
        body: object | None = ...,
        options: RequestOptions = ...,
    ) -> Any: ...

    async def call(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any,
        body: object | None = None,
        options: RequestOptions = _NO_OPTIONS,
    ) -> Any:
        """Send one call and parse its JSON answer into ``cast_to`` (a model or any type)."""
        return await self.request(method, path, body=body, options=options, parse=parse_as(cast_to))

    def pages(
        self,
        path: str,
        *,
        item: type[_T] | Any,
        page_size: int,
        options: RequestOptions = _NO_OPTIONS,
        page_param: str = "page",
        size_param: str = "page_size",
        first_page: int = 1,
    ) -> AsyncPaginator[_T]:
        """A listing that pages by itself (``GET path?page=N&page_size=M``), retried as
        idempotent unless ``options`` say otherwise.

        Args:
            path: the listing's path.
            item: the type of one item (a model class).
            page_size: items per page.
            options: the caller's options and the method's policy.
            page_param: the query parameter of the page number.
            size_param: the query parameter of the page size.
            first_page: the number of the first page.
        """
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise InvalidArgumentError(f"page_size must be a whole number >= 1, not {page_size!r}.")
        adapter: pydantic.TypeAdapter[list[_T]] = _list_adapter(cast(Hashable, item))
        what = getattr(item, "__name__", "items")

        async def fetch(number: int) -> AsyncPage[_T]:
            query = {**(options.query or {}), page_param: number, size_param: page_size}
            page_options = dataclasses.replace(options, query=query)

            def parse(response: httpx.Response) -> AsyncPage[_T]:
                try:
                    raw = read_page(loads(response.content))
                except ValueError as exc:
                    raise APIResponseValidationError(
                        f"A page of {what} is not a list nor an object with items: {exc}",
                        response=response,
                    ) from None
                return AsyncPage(
                    validate_items(adapter, raw.items, what=what, response=response),
                    number=number,
                    page_size=page_size,
                    total_pages=raw.total_pages,
                    fetch=fetch,
                    http_response=response,
                )

            token = RAW_RESPONSE.set(False)  # a page is always parsed
            try:
                return await self.request("GET", path, options=page_options, parse=parse)
            finally:
                RAW_RESPONSE.reset(token)

        return AsyncPaginator(fetch, first_page=first_page)


def request_options(
    *,
    stream: bool = False,
    extra_headers: Mapping[str, str] | None = None,
    extra_query: Mapping[str, object] | None = None,
    timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    max_retries: int | NotGiven = NOT_GIVEN,
    max_rate_limit_retries: int | NotGiven = NOT_GIVEN,
    retry_read_errors: bool | NotGiven = NOT_GIVEN,
    query: Mapping[str, object] | None = None,
    auth: bool = True,
    retry: RetryPolicy = "default",
) -> RequestOptions:
    """Check a call's options (raising `InvalidArgumentError`) and bundle them with the
    method's policy: its ``query`` parameters, ``auth`` and ``retry``."""
    return RequestOptions(
        query=dict(query) if query else None,
        auth=auth,
        retry=retry,
        extra_headers=check_headers(extra_headers, InvalidArgumentError) or None,
        extra_query=dict(extra_query) if extra_query else None,
        timeout=timeout
        if isinstance(timeout, NotGiven)
        else check_timeout(timeout, InvalidArgumentError),
        max_retries=max_retries
        if isinstance(max_retries, NotGiven)
        else check_max_retries(max_retries, InvalidArgumentError),
        max_rate_limit_retries=max_rate_limit_retries
        if isinstance(max_rate_limit_retries, NotGiven)
        else check_max_retries(
            max_rate_limit_retries, InvalidArgumentError, "max_rate_limit_retries"
        ),
        retry_read_errors=retry_read_errors
        if isinstance(retry_read_errors, NotGiven)
        else check_flag(retry_read_errors, InvalidArgumentError, "retry_read_errors"),
        stream=stream,
    )


@functools.lru_cache(maxsize=128)
def _list_adapter(item: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(list[item])


def _raw_response(
    parse: Callable[[httpx.Response], _R], response: httpx.Response
) -> APIResponse[_R]:
    return APIResponse(response, functools.partial(parse, response))
