"""``client.items``: the data engine's items (``/engine/v2``): list, read, update, delete.

Each method checks its arguments before anything is sent and declares its retry policy:
reads and the single-item update are idempotent; a bulk update is idempotent only when all
of its operations are ``replace``; a permanent deletion is never repeated once it may have
reached the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pydantic
from typing_extensions import Unpack

from .._call_options import CallOptions, check_arguments, split_call_options
from .._config import RetryPolicy
from .._exceptions import InvalidArgumentError
from .._pagination import AsyncPaginator
from ..types.items import (
    BulkUpdateResult,
    DeleteResult,
    Item,
    ItemFilter,
    ItemFilterParam,
    ItemPatchOp,
    ItemPatchOpParam,
    ItemSummary,
    ItemUpdateKwargs,
    ItemUpdateParams,
    ItemUpdateResult,
    ReadOptions,
)
from ._base import AsyncAPIResource, invalid_arguments
from ._options import call_options

if TYPE_CHECKING:
    pass

__all__ = ["MAX_DELETE_IDS", "MAX_PAGE_SIZE", "AsyncItems"]

MAX_PAGE_SIZE = 1000
MAX_DELETE_IDS = 1000
MAX_BULK_LIMIT = 10000


def segment(value: object, name: str) -> str:
    """An id checked and quoted for use as one path segment."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string, not {value!r}.")
    return quote(value, safe="")


def _body(model: pydantic.BaseModel, extra_body: Mapping[str, object] | None) -> dict[str, Any]:
    body = model.model_dump(mode="json", exclude_unset=True)
    if extra_body:
        body.update(extra_body)
    return body


class AsyncItems(AsyncAPIResource):
    """The items of a publisher in Gloo's data engine (Enterprise plans)."""

    def list(
        self, publisher_id: str, *, page_size: int = MAX_PAGE_SIZE, **options: Unpack[ReadOptions]
    ) -> AsyncPaginator[ItemSummary]:
        """Every item of a publisher (``GET /engine/v2/publisher/{id}/items``), paging by
        itself.

        ``async for item in client.items.list(publisher_id)`` goes through every page;
        ``await client.items.list(...)`` gives the first `AsyncPage` (then
        ``page.get_next_page()``). Both of Gloo's page shapes are read: a bare list, or
        ``{"items": [...], "total_pages": N}`` with or without the total (without it, a short
        page is the last). Nothing is sent until it is iterated or awaited; every page is
        retried as an idempotent read.

        Args:
            publisher_id: the publisher (your organisation must own it).
            page_size: items per page, 1 to 1000.
            **options: ``extra_headers``, ``extra_query``, ``timeout``, ``max_retries``
                (per page).

        Raises:
            InvalidArgumentError: an empty publisher id, or a page size out of range.
        """
        check_arguments("items.list", options, ReadOptions, also=("page_size",))
        path = f"/engine/v2/publisher/{segment(publisher_id, 'publisher_id')}/items"
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise InvalidArgumentError(f"page_size must be a whole number, not {page_size!r}.")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidArgumentError(f"page_size must be 1 to {MAX_PAGE_SIZE}, not {page_size}.")
        return self._requester.pages(
            path,
            item=ItemSummary,
            page_size=page_size,
            options=call_options(options, retry="idempotent"),
        )

    async def retrieve(self, item_id: str, **options: Unpack[ReadOptions]) -> Item:
        """An item's full metadata (``GET /engine/v2/items/{item_id}``); retried as an
        idempotent read.

        Its ``status`` can stay ``QUEUED`` after a metadata update (Gloo's own warning): poll
        `list` (or `AsyncIngestion.wait_until_processed`) for processing.

        Raises:
            InvalidArgumentError: an empty item id.
            NotFoundError: no such item (or it was deleted).
        """
        check_arguments("items.retrieve", options, ReadOptions)
        path = f"/engine/v2/items/{segment(item_id, 'item_id')}"
        return await self._requester.call(
            "GET", path, cast_to=Item, options=call_options(options, retry="idempotent")
        )

    async def update(
        self,
        *,
        publisher_id: str,
        item_id: str | None = None,
        producer_id: str | None = None,
        **kwargs: Unpack[ItemUpdateKwargs],
    ) -> ItemUpdateResult:
        """Set fields of one item (``PATCH /engine/v2/item``), found by ``item_id`` or by your
        ``producer_id`` (``item_id`` wins if both are given).

        Retried as idempotent: the call sets fields to the values given, so sending it twice
        leaves the item as sending it once does.

        Example::

            await client.items.update(
                publisher_id=publisher_id, item_id=item_id, item_title="Hope", item_tags=["hope"]
            )

        Args:
            publisher_id: the item's publisher.
            item_id: Gloo's id of the item.
            producer_id: your own id of the item (given at upload).
            **kwargs: the fields to set, `ItemUpdateKwargs` (``item_title``,
                ``item_subtitle``, ``publication_date``, ``item_image``, ``item_url``,
                ``item_summary``, ``item_number``, ``item_extra``, ``author``,
                ``item_tags``); None clears a field. At least one. Also ``extra_headers``,
                ``extra_query``, ``extra_body``, ``timeout``, ``max_retries``.

        Raises:
            InvalidArgumentError: no field to change, neither id, or an invalid value;
                nothing was sent.
            NotFoundError: no such item. ``BadRequestError``: no such publisher.
            PermissionDeniedError: the item is not the publisher's.
        """
        where = "items.update"
        check_arguments(
            where, kwargs, ItemUpdateKwargs, also=("publisher_id", "item_id", "producer_id")
        )
        fields, options = split_call_options(kwargs)
        if not fields:
            raise InvalidArgumentError(
                f"{where}() needs at least one field to change, such as item_title=..."
            )
        if item_id is None and producer_id is None:
            raise InvalidArgumentError(f"{where}() needs item_id=... or producer_id=...")
        keys = {"publisher_id": publisher_id, "item_id": item_id, "producer_id": producer_id}
        keys = {k: v for k, v in keys.items() if v is not None}
        try:
            params = ItemUpdateParams.model_validate({**keys, **_lists(fields)})
        except pydantic.ValidationError as exc:
            raise invalid_arguments(where, exc) from None
        return await self._requester.call(
            "PATCH",
            "/engine/v2/item",
            cast_to=ItemUpdateResult,
            body=_body(params, options.get("extra_body")),
            options=call_options(options, retry="idempotent"),
        )

    async def bulk_update(
        self,
        publisher_id: str,
        *,
        filter: ItemFilter | ItemFilterParam,
        ops: Sequence[ItemPatchOp | ItemPatchOpParam],
        limit: int | None = None,
        match_all: bool = False,
        **options: Unpack[CallOptions],
    ) -> BulkUpdateResult:
        """Change the items that match a filter (``PATCH /engine/v2/items``).

        Retry policy: with only ``replace`` operations the call is idempotent (it sets
        values) and is retried as such; with an ``append`` or ``remove`` it is sent with
        ``retry="never"``: a repeat after the first attempt reached the server could append
        twice, so it is not sent again once it may have arrived (check the items, then call
        again yourself).

        Example::

            result = await client.items.bulk_update(
                publisher_id,
                filter={"tags": ["advent"]},
                ops=[{"op": "append", "field": "item_tags", "value": "christmas"}],
            )
            print(result.total_patched, "changed")

        Args:
            publisher_id: the publisher whose items change.
            filter: which items (`ItemFilter` or a dict of its criteria; all must hold).
            ops: what to change: ``{"op": "replace"|"append"|"remove", "field", "value"}``
                on the editable fields (`EditableField`); at least one.
            limit: how many items at most, 1 to 10000 (Gloo's default: 100).
            match_all: allow an empty filter, which matches every item of the publisher.
            **options: ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                ``max_retries``.

        Raises:
            InvalidArgumentError: an empty filter without ``match_all=True``, no ops, an op
                that does not fit its field, or a limit out of range; nothing was sent.
        """
        where = "items.bulk_update"
        check_arguments(where, options, CallOptions, also=("filter", "ops", "limit", "match_all"))
        segment(publisher_id, "publisher_id")
        try:
            checked_filter = ItemFilter.model_validate(
                filter.model_dump(exclude_unset=True) if isinstance(filter, ItemFilter) else filter
            )
            if isinstance(ops, (str, bytes, Mapping)) or not isinstance(ops, Sequence):
                raise InvalidArgumentError(f"{where}(): ops must be a list of operations.")
            checked_ops = [
                ItemPatchOp.model_validate(
                    op.model_dump() if isinstance(op, ItemPatchOp) else _lists(op)
                )
                for op in ops
            ]
        except pydantic.ValidationError as exc:
            raise invalid_arguments(where, exc) from None
        if not checked_ops:
            raise InvalidArgumentError(f"{where}() needs at least one operation in ops.")
        if checked_filter.is_empty and not match_all:
            raise InvalidArgumentError(
                f"{where}(): an empty filter matches every item of the publisher. Narrow it "
                "(item_ids, tags, statuses...), or pass match_all=True to change them all."
            )
        if limit is not None and (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_BULK_LIMIT
        ):
            raise InvalidArgumentError(f"limit must be 1 to {MAX_BULK_LIMIT}, not {limit!r}.")
        body: dict[str, Any] = {
            "filter": checked_filter.model_dump(mode="json", exclude_none=True),
            "ops": [op.model_dump(mode="json") for op in checked_ops],
        }
        if limit is not None:
            body["limit"] = limit
        if options.get("extra_body"):
            body.update(options.get("extra_body") or {})
        retry: RetryPolicy = (
            "idempotent" if all(op.op == "replace" for op in checked_ops) else "never"
        )
        return await self._requester.call(
            "PATCH",
            "/engine/v2/items",
            cast_to=BulkUpdateResult,
            body=body,
            options=call_options(options, retry=retry, query={"publisher_id": publisher_id}),
        )

    async def delete_permanently(
        self, item_ids: Sequence[str], **options: Unpack[CallOptions]
    ) -> DeleteResult:
        """Delete items for good (``DELETE /engine/v2/items``): their files, chunks and
        vectors. This cannot be undone.

        Sent with ``retry="never"``: once the request may have reached the server it is not
        sent again (only a connection that could not be opened is retried). If the call
        fails without an answer, list the items to see which remain.

        Args:
            item_ids: the ids, 1 to 1000.
            **options: ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                ``max_retries``.

        Returns:
            The counts and the result per item (an id that was not found is reported there).

        Raises:
            InvalidArgumentError: no ids, more than 1000, or an id that is not a non-empty
                string; nothing was sent.
        """
        check_arguments("items.delete_permanently", options, CallOptions, also=("item_ids",))
        if isinstance(item_ids, (str, bytes)) or not isinstance(item_ids, Sequence):
            raise InvalidArgumentError(
                "item_ids must be a list of item ids (wrap a single id: [item_id])."
            )
        ids = list(item_ids)
        if not ids:
            raise InvalidArgumentError("item_ids is empty: there is nothing to delete.")
        if len(ids) > MAX_DELETE_IDS:
            raise InvalidArgumentError(
                f"At most {MAX_DELETE_IDS} items can be deleted per call, not {len(ids)}: "
                "split the list."
            )
        for item_id in ids:
            segment(item_id, "each item id")
        body: dict[str, Any] = {"item_ids": ids, **(options.get("extra_body") or {})}
        return await self._requester.call(
            "DELETE",
            "/engine/v2/items",
            cast_to=DeleteResult,
            body=body,
            options=call_options(options, retry="never"),
        )


def _lists(fields: Mapping[str, object]) -> dict[str, object]:
    """Turn tuples and other sequences (not strings) into lists, as the models take them."""
    return {
        k: list(v) if isinstance(v, Sequence) and not isinstance(v, (str, bytes)) else v
        for k, v in fields.items()
    }
