"""The generic escape hatch: ``client.get/post/patch/put/delete`` for any Gloo endpoint.

For an endpoint the SDK does not wrap yet. The call goes through the same auth, retries and
error mapping as every resource; its answer is parsed into ``cast_to`` (a model class, any
type pydantic validates, or ``object`` for the decoded JSON).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, overload

from ._call_options import check_arguments
from ._config import NOT_GIVEN, NotGiven, RequestOptions, RetryPolicy
from ._exceptions import InvalidArgumentError
from ._pagination import AsyncPaginator
from ._requester import Requester, multipart, request_options
from ._retry import RETRY_POLICIES

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Unpack

    from ._multipart import FileInput

__all__ = ["CallArgs", "GenericVerbs"]


class CallArgs(TypedDict, total=False):
    """The options of ``client.get/post/patch/put/delete``; see `GenericVerbs.post`."""

    body: object
    files: Mapping[str, FileInput] | Iterable[tuple[str, FileInput]]
    data: Mapping[str, str]
    query: Mapping[str, object]
    auth: bool
    retry: RetryPolicy
    extra_headers: Mapping[str, str]
    timeout: float | httpx.Timeout | NotGiven | None
    max_retries: int | NotGiven
    max_rate_limit_retries: int | NotGiven
    retry_read_errors: bool | NotGiven


_T = TypeVar("_T")


class GenericVerbs:
    """``get``, ``post``, ``patch``, ``put``, ``delete`` and ``pages`` on any path of the API."""

    _requester: Requester

    @overload
    async def get(self, path: str, *, cast_to: type[_T], **options: Unpack[CallArgs]) -> _T: ...
    @overload
    async def get(self, path: str, **options: Unpack[CallArgs]) -> Any: ...
    async def get(self, path: str, *, cast_to: Any = object, **options: Unpack[CallArgs]) -> Any:
        """``GET path``; retried as idempotent. The options are those of `post`."""
        return await self._call("GET", path, cast_to, "idempotent", **options)

    @overload
    async def post(self, path: str, *, cast_to: type[_T], **options: Unpack[CallArgs]) -> _T: ...
    @overload
    async def post(self, path: str, **options: Unpack[CallArgs]) -> Any: ...
    async def post(self, path: str, *, cast_to: Any = object, **options: Unpack[CallArgs]) -> Any:
        """``POST path`` with a JSON ``body`` or multipart ``files``.

        Example::

            models = await client.get("/platform/v2/models", auth=False)

        Args:
            path: the endpoint's path, such as ``"/engine/v2/items/abc"``; an absolute URL
                must be on the client's base URL (credentials never go to another host).
            cast_to: what to parse the answer into; ``object`` (the default) returns the
                decoded JSON.
            body: the JSON body.
            files: multipart files, ``{field: file}`` or ``(field, file)`` pairs; a file is
                a path, bytes, a binary file object, or a ``(filename, content)`` tuple.
            data: multipart form fields, with ``files``.
            query: query parameters.
            auth: send credentials (default True; the model catalog needs none).
            retry: ``"default"`` (POST), ``"idempotent"`` or ``"never"``.
            extra_headers: headers to add.
            timeout: this call's timeout.
            max_retries: this call's retries.
        """
        return await self._call("POST", path, cast_to, "default", **options)

    @overload
    async def patch(self, path: str, *, cast_to: type[_T], **options: Unpack[CallArgs]) -> _T: ...
    @overload
    async def patch(self, path: str, **options: Unpack[CallArgs]) -> Any: ...
    async def patch(self, path: str, *, cast_to: Any = object, **options: Unpack[CallArgs]) -> Any:
        """``PATCH path``; retried like a POST unless ``retry=`` says otherwise."""
        return await self._call("PATCH", path, cast_to, "default", **options)

    @overload
    async def put(self, path: str, *, cast_to: type[_T], **options: Unpack[CallArgs]) -> _T: ...
    @overload
    async def put(self, path: str, **options: Unpack[CallArgs]) -> Any: ...
    async def put(self, path: str, *, cast_to: Any = object, **options: Unpack[CallArgs]) -> Any:
        """``PUT path``; retried as idempotent."""
        return await self._call("PUT", path, cast_to, "idempotent", **options)

    @overload
    async def delete(self, path: str, *, cast_to: type[_T], **options: Unpack[CallArgs]) -> _T: ...
    @overload
    async def delete(self, path: str, **options: Unpack[CallArgs]) -> Any: ...
    async def delete(self, path: str, *, cast_to: Any = object, **options: Unpack[CallArgs]) -> Any:
        """``DELETE path``; retried as idempotent unless ``retry="never"``."""
        return await self._call("DELETE", path, cast_to, "idempotent", **options)

    def pages(
        self,
        path: str,
        *,
        page_size: int,
        cast_to: type[_T] | Any = object,
        query: Mapping[str, object] | None = None,
        auth: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> AsyncPaginator[_T]:
        """A paged listing, ``GET path?page=N&page_size=M``: ``async for`` its items.

        Both page shapes of the data engine are read (a bare list, or ``{"items": [...],
        "total_pages": N}`` with or without the total). Nothing is sent until it is iterated
        or awaited (``await`` gives the first `AsyncPage`). Every page is retried as an
        idempotent read.

        Example::

            async for item in client.pages(
                f"/engine/v2/publisher/{publisher_id}/items", page_size=100
            ):
                print(item["item_title"])

        Args:
            path: the listing's path.
            page_size: items per page.
            cast_to: the type of one item (``object``: the decoded JSON).
            query: other query parameters.
            auth: send credentials.
            extra_headers: headers to add.
            timeout: each page's timeout.
            max_retries: each page's retries.
        """
        path = self._checked_path("client.pages()", path)
        options = request_options(
            extra_headers=extra_headers,
            timeout=timeout,
            max_retries=max_retries,
            query=query,
            auth=auth,
            retry="idempotent",
        )
        return self._requester.pages(path, item=cast_to, page_size=page_size, options=options)

    async def _call(
        self, method: str, path: str, cast_to: Any, default_retry: RetryPolicy, **kwargs: Any
    ) -> Any:
        check_arguments(f"client.{method.lower()}", kwargs, CallArgs, also=("cast_to",))
        return await self._send(method, path, cast_to, default_retry, **kwargs)

    async def _send(
        self,
        method: str,
        path: str,
        cast_to: Any,
        default_retry: RetryPolicy,
        *,
        body: object | None = None,
        files: Mapping[str, FileInput] | Iterable[tuple[str, FileInput]] | None = None,
        data: Mapping[str, str] | None = None,
        query: Mapping[str, object] | None = None,
        auth: bool = True,
        retry: RetryPolicy | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_rate_limit_retries: int | NotGiven = NOT_GIVEN,
        retry_read_errors: bool | NotGiven = NOT_GIVEN,
    ) -> Any:
        where = f"client.{method.lower()}()"
        if body is not None and files is not None:
            raise InvalidArgumentError(f"{where}: pass body (JSON) or files (multipart), not both.")
        if data is not None and files is None:
            raise InvalidArgumentError(f"{where}: data= is the form fields of files=; add files.")
        if retry is not None and retry not in RETRY_POLICIES:
            raise InvalidArgumentError(
                f"{where}: retry must be one of {', '.join(map(repr, RETRY_POLICIES))}, "
                f"not {retry!r}."
            )
        if not isinstance(auth, bool):
            raise InvalidArgumentError(f"{where}: auth must be True or False, not {auth!r}.")
        path = self._checked_path(where, path)
        options: RequestOptions = request_options(
            extra_headers=extra_headers,
            timeout=timeout,
            max_retries=max_retries,
            max_rate_limit_retries=max_rate_limit_retries,
            retry_read_errors=retry_read_errors,
            query=query,
            auth=auth,
            retry=retry or default_retry,
        )
        sent: object | None = body
        if files is not None:
            sent = multipart(files=files, data=data or ())
        return await self._requester.call(method, path, cast_to=cast_to, body=sent, options=options)

    def _checked_path(self, where: str, path: object) -> str:
        if not isinstance(path, str) or not path:
            raise InvalidArgumentError(f"{where}: path must be a string such as '/ai/v2/...'.")
        base = self._requester.base_url
        if path.startswith(("http://", "https://")):
            if path != base and not path.startswith(base + "/"):
                raise InvalidArgumentError(
                    f"{where}: {path!r} is not under this client's base URL {base!r}; "
                    "credentials are only sent to it. Pass a path such as '/ai/v2/...'."
                )
            return path
        if not path.startswith("/"):
            raise InvalidArgumentError(f"{where}: path must start with '/', got {path!r}.")
        return path
