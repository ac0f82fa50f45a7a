"""Paged listings: one async iterator that pages by itself, or one page at a time.

Gloo's data engine answers a page in one of two shapes: a bare JSON list, or
``{"items": [...], "total_pages": N}`` where ``total_pages`` may be missing. Without a total,
a page shorter than the page size is the last. Reading a page is a pure function
(`read_page`); fetching one is the requester's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic

from ._error_bodies import request_id_of
from ._exceptions import APIResponseValidationError
from ._models import validation_summary

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncPage", "AsyncPaginator", "PageFetcher", "RawPage", "read_page", "validate_items"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class RawPage:
    """A page as read from the body: its items (still JSON) and the total, if sent."""

    items: list[Any]
    total_pages: int | None


def read_page(payload: object) -> RawPage:
    """Read either page shape; raise `ValueError` for anything else.

    Args:
        payload: the decoded JSON body.
    """
    if isinstance(payload, list):
        return RawPage(payload, None)
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        total = payload.get("total_pages")
        if isinstance(total, str) and total.isdigit():
            total = int(total)
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            total = None
        return RawPage(payload["items"], total)
    raise ValueError('expected a JSON list or an object with an "items" list')


PageFetcher = Callable[[int], Awaitable["AsyncPage[_T]"]]
"""Fetches page number N (the requester builds it from a path, a page size and a parser)."""


class AsyncPage(Generic[_T]):
    """One page of a listing.

    Attributes:
        items: the page's items, typed.
        number: the page number (the first is 1).
        page_size: the size asked for.
        total_pages: the number of pages, when the server said.
        http_response: the answer the page was read from.
        request_id: its request id, if the server sent one.
    """

    def __init__(
        self,
        items: list[_T],
        *,
        number: int,
        page_size: int,
        total_pages: int | None,
        fetch: PageFetcher[_T],
        http_response: httpx.Response,
    ) -> None:
        self.items = items
        self.http_response = http_response
        self.request_id = request_id_of(http_response.headers)
        self.number = number
        self.page_size = page_size
        self.total_pages = total_pages
        self._fetch = fetch

    def __repr__(self) -> str:
        return (
            f"AsyncPage(number={self.number}, items={len(self.items)}, "
            f"total_pages={self.total_pages!r})"
        )

    def has_next_page(self) -> bool:
        """Whether another page follows: by the total when sent, else by a full page."""
        if not self.items:
            return False
        if self.total_pages is not None:
            return self.number < self.total_pages
        return len(self.items) >= self.page_size

    async def get_next_page(self) -> AsyncPage[_T] | None:
        """Fetch the next page, or return None after the last."""
        if not self.has_next_page():
            return None
        return await self._fetch(self.number + 1)


class AsyncPaginator(Generic[_T]):
    """A listing: ``async for item in ...`` pages by itself; ``await`` it for the first page.

    Nothing is sent until it is iterated or awaited; each iteration starts again from the
    first page.
    """

    def __init__(self, fetch: PageFetcher[_T], *, first_page: int = 1) -> None:
        self._fetch = fetch
        self._first = first_page

    def __await__(self) -> Generator[Any, None, AsyncPage[_T]]:
        return self.get_page(self._first).__await__()

    async def get_page(self, number: int) -> AsyncPage[_T]:
        """Fetch one page by its number."""
        return await self._fetch(number)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[_T]]:
        """Every page in turn, from the first."""
        page: AsyncPage[_T] | None = await self._fetch(self._first)
        previous: list[_T] | None = None
        while page is not None:
            if previous is not None and page.items and page.items == previous:
                raise APIResponseValidationError(
                    f"Page {page.number} repeats the page before it: the server seems to "
                    "ignore the page parameter, so paging stops here.",
                    response=page.http_response,
                )
            yield page
            previous = page.items
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[_T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item


def validate_items(
    adapter: pydantic.TypeAdapter[list[_T]],
    items: list[Any],
    *,
    what: str,
    response: httpx.Response,
) -> list[_T]:
    """Validate a page's items, raising the SDK's error for a bad one."""
    try:
        return adapter.validate_python(items)
    except pydantic.ValidationError as exc:
        raise APIResponseValidationError(
            f"A page of {what} has an item of the wrong shape: {validation_summary(exc)}",
            response=response,
        ) from exc
